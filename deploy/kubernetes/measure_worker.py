"""The per-worker figures of docs/CAPACITY.md: one Rasa worker and one action server in the production
topology (scripts/serve.py: PostgreSQL tracker store, Redis lock store, RabbitMQ event broker), REST
messages sent straight to the worker, RSS and CPU time read from /proc. About two minutes.

    .venv/bin/python deploy/kubernetes/measure_worker.py [--model models/x.tar.gz]

Needs what `make serve` needs: PostgreSQL on 127.0.0.1:5432 (user postgres, trust), Redis and RabbitMQ
on their default ports, HAProxy, and a trained model. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from scripts.bench_latency import MESSAGES, send_all  # noqa: E402  (FAQ questions, small talk, typos, gibberish)
from scripts.serve import Topology  # noqa: E402
from tests.support import servers  # noqa: E402
from tests.support.databases import ADMIN, temporary_postgres_database  # noqa: E402

REST_TOKEN = "measure-only-rest-token"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


async def load(url: str, count: int, clients: int, label: str) -> dict:
    messages = (MESSAGES * (count // len(MESSAGES) + 1))[:count]
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {REST_TOKEN}"}
    results = await asyncio.gather(*(send_all(url, messages[c::clients], f"{label}-{c}", headers)
                                      for c in range(clients)))
    elapsed = time.perf_counter() - started
    timings = sorted(t for r in results for t in r)
    return {"clients": clients, "messages": len(timings), "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
            "msg_per_s": round(len(timings) / elapsed, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="default: the newest in models/")
    args = parser.parse_args()
    model = args.model or sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[-1]
    workdir = Path(tempfile.mkdtemp(prefix="measure-worker-"))
    report: dict = {"machine": {"cores": os.cpu_count(), "load_average_1m": os.getloadavg()[0]}}
    with temporary_postgres_database("measure_worker") as database:
        env = {**os.environ, "TRACKER_DB_NAME": database, "TWILIO_AUTH_TOKEN": "measure-only",
               "INTAKE_DATABASE_URL": f"sqlite:///{workdir / 'intake.db'}",
               "REST_CHANNEL_TOKEN": REST_TOKEN, "ACTION_SERVER_TOKEN": "measure-only-actions"}
        started = time.monotonic()
        with Topology(model, workdir, workers=1, action_servers=1, port=servers.free_port(), env=env) as topology:
            # the topology's start (its action server beside the worker, then HAProxy answering), the
            # worker's own (launch to a healthy /webhooks/health/: the model loaded) and the first
            # reply to a message sent as soon as the topology is up
            report["start_s"] = round(time.monotonic() - started, 1)
            report["worker_start_s"] = round(topology.workers[0].ready_after_s, 1)
            rasa, actions = topology.workers[0].process.pid, topology.action_servers[0].process.pid
            url = topology.workers[0].url + "/webhooks/rest/webhook"  # the worker itself, not HAProxy
            asyncio.run(load(url, 1, 1, "first"))
            report["start_to_first_answer_s"] = round(time.monotonic() - started, 1)
            asyncio.run(load(url, 20, 1, "warm-up"))
            for clients, count in ((1, 150), (4, 200)):
                rasa_cpu, actions_cpu = cpu_seconds(rasa), cpu_seconds(actions)
                figures = asyncio.run(load(url, count, clients, f"load-{clients}"))
                figures["rasa_cpu_ms_per_message"] = round((cpu_seconds(rasa) - rasa_cpu) * 1000 / count, 1)
                figures["action_server_cpu_ms_per_message"] = round((cpu_seconds(actions) - actions_cpu) * 1000 / count, 2)
                report[f"clients_{clients}"] = figures
            report["rasa_rss_mib"], report["action_server_rss_mib"] = rss_mib(rasa), rss_mib(actions)
            import psycopg2

            connection = psycopg2.connect(**{**ADMIN, "dbname": database})
            with connection, connection.cursor() as cursor:
                cursor.execute("SELECT count(DISTINCT sender_id), count(*), pg_total_relation_size('events') FROM events")
                conversations, events, size = cursor.fetchone()
            connection.close()
            report["tracker"] = {"conversations": conversations, "events": events, "events_table_bytes": size,
                                 "messages": 1 + 20 + 150 + 200}
    shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
