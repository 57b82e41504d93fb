"""Start the whole assistant on this machine and keep it running until Ctrl-C.

Services and their ports (docs/CONTRACTS.md; each overridable by the variable named): provider
directory PROVIDERS_PORT 5060, action server ACTION_SERVER_PORT 5055, Rasa RASA_PORT 5005 (REST,
socket.io widget channel, SMS webhook), staff console CONSOLE_PORT 5080, widget demo page WIDGET_PORT
8000, and the risk event relay (Rasa event broker outbox -> intake store). Each writes its log to
var/log/. `make run` calls this after
`make train`; the newest model in models/ is served.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from privacy.dev_secrets import dev_secret  # noqa: E402
from scripts.validate_data import QUIET_LIBRARY_WARNINGS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOG_DIR = ROOT / "var" / "log"


RASA_CLI = [str(BIN / "python"), "-m", "bot.rasa_cli"]

def wait_until_up(name: str, url: Optional[str], process: subprocess.Popen, log: Path, timeout_s: float,
                  started: Optional[float] = None) -> None:
    """Until `url` answers; a service without one (the relay) must just stay up for `timeout_s`
    after it was `started` (time.monotonic(); now if not given)."""
    if url is None:
        time.sleep(max(0.0, (started if started is not None else time.monotonic()) + timeout_s - time.monotonic()))
        if process.poll() is not None:
            sys.exit(f"{name} stopped during start-up (exit {process.returncode}); see {log}")
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{name} stopped during start-up (exit {process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)  # start-up is measured to the answer (scripts/bench_cold_start.py)
    sys.exit(f"{name} did not answer at {url} within {timeout_s:.0f}s; see {log}")


# Every port `make run` uses, each overridable by the environment variable of the same name
# (documented in docs/CONTRACTS.md).
DEFAULT_PORTS = {"RASA_PORT": 5005, "ACTION_SERVER_PORT": 5055, "PROVIDERS_PORT": 5060, "CONSOLE_PORT": 5080,
                 "WIDGET_PORT": 8000}
DEFAULT_ACTION_URL = "http://127.0.0.1:5055/webhook"


def endpoints_for(action_port: int) -> str:
    """endpoints.yml, or a copy under var/ that points at the action server's configured port."""
    if action_port == DEFAULT_PORTS["ACTION_SERVER_PORT"]:
        return "endpoints.yml"
    copy = ROOT / "var" / "endpoints.run.yml"
    text = (ROOT / "endpoints.yml").read_text()
    if DEFAULT_ACTION_URL not in text:
        sys.exit("endpoints.yml no longer names the default action server URL; set ACTION_SERVER_PORT=5055")
    copy.write_text(text.replace(DEFAULT_ACTION_URL, f"http://127.0.0.1:{action_port}/webhook"))
    return str(copy)


def latest_model() -> Path:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        sys.exit("no trained model in models/; run `make train` first")
    return models[-1]


def rasa_run_arguments(auth_token: str, model: Path, endpoints: str, port: int) -> List[str]:
    """`rasa run`'s arguments. The token is joined to its option: a urlsafe token starts with "-"
    one time in 64, and `--auth-token -x...` read it as an option and stopped the start."""
    return ["run", "--enable-api", f"--auth-token={auth_token}", "--cors", "*", "--model", str(model),
            "--endpoints", endpoints, "--credentials", "credentials.yml", "--port", str(port),
            "--interface", "127.0.0.1"]


def main() -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **QUIET_LIBRARY_WARNINGS}
    env.setdefault("INTAKE_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'intake.db'}")
    env.setdefault("PROVIDERS_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'providers.db'}")
    env.setdefault("TRACKER_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'tracker.db'}")
    # Laptop default only: a real deployment sets the account's token in the environment.
    env.setdefault("TWILIO_AUTH_TOKEN", "dev-only-twilio-token")
    auth_token = env.setdefault("RASA_AUTH_TOKEN", secrets.token_urlsafe(24))
    # Shared secrets: the environment's, else laptop ones derived from the data-key file.
    for name in ("REST_CHANNEL_TOKEN", "ACTION_SERVER_TOKEN"):
        env[name] = env.get(name) or dev_secret(name)
    rest_token = env["REST_CHANNEL_TOKEN"]
    model = latest_model()

    ports = {name: int(env.get(name) or default) for name, default in DEFAULT_PORTS.items()}
    env["PROVIDER_SEARCH_URL"] = env.get("PROVIDER_SEARCH_URL") or f"http://127.0.0.1:{ports['PROVIDERS_PORT']}"
    rasa_url = f"http://127.0.0.1:{ports['RASA_PORT']}"
    services = [
        ("provider directory", [str(BIN / "python"), "-m", "providers", "serve", "--port", str(ports["PROVIDERS_PORT"])],
         f"http://127.0.0.1:{ports['PROVIDERS_PORT']}/healthz", 180),
        # bot.rasa_cli: `rasa` without the libraries' deprecation notices in the logs
        ("action server", [*RASA_CLI, "run", "actions", "--actions", "actions",
                           "--port", str(ports["ACTION_SERVER_PORT"])],
         f"http://127.0.0.1:{ports['ACTION_SERVER_PORT']}/health", 120),
        ("rasa", [*RASA_CLI, *rasa_run_arguments(auth_token, model, endpoints_for(ports["ACTION_SERVER_PORT"]),
                                                 ports["RASA_PORT"])],
         rasa_url + "/", 240),
        ("risk event relay", [str(BIN / "python"), "-m", "intake", "relay"], None, 5),
        ("staff console", [str(BIN / "python"), "-m", "console", "run", "--port", str(ports["CONSOLE_PORT"])],
         f"http://127.0.0.1:{ports['CONSOLE_PORT']}/login", 60),
        ("widget demo page", [str(BIN / "python"), "-m", "widget", "serve", "--port", str(ports["WIDGET_PORT"]),
                              "--rasa-url", rasa_url],
         f"http://127.0.0.1:{ports['WIDGET_PORT']}/", 60),
    ]
    running = []

    def stop_all(*_args) -> None:
        for _name, proc in reversed(running):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in running:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)

    started_at = time.monotonic()
    # All start at once, then each is waited for: none needs another to boot (Rasa calls the action
    # server on its first custom action, the actions call the directory at the end of the form), and
    # one after another cost the sum of their start-ups (scripts/bench_cold_start.py).
    logs = []
    for name, args, _health_url, _timeout_s in services:
        log = LOG_DIR / f"{name.replace(' ', '-')}.log"
        print(f"starting {name} (log: {log.relative_to(ROOT)})", flush=True)
        running.append((name, subprocess.Popen(args, cwd=ROOT, env=env, stdout=open(log, "w"),
                                               stderr=subprocess.STDOUT)))
        logs.append(log)
    try:
        for (name, proc), log, (_, _, health_url, timeout_s) in zip(running, logs, services):
            wait_until_up(name, health_url, proc, log, timeout_s, started=started_at)
    except SystemExit:  # one failed to start: the others, already running, must not be left behind
        for _name, proc in running:
            if proc.poll() is None:
                proc.terminate()
        raise

    print(f"""
The assistant is running ({time.monotonic() - started_at:.0f}s to start). Talk to it:
  web widget demo page:  http://127.0.0.1:{ports['WIDGET_PORT']}/
  REST:    curl -s {rasa_url}/webhooks/rest/webhook -H "Authorization: Bearer {rest_token}" -d '{{"sender":"me","message":"hi"}}'
  SMS webhook (Twilio):  {rasa_url}/webhooks/sms/webhook
  terminal:  make shell   (in another terminal, while this runs)
  staff console:  http://127.0.0.1:{ports['CONSOLE_PORT']}/  (first admin: .venv/bin/python -m console create-admin NAME)
  REST channel token (REST_CHANNEL_TOKEN): {rest_token}
  Rasa HTTP API auth token: {auth_token}
Press Ctrl-C to stop everything.""", flush=True)
    while True:
        for name, proc in running:
            if proc.poll() is not None:
                print(f"{name} stopped (exit {proc.returncode}); stopping the rest", flush=True)
                stop_all()
        time.sleep(1)


if __name__ == "__main__":
    main()
