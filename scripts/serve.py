"""Production mode on one machine: N Rasa workers and M action servers behind HAProxy.

    make serve                      # 2 Rasa workers, 2 action servers, HAProxy on 127.0.0.1:8080
    .venv/bin/python scripts/serve.py --workers 3 --action-servers 2 --port 8080

The Rasa workers use endpoints.scale.yml: PostgreSQL tracker store, Redis lock store, RabbitMQ event
broker (their settings from the environment, with this machine's local servers as defaults); the
action servers are stateless; `python -m intake relay --rabbitmq` writes risk events to the intake
store. HAProxy (Debian package, `make setup-test` installs it; config from deploy/haproxy.py) is
the only public entry and closes what Sanic 21.12 cannot (malformed requests, size, rate).
The provider directory, staff console and widget page are the same as in `make run`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from deploy.haproxy import haproxy_config  # noqa: E402
from deploy.triage import write_triage_expression  # noqa: E402
from privacy.dev_secrets import dev_secret  # noqa: E402
from tests.support import servers  # noqa: E402

SCALE_DEFAULTS = {
    # A worker that dies mid-turn leaves its conversation's Redis lock behind until the ticket
    # expires (Rasa's default: 60 s, longer than HAProxy's 30 s server timeout, so the next message
    # of that conversation failed). 15 s outlasts the longest turn (action timeout 12 s).
    "TICKET_LOCK_LIFETIME": "15",
    # Rasa's SQL tracker store pools up to 50 + 100 PostgreSQL connections per process by default;
    # one event loop needs few (the same figures as deploy/kubernetes/rasa.yaml).
    "SQL_POOL_SIZE": "5", "SQL_MAX_OVERFLOW": "5",
    "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": "5432", "TRACKER_DB_NAME": "test",
    "TRACKER_DB_USER": "postgres", "TRACKER_DB_PASSWORD": "",
    "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379",
    "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_PORT": "5672", "RABBITMQ_USERNAME": "guest", "RABBITMQ_PASSWORD": "guest",
}


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if not found:
        sys.exit("haproxy is not installed: run `make setup-test` (Debian package haproxy)")
    return found


class Topology:
    """Workers, action servers and HAProxy, started together and stopped together."""

    def __init__(self, model: Path, workdir: Path, workers: int, action_servers: int, port: int,
                 env: dict, bind: str = "127.0.0.1"):
        self.workdir, self.port, self.bind = workdir, port, bind
        self.actions_port = servers.free_port()
        self.env = {**SCALE_DEFAULTS, **env,
                    "ACTION_SERVER_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
                    "RISK_EVENTS_PENDING_DB": str(workdir / "risk-events-pending.db")}
        for name in ("REST_CHANNEL_TOKEN", "ACTION_SERVER_TOKEN"):
            self.env[name] = self.env.get(name) or dev_secret(name)
        self.action_servers = [servers.action_server(workdir, env=self.env) for _ in range(action_servers)]
        self.workers = []
        for _ in range(workers):
            worker_port = servers.free_port()
            args = [sys.executable, "-m", "bot.rasa_cli", "run", "--model", str(model), "--port", str(worker_port), "--interface", "127.0.0.1",
                    "--endpoints", str(ROOT / "endpoints.scale.yml"), "--credentials", str(ROOT / "credentials.yml")]
            self.workers.append(servers.Server("rasa-worker", args, worker_port, "/webhooks/health/", workdir,
                                               env=self.env, startup_timeout_s=240))
        self.haproxy = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Topology":
        try:
            return self._start()
        except BaseException:
            self.stop()  # a worker that failed to start leaves nothing running
            raise

    def _start(self) -> "Topology":
        # The action servers start beside the first worker: a worker needs no action server to load
        # its model, and an action server takes one core for about 3 s, which the topology's start
        # used to wait for first (7.6-7.7 s now against 8.7-9.3 s; docs/CAPACITY.md, 2026-11-30).
        for server in self.action_servers:
            server.launch()
        for worker in self.workers:  # one at a time: each loads the model (2 cores)
            worker.start()
        for server in self.action_servers:
            server.wait_until_ready()
        config = self.workdir / "haproxy.cfg"
        triage = write_triage_expression(str(self.workdir / "triage.re"))
        config.write_text(haproxy_config([w.port for w in self.workers], [a.port for a in self.action_servers],
                                         self.port, self.actions_port, triage, self.bind))
        check = subprocess.run([haproxy_binary(), "-c", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy config invalid: {check.stdout}{check.stderr}")
        self.haproxy = subprocess.Popen([haproxy_binary(), "-db", "-f", str(config)],
                                        stdout=open(self.workdir / "haproxy.log", "w"), stderr=subprocess.STDOUT)
        servers.wait_for_http(self.url + "/webhooks/health/", 30, self.haproxy)
        return self

    def stop(self) -> None:
        if self.haproxy and self.haproxy.poll() is None:
            self.haproxy.terminate()
            self.haproxy.wait(timeout=10)
        for server in self.workers + self.action_servers:
            server.stop()

    def __enter__(self) -> "Topology":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--action-servers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--bind", default="127.0.0.1", help="HAProxy's public address")
    args = parser.parse_args()
    model = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[-1]
    workdir = Path(tempfile.mkdtemp(prefix="pretherapy-serve-"))
    env = dict(os.environ)
    env.setdefault("TWILIO_AUTH_TOKEN", "dev-only-twilio-token")
    topology = Topology(model, workdir, args.workers, args.action_servers, args.port, env, args.bind)
    relay = None
    try:
        topology.start()
        relay = subprocess.Popen([sys.executable, "-m", "intake", "relay", "--rabbitmq",
                                  f"amqp://{topology.env['RABBITMQ_USERNAME']}:{topology.env['RABBITMQ_PASSWORD']}@"
                                  f"{topology.env['RABBITMQ_HOST']}:{topology.env['RABBITMQ_PORT']}/"],
                                 cwd=ROOT, env=topology.env, stdout=open(workdir / "relay.log", "w"),
                                 stderr=subprocess.STDOUT)
        print(f"""
{args.workers} Rasa workers and {args.action_servers} action servers behind HAProxy: {topology.url}
  REST:   curl -s {topology.url}/webhooks/rest/webhook -H "Authorization: Bearer {topology.env['REST_CHANNEL_TOKEN']}" -d '{{"sender":"me","message":"hi"}}'
  health: {topology.url}/webhooks/health/
  logs:   {workdir}
Press Ctrl-C to stop.""", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        if relay and relay.poll() is None:
            relay.terminate()
        topology.stop()


if __name__ == "__main__":
    sys.exit(main())
