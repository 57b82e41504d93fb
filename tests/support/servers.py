"""Start the project's real servers as subprocesses for tests and benchmarks.

Each server gets a free port, its own log file and is stopped at the end. The
trained model is cached by a hash of everything that goes into training, so a
second test run (or a second test module) does not train again.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from bot.model_fingerprint import training_fingerprint
from bot.rasa_cli import TELEMETRY_OFF

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
RASA = str(VENV_BIN / "rasa")
# how `make run` and `make serve` start Rasa (bot/rasa_cli.py: the same command line, a faster start);
# tests/first_run/test_quiet_logs.py starts the plain `rasa` as well
RASA_RUN = [sys.executable, "-m", "bot.rasa_cli", "run"]
MODELS = ROOT / "models"  # `make train` saves models/<fingerprint>.tar.gz (scripts/train.py)
MODEL_CACHE = ROOT / "var" / "test-models"  # the training lock and log; models of earlier test runs
STOP_TIMEOUT_S = 5.0  # after SIGTERM, then SIGKILL
TRACKER_STORE_CLASS = "bot.stores.encrypted_tracker_store.EncryptedSQLTrackerStore"
RISK_BROKER_CLASS = "bot.brokers.risk_events.RiskEventSQLBroker"


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Set by tests/conftest.py before each test: why that test may not have the model (it is not marked
# `model`), or None. A test that reaches the model without asking for the `trained_model` fixture then
# fails at once instead of making `make test-fast` train. None outside pytest (scripts/bench_latency.py).
model_forbidden_reason: Optional[str] = None


def trained_model_path() -> Path:
    """The full assistant's model for the current content hash, trained only if no one has it yet.

    `make test` trains into models/ first and passes that model in ASSISTANT_MODEL, so the suite
    does not train a second time. Otherwise the model is looked up by fingerprint in models/ (where
    `make train` puts it) and var/test-models/ (where earlier test runs put it); when neither has it,
    it is trained once into models/<fingerprint>.tar.gz, so a later `make train` finds it too.
    Concurrent callers wait on a lock.
    """
    if model_forbidden_reason:
        raise RuntimeError(model_forbidden_reason)
    given = os.environ.get("ASSISTANT_MODEL")
    if given and Path(given).is_file():
        return Path(given)
    fingerprint = training_fingerprint()
    model = MODELS / f"{fingerprint}.tar.gz"
    for cached in (model, MODEL_CACHE / f"{fingerprint}.tar.gz"):
        if cached.is_file():
            return cached
    MODEL_CACHE.mkdir(parents=True, exist_ok=True)
    MODELS.mkdir(exist_ok=True)
    with open(MODEL_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not model.exists():
            out_dir = MODEL_CACHE / f"tmp-{fingerprint}"
            shutil.rmtree(out_dir, ignore_errors=True)
            log = MODEL_CACHE / f"train-{fingerprint}.log"
            with open(log, "w") as log_file:
                result = subprocess.run(
                    [RASA, "train", "--config", "config.yml", "--domain", "domain.yml",
                     "--data", "bot/data", "--out", str(out_dir), "--fixed-model-name", fingerprint],
                    cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
                )
            if result.returncode != 0:
                raise RuntimeError(f"rasa train failed, see {log}")
            shutil.move(str(out_dir / f"{fingerprint}.tar.gz"), str(model))  # a rename: never half a file
            shutil.rmtree(out_dir, ignore_errors=True)
    return model


def wait_for_http(url: str, timeout_s: float, process: Optional[subprocess.Popen] = None,
                  log: Optional[Path] = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text()[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout_s}s")


class Server:
    """A subprocess serving HTTP on 127.0.0.1:<port>."""

    def __init__(self, name: str, args: List[str], port: int, health_path: str, workdir: Path,
                 env: Optional[Dict[str, str]] = None, startup_timeout_s: float = 120.0, cwd: Path = ROOT):
        self.name, self.args, self.port, self.health_path = name, args, port, health_path
        self.workdir, self.startup_timeout_s, self.cwd = workdir, startup_timeout_s, cwd
        self.env = {**TELEMETRY_OFF, **os.environ, **(env or {})}  # also for plain `rasa run actions`
        self.log = workdir / f"{name}-{port}.log"
        self.process: Optional[subprocess.Popen] = None
        self.launched_at: Optional[float] = None  # time.monotonic() at launch
        self.ready_after_s: Optional[float] = None  # launch to answering its health path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        self.launch()
        self.wait_until_ready()
        return self

    def launch(self) -> None:
        """Start the process without waiting for it to answer (see `running`)."""
        self.launched_at = time.monotonic()
        with open(self.log, "w") as log_file:
            self.process = subprocess.Popen(self.args, cwd=self.cwd, env=self.env, stdout=log_file,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_ready(self) -> None:
        wait_for_http(self.url + self.health_path, self.startup_timeout_s, self.process, self.log)
        self.ready_after_s = time.monotonic() - self.launched_at

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                # Rasa and the action server exit within about 2 s of SIGTERM; Sanic otherwise waits
                # up to its 15 s graceful-shutdown timeout for connections a test left open.
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def write_endpoints(workdir: Path, action_port: Optional[int], tracker_db: Path,
                    tracker_store_type: str = TRACKER_STORE_CLASS, nlg_type: Optional[str] = None,
                    risk_outbox: Optional[Path] = None) -> Path:
    lines = []
    if action_port is not None:
        lines += ["action_endpoint:", f'  url: "http://127.0.0.1:{action_port}/webhook"',
                  "  headers:", '    Authorization: Bearer ${ACTION_SERVER_TOKEN}']
    lines += ["tracker_store:", f"  type: {tracker_store_type}", '  dialect: "sqlite"', f'  db: "{tracker_db}"']
    if nlg_type:
        lines += ["nlg:", f"  type: {nlg_type}"]
    if risk_outbox:
        lines += ["event_broker:", f"  type: {RISK_BROKER_CLASS}", '  dialect: "sqlite"', f'  db: "{risk_outbox}"']
    path = workdir / "endpoints.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def rasa_server(model: Path, workdir: Path, action_port: Optional[int], port: Optional[int] = None,
                credentials: Optional[Path] = None, env: Optional[Dict[str, str]] = None,
                source: Path = ROOT) -> Server:
    """`source`: the checkout whose code the model's custom components come from."""
    port = port or free_port()
    # an earlier checkout (benchmarks) has only Rasa's own tracker store
    has_encrypted_store = (source / "bot" / "stores" / "encrypted_tracker_store.py").exists()
    # responses name the clinic profile ({clinic_name}, ...), filled by bot/nlg.py as in endpoints.yml
    nlg_type = "bot.nlg.ClinicProfileNLG" if (source / "bot" / "nlg.py").exists() else None
    # crisis replies go to a risk outbox in the workdir (drain it with `drain_risk_outbox`)
    has_risk_broker = (source / "bot" / "brokers" / "risk_events.py").exists()
    endpoints = write_endpoints(workdir, action_port, workdir / "tracker.db",
                                TRACKER_STORE_CLASS if has_encrypted_store else "SQL", nlg_type,
                                workdir / "risk-events.db" if has_risk_broker else None)
    # an earlier checkout (benchmarks) may predate bot/rasa_cli.py
    command = RASA_RUN if (source / "bot" / "rasa_cli.py").exists() else [RASA, "run"]
    args = [*command, "--enable-api", "--model", str(model), "--port", str(port),
            "--endpoints", str(endpoints), "--credentials", str(credentials or source / "credentials.yml"),
            "--interface", "127.0.0.1"]
    return Server("rasa", args, port, "/status", workdir, env=_with_source(env, source), startup_timeout_s=180,
                  cwd=source)


def stock_rasa_server(model: Path, workdir: Path, port: Optional[int] = None) -> Server:
    """A model served as a stock Rasa serves it: plain `rasa run`, Rasa's own REST channel, the default
    in-memory tracker and lock stores, no action server (the benchmarks' reference bot)."""
    port = port or free_port()
    credentials = workdir / "stock-credentials.yml"
    credentials.write_text("rest:\n")
    args = [RASA, "run", "--enable-api", "--model", str(model), "--port", str(port),
            "--credentials", str(credentials), "--interface", "127.0.0.1"]
    return Server("stock-rasa", args, port, "/status", workdir, startup_timeout_s=180, cwd=workdir)


def action_server(workdir: Path, port: Optional[int] = None, env: Optional[Dict[str, str]] = None,
                  source: Path = ROOT) -> Server:
    port = port or free_port()
    args = [RASA, "run", "actions", "--actions", "actions", "--port", str(port)]
    return Server("actions", args, port, "/health", workdir, env=_with_source(env, source),
                  startup_timeout_s=120, cwd=source)


def _with_source(env: Optional[Dict[str, str]], source: Path) -> Optional[Dict[str, str]]:
    """Another checkout's code comes first on the path (benchmarks of an earlier version)."""
    if source == ROOT:
        return env
    return {**(env or {}), "PYTHONPATH": str(source)}


def provider_service(workdir: Path, port: Optional[int] = None, database_url: Optional[str] = None,
                     env: Optional[Dict[str, str]] = None) -> Server:
    port = port or free_port()
    database_url = database_url or f"sqlite:///{workdir / 'providers.db'}"
    args = [str(VENV_BIN / "python"), "-m", "providers", "serve", "--host", "127.0.0.1",
            "--port", str(port), "--database-url", database_url]
    return Server("providers", args, port, "/healthz", workdir, env=env, startup_timeout_s=120)


@contextlib.contextmanager
def running(*servers: Server) -> Iterator[List[Server]]:
    """Start the servers together (their start-ups overlap: tests/scale's two Rasa servers are up in
    about 2/3 of the time one after the other takes) and stop them in reverse order. None of them may
    need another to be up in order to start."""
    launched: List[Server] = []
    try:
        for server in servers:
            server.launch()
            launched.append(server)
        for server in servers:
            server.wait_until_ready()
        yield launched
    finally:
        for server in reversed(launched):
            server.stop()


def drain_risk_outbox(workdir: Path, intake_database_url: str):
    """Run the intake side's relay once over a Rasa server's risk outbox (see rasa_server)."""
    from intake.risk_relay import run_outbox_relay
    from intake.store import IntakeStore

    store = IntakeStore(intake_database_url)
    try:
        return run_outbox_relay(f"sqlite:///{workdir / 'risk-events.db'}", store, once=True)
    finally:
        store.close()
