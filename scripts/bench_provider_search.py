"""Provider search latency through the real HTTP API, at 2,000 and 50,000 demo providers on SQLite.

For each size: seed a SQLite file in a temporary folder, start `python -m providers serve` on a free port,
warm up, then send a few hundred varied, realistic searches one after another (states weighted by population,
mixed insurance, formats, preferences, a few later pages) and print p50/p95/p99 latency. Target: p95 < 50 ms
at 50,000 providers.

    .venv/bin/python scripts/bench_provider_search.py [--sizes 2000,50000] [--requests 400]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Dict, List

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from providers.db import make_engine  # noqa: E402
from providers.geo import _tables as zip_tables  # noqa: E402
from providers.seed import seed_directory  # noqa: E402
from providers.vocabulary import vocabulary  # noqa: E402

TARGET_P95_MS = 50.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def realistic_searches(count: int, rng: random.Random) -> List[Dict[str, str]]:
    vocab = vocabulary()
    states = list(vocab["states"])
    weights = [vocab["state_weights"].get(s, vocab["default_state_weight"]) for s in states]
    offices, prefixes = zip_tables()
    zips_by_state: Dict[str, List[str]] = {}
    for office in offices.values():
        zips_by_state.setdefault(office["state"], []).append(office["zip"])
    for prefix, area in prefixes.items():
        zips_by_state.setdefault(area["state"], []).append(prefix + "01")
    carriers = list(vocab["carriers"]) + ["self_pay"]
    searches = []
    for _ in range(count):
        state = rng.choices(states, weights)[0]
        params = {"state": state, "insurance": rng.choice(carriers), "page_size": "3"}
        fmt = rng.choices(["either", "video", "in_person"], [3, 4, 3])[0]
        params["format"] = fmt
        if fmt == "in_person" or rng.random() < 0.2:
            params["zip"] = rng.choice(zips_by_state[state])
            if fmt == "in_person" and rng.random() < 0.3:
                params["max_miles"] = str(rng.choice([10, 50, 75]))
        if rng.random() < 0.7:
            params["approach"] = "psychodynamic" if rng.random() < 0.8 else rng.choice(list(vocab["approaches"]))
        if rng.random() < 0.8:
            params["concerns"] = ",".join(rng.sample(list(vocab["concerns"]), rng.randint(1, 3)))
        if rng.random() < 0.5:
            params["language"] = rng.choices(["English", "Spanish", "Mandarin", "Vietnamese", "French"], [6, 3, 1, 1, 1])[0]
        if rng.random() < 0.4:
            params["gender"] = rng.choice(["female", "male", "nonbinary"])
        if rng.random() < 0.4:
            params["availability"] = rng.choice(["evenings", "weekends", "evenings,weekends", "weekday_daytime"])
        soft = [k for k in ("approach", "concerns", "language", "gender", "availability") if k in params]
        if soft and rng.random() < 0.4:  # the assistant's exact-match first attempt
            params["require"] = ",".join(soft)
        if rng.random() < 0.1:
            params["page"], params["page_size"] = str(rng.randint(2, 4)), "10"
        searches.append(params)
    return searches


def wait_for(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


async def run_searches(base_url: str, searches: List[Dict[str, str]], warmup: int) -> Dict[str, object]:
    latencies: List[float] = []
    statuses: Dict[int, int] = {}
    results = 0
    async with aiohttp.ClientSession() as session:
        for i, params in enumerate(searches):
            started = time.perf_counter()
            async with session.get(base_url + "/v1/providers/search", params=params) as response:
                body = await response.json()
            elapsed = (time.perf_counter() - started) * 1000
            if i < warmup:
                continue
            latencies.append(elapsed)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            results += len(body.get("results", [])) if response.status == 200 else 0
    if not latencies:  # warm-up only
        return {}
    q = statistics.quantiles(latencies, n=100)
    return {"n": len(latencies), "p50": statistics.median(latencies), "p95": q[94], "p99": q[98],
            "mean": statistics.fmean(latencies), "max": max(latencies), "statuses": statuses,
            "results": results}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux), to report work per search independent of machine load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_size(size: int, workdir: Path, searches: List[Dict[str, str]], warmup: int) -> Dict[str, object]:
    url = f"sqlite:///{workdir / f'providers-{size}.db'}"
    engine = make_engine(url)
    started = time.perf_counter()
    seed_directory(engine, size, 42)
    seed_s = time.perf_counter() - started
    engine.dispose()
    port = free_port()
    log = open(workdir / f"serve-{size}.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "providers", "serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", url],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        asyncio.run(run_searches(f"http://127.0.0.1:{port}", searches[:warmup], warmup))
        cpu_before = cpu_seconds(server.pid)
        stats = asyncio.run(run_searches(f"http://127.0.0.1:{port}", searches[warmup:], 0))
        stats["server_cpu_ms"] = (cpu_seconds(server.pid) - cpu_before) * 1000 / len(searches[warmup:])
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
    stats["seed_s"] = seed_s
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,50000")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--workdir", help="keep the seeded databases here and reuse them (default: a temporary folder)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    searches = realistic_searches(args.requests + args.warmup, random.Random(2024))
    print(f"{args.requests} searches per size (+{args.warmup} warm-up), sequential, over HTTP on 127.0.0.1")
    print(f"machine load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(latency includes waiting for a core; server CPU per search does not)")
    print(f"{'providers':>10} {'seed s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'mean ms':>8} {'max ms':>7} "
          f"{'server CPU ms/search':>21}  statuses")
    worst_p95 = {}
    with contextlib.ExitStack() as stack:
        if args.workdir:
            Path(args.workdir).mkdir(parents=True, exist_ok=True)
            workdir = Path(args.workdir)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-providers-")))
        for size in sizes:
            s = bench_size(size, workdir, searches, args.warmup)
            worst_p95[size] = s["p95"]
            print(f"{size:>10} {s['seed_s']:>7.1f} {s['p50']:>7.1f} {s['p95']:>7.1f} {s['p99']:>7.1f} "
                  f"{s['mean']:>8.1f} {s['max']:>7.1f} {s['server_cpu_ms']:>21.1f}  {s['statuses']}", flush=True)
    largest = max(sizes)
    verdict = "meets" if worst_p95[largest] < TARGET_P95_MS else "MISSES"
    print(f"p95 at {largest} providers: {worst_p95[largest]:.1f} ms ({verdict} the {TARGET_P95_MS:.0f} ms target)")
    return 0 if worst_p95[largest] < TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
