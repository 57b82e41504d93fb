"""Throughput through the load balancer: `make serve`'s topology against the stock bot, same run.

    .venv/bin/python scripts/bench_scale.py [--clients 32] [--messages 960] [--workers 2] [--rounds 3]

Ours: scripts/serve.py's Topology (N Rasa workers and two action servers behind HAProxy, the
PostgreSQL tracker store in a throw-away database, the Redis lock store, the RabbitMQ event broker),
HAProxy's configuration as shipped. Stock: the `rasa init` bot of scripts/bench_latency.py in one
process, served as stock Rasa serves it (plain `rasa run`, in-memory stores; the target's
reference), and as runs before 2026-11-30 served it (this project's launcher and SQLite tracker
store). All get the same messages from the same number of concurrent clients, each client its own
conversation(s), ten messages per conversation: the FAQ questions, small talk and gibberish of
bench_latency, and every eighth message a crisis message, whose reply time is reported apart for
ours (target: p95 < 300 ms under this load). HAProxy takes the messages its triage matches
(deploy/triage.py) from its queue first; the report says how many of the crisis and of the other
messages it matched.

The three are up together and take turns: each round loads each of them once, in an order that
moves by one every round, and the report gives every round and the median of the rounds. A load of
ours takes 10-25 s, and this machine's speed moves by a third within the hour (docs/CAPACITY.md): a
single stock-then-ours run decided little.

Each client sends from its own loopback address (127.0.0.x): HAProxy's per-client rate limit is
per source address, and real visitors do not share one. Needs what `make serve` needs
(PostgreSQL, Redis, RabbitMQ, HAProxy) and a trained model. Five to eight minutes with three rounds,
most of it the stock bot's loads.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts.bench_latency import MESSAGES, stock_bot_model  # noqa: E402
from scripts.serve import Topology  # noqa: E402
from tests.support import servers  # noqa: E402
from tests.support.databases import temporary_postgres_database  # noqa: E402

# scripts.bench_latency sets it (the environment's, or a bench-only default); every server started here
# reads the same one (a constant here answered 401 from the stock launcher when the shell had its own)
REST_TOKEN = os.environ["REST_CHANNEL_TOKEN"]
CRISIS_MESSAGES = [
    "I want to kill myself tonight", "i took all my pills like 10 min ago", "my husband is hitting me right now",
    "quiero morirme ya no aguanto", "I have the rope ready in the garage", "someone broke into my house and I'm hiding",
]
CRISIS_EVERY = 8


def workload(count: int) -> List[Tuple[str, bool]]:
    """(text, is a crisis message) for `count` messages."""
    out, faq, crisis = [], 0, 0
    for i in range(count):
        if i % CRISIS_EVERY == CRISIS_EVERY - 1:
            out.append((CRISIS_MESSAGES[crisis % len(CRISIS_MESSAGES)], True))
            crisis += 1
        else:
            out.append((MESSAGES[faq % len(MESSAGES)], False))
            faq += 1
    return out


async def client(url: str, number: int, messages: List[Tuple[str, bool]], label: str) -> List[Tuple[float, bool, int]]:
    """(milliseconds, crisis?, status) per message, one after another, from 127.0.0.<10 + number>."""
    connector = aiohttp.TCPConnector(local_addr=(f"127.0.0.{10 + number}", 0))
    timeout = aiohttp.ClientTimeout(total=60)
    out = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     headers={"Authorization": f"Bearer {REST_TOKEN}"}) as session:
        for i, (text, crisis) in enumerate(messages):
            started = time.perf_counter()
            async with session.post(url, json={"sender": f"{label}-{number}-{i // 10}", "message": text}) as resp:
                await resp.read()
                out.append(((time.perf_counter() - started) * 1000, crisis, resp.status))
    return out


async def load(url: str, clients: int, count: int, label: str) -> Dict[str, float]:
    messages = workload(count)
    await asyncio.gather(*(client(url, c, workload(10), f"warm-{label}") for c in range(min(clients, 4))))
    started = time.perf_counter()
    results = await asyncio.gather(*(client(url, c, messages[c::clients], label) for c in range(clients)))
    elapsed = time.perf_counter() - started
    rows = [row for result in results for row in result]
    ok = sorted(ms for ms, _, status in rows if status == 200)
    crisis = sorted(ms for ms, is_crisis, status in rows if is_crisis and status == 200)
    statuses = collections.Counter(status for _, _, status in rows if status != 200)
    return {"messages": len(rows), "failed": sum(statuses.values()),
            "failed_by_status": {str(status): count for status, count in sorted(statuses.items())},
            "msg_per_s": round(len(ok) / elapsed, 1), "p50_ms": round(statistics.median(ok), 1),
            "p95_ms": round(ok[int(len(ok) * 0.95) - 1], 1),
            "crisis_p95_ms": round(crisis[int(len(crisis) * 0.95) - 1], 1) if crisis else None}


def triage_share() -> Dict[str, str]:
    """How many of the workload's crisis and other messages HAProxy's triage puts first."""
    from deploy.triage import cue_expression, load_cues, put_first

    matches = put_first(cue_expression(load_cues()))
    others = sorted(set(MESSAGES))
    return {"crisis": f"{sum(map(matches, CRISIS_MESSAGES))}/{len(CRISIS_MESSAGES)}",
            "others": f"{sum(map(matches, others))}/{len(others)}"}


def median_of(rounds: List[Dict[str, float]]) -> Dict[str, float]:
    """Each figure's median over the rounds; failures added up."""
    out: Dict[str, float] = {}
    for key in ("msg_per_s", "p50_ms", "p95_ms", "crisis_p95_ms"):
        values = [r[key] for r in rounds if r.get(key) is not None]
        out[key] = round(statistics.median(values), 1) if values else None  # type: ignore[assignment]
    out["messages"] = sum(r["messages"] for r in rounds)
    out["failed"] = sum(r["failed"] for r in rounds)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--messages", type=int, default=960)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", type=Path, help="ours (default: the newest in models/)")
    args = parser.parse_args()
    model = args.model or sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[-1]
    stock_model = stock_bot_model(ROOT / "var" / "bench" / "stock-bot")
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    ours_label = f"ours, {args.workers} workers behind HAProxy"
    labels = ["stock, one process", "stock, one process, our launcher", ours_label]
    rounds: Dict[str, List[Dict[str, float]]] = {label: [] for label in labels}
    report: Dict[str, object] = {"cores": os.cpu_count(), "clients": args.clients, "workers": args.workers,
                                 "rounds": args.rounds}
    try:
        stock_dir, launcher_dir = workdir / "stock", workdir / "stock-launcher"
        stock_dir.mkdir()
        launcher_dir.mkdir()
        with temporary_postgres_database("bench_scale") as database, servers.running(
                servers.stock_rasa_server(stock_model, stock_dir),
                servers.rasa_server(stock_model, launcher_dir, None)) as (stock, launcher):
            env = {**os.environ, "TRACKER_DB_NAME": database, "TWILIO_AUTH_TOKEN": "bench-only",
                   "INTAKE_DATABASE_URL": f"sqlite:///{workdir / 'intake.db'}",
                   "REST_CHANNEL_TOKEN": REST_TOKEN, "ACTION_SERVER_TOKEN": "bench-only-actions"}
            with Topology(model, workdir, workers=args.workers, action_servers=2, port=servers.free_port(),
                          env=env) as topology:
                urls = dict(zip(labels, (stock.url, launcher.url, topology.url)))
                for number in range(args.rounds):
                    order = labels[number % len(labels):] + labels[:number % len(labels)]
                    for label in order:
                        rounds[label].append(asyncio.run(load(
                            urls[label] + "/webhooks/rest/webhook", args.clients, args.messages,
                            f"round{number}-bot{labels.index(label)}")))  # new conversations each round
        report["load_average_1m"] = round(os.getloadavg()[0], 2)
        report["triage matched"] = triage_share()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for label in labels:
        report[label] = {"median of the rounds": median_of(rounds[label]), "rounds": rounds[label]}
    ratios = [o["msg_per_s"] / s["msg_per_s"] for o, s in zip(rounds[ours_label], rounds[labels[0]])]
    launcher_ratios = [o["msg_per_s"] / s["msg_per_s"] for o, s in zip(rounds[ours_label], rounds[labels[1]])]
    report["throughput_ratio_by_round"] = [round(r, 2) for r in ratios]
    report["throughput_ratio"] = round(statistics.median(ratios), 2)
    report["throughput_ratio_to_stock_our_launcher_by_round"] = [round(r, 2) for r in launcher_ratios]
    report["throughput_ratio_to_stock_our_launcher"] = round(statistics.median(launcher_ratios), 2)
    ours = report[ours_label]["median of the rounds"]  # type: ignore[index]
    print(json.dumps(report, indent=1))
    print(f"throughput {report['throughput_ratio']}x the stock bot's (median of {args.rounds} rounds, "
          f"each {report['throughput_ratio_by_round']}; target >= 3x); "
          f"crisis replies p95 {ours['crisis_p95_ms']} ms (median; target < 300 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
