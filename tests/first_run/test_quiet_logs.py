"""`make run` and `make serve` start Rasa through bot.rasa_cli: the libraries' deprecation notices stay
out of the logs, Rasa's command line is unchanged."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import servers

ROOT = Path(__file__).resolve().parents[2]
RASA_CLI = [sys.executable, "-m", "bot.rasa_cli"]


def _started_log(args, tmp_path: Path, name: str) -> str:
    port = servers.free_port()
    server = servers.Server(name, [*args, "run", "actions", "--actions", "actions", "--port", str(port)], port,
                            "/health", tmp_path, startup_timeout_s=120)
    with server:
        pass
    return server.log.read_text()


def test_action_server_log_has_no_library_deprecation_notices(tmp_path):
    quiet = _started_log(RASA_CLI, tmp_path, "quiet")
    plain = _started_log([servers.RASA], tmp_path, "plain")
    assert "Action endpoint is up and running" in quiet
    assert "DeprecationWarning" in plain          # what `rasa` alone writes at every start
    assert "DeprecationWarning" not in quiet and "MovedIn20Warning" not in quiet


def test_rasa_cli_passes_arguments_to_rasas_command_line():
    quiet = subprocess.run([*RASA_CLI, "--version"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0 and "Rasa Version" in quiet.stdout and "3.6.21" in quiet.stdout
    assert "Warning" not in quiet.stdout + quiet.stderr


def test_make_run_and_make_serve_start_rasa_through_it():
    for script in ("scripts/run_stack.py", "scripts/serve.py"):
        assert "bot.rasa_cli" in (ROOT / script).read_text(), script

