"""Queue page render time with N inquiries (default 10,000): p50 / p95 over real HTTP requests.

    .venv/bin/python scripts/bench_console_queue.py [--inquiries 10000] [--requests 60] [--database-url URL]

Default is a throw-away SQLite file; pass a PostgreSQL URL (an empty database/schema) to measure that.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.app import create_app  # noqa: E402
from console.demo import seed_bulk  # noqa: E402
from console.settings import ConsoleSettings  # noqa: E402
from console.staff import StaffDirectory, make_hasher  # noqa: E402
from intake.config import make_engine  # noqa: E402


async def measure(settings: ConsoleSettings, requests: int, paths: list[str]) -> dict[str, list[float]]:
    server = TestServer(create_app(settings, announce_risk=False), port=0)
    await server.start_server()
    timings: dict[str, list[float]] = {p: [] for p in paths}
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.get(server.make_url("/login")) as r:
                token = re.search(r'name="csrf_token" value="([^"]+)"', await r.text()).group(1)
            async with session.post(server.make_url("/login"), data={
                "username": "bench", "password": "bench-password-123", "csrf_token": token}) as r:
                assert r.status == 200 and "/queue" in str(r.url), "sign-in failed"
            for path in paths:
                for i in range(requests + 3):
                    start = time.perf_counter()
                    async with session.get(server.make_url(path)) as r:
                        body = await r.read()
                        assert r.status == 200 and b"<table" in body
                    if i >= 3:  # warm-up
                        timings[path].append((time.perf_counter() - start) * 1000)
    finally:
        await server.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--database-url", help="an empty database; default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/intake.db"
        settings = ConsoleSettings(intake_database_url=url, tracker_database_url=f"sqlite:///{folder}/tracker.db",
                                   secret_key=os.urandom(32))
        engine = make_engine(url)
        started = time.perf_counter()
        seed_bulk(engine, args.inquiries)
        print(f"seeded {args.inquiries} fictional inquiries in {time.perf_counter() - started:.1f}s ({engine.dialect.name})")
        StaffDirectory(engine, make_hasher()).create("bench", "bench-password-123", "coordinator")
        engine.dispose()
        paths = ["/queue", "/queue?status=all", "/queue?risk=high&channel=sms", "/queue?status=all&page=150"]
        timings = asyncio.run(measure(settings, args.requests, paths))
    for path, values in timings.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"{path:32} p50 {statistics.median(values):6.1f} ms   p95 {p95:6.1f} ms   (n={len(values)})")


if __name__ == "__main__":
    main()
