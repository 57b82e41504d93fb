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


TRUSTED_TYPES = """
import json, sys
if sys.argv[1] == "after-rasa":
    import rasa.nlu.classifiers.logistic_regression_classifier, rasa.utils.train_utils  # TensorFlow too
else:
    import bot.rasa_cli
    bot.rasa_cli._import_skops_first()
from skops.io import _trusted_types as trusted
print(json.dumps({name: getattr(trusted, name) for name in dir(trusted) if name.endswith("_NAMES")}, sort_keys=True))
"""


def test_skops_imported_first_trusts_the_types_it_trusts_after_rasa():
    """bot.rasa_cli imports skops before Rasa (seconds off every start). Rasa loads its
    LogisticRegressionClassifier only if every type in the file is on skops's trusted lists, and
    fails quietly otherwise: the lists must not depend on when skops was imported."""
    first, after_rasa = (
        subprocess.run([sys.executable, "-c", TRUSTED_TYPES, when], cwd=ROOT, capture_output=True, text=True,
                       timeout=300, check=True).stdout
        for when in ("first", "after-rasa"))
    assert '"SKLEARN_ESTIMATOR_TYPE_NAMES": ["sklearn.' in first
    assert first == after_rasa
