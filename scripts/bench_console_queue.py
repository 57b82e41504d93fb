"""Queue page render time with N inquiries (default 10,000): p50 / p95 over real HTTP requests.

    .venv/bin/python scripts/bench_console_queue.py [--inquiries 10000] [--requests 60] [--database-url URL]
    .venv/bin/python scripts/bench_console_queue.py --baseline /tmp/console-before [--dialect sqlite|postgres|both]

Default is a throw-away SQLite file; pass a PostgreSQL URL (an empty database/schema) to measure that.
With --baseline, the same measurement runs for another source tree of this repository (e.g. a
`git worktree` of the previous commit) and for this one, one after the other on fresh databases
(SQLite files, or throw-away schemas in TEST_POSTGRES_URL's database), and the two are printed side
by side. Each tree seeds its own fictional data with its own console/demo.py.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.app import create_app  # noqa: E402
from console.demo import seed_bulk  # noqa: E402
from console.settings import ConsoleSettings  # noqa: E402
from console.staff import StaffDirectory, make_hasher  # noqa: E402
from intake.config import make_engine  # noqa: E402
from intake.migrate import ensure_schema  # noqa: E402

# pages both the previous console and this one serve, then this one's coordinator views
COMMON_PATHS = ["/queue", "/queue?status=all", "/queue?risk=high&channel=sms", "/queue?status=all&page=150"]
NEW_PATHS = ["/queue?assigned=me", "/queue?overdue=1", "/queue?channel=web&level=imminent", "/queue?sort=waiting"]
RESULT_LINE = re.compile(r"^(?P<path>/\S+)\s+p50\s+(?P<p50>[\d.]+) ms\s+p95\s+(?P<p95>[\d.]+) ms")


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
                        assert r.status == 200 and b"<table" in body, (path, r.status)
                    if i >= 3:  # warm-up
                        timings[path].append((time.perf_counter() - start) * 1000)
    finally:
        await server.close()
    return timings


def run_here(inquiries: int, requests: int, database_url: str | None) -> None:
    """This tree's measurement (the only one without --baseline)."""
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{folder}/intake.db"
        settings = ConsoleSettings(intake_database_url=url, tracker_database_url=f"sqlite:///{folder}/tracker.db",
                                   secret_key=os.urandom(32))
        engine = make_engine(url)
        ensure_schema(engine)
        directory = StaffDirectory(engine, make_hasher())
        staff_ids = [directory.create(name, "bench-password-123", "coordinator").id for name in ("bench", "colleague")]
        started = time.perf_counter()
        seed_bulk(engine, inquiries, staff_ids=staff_ids)
        print(f"seeded {inquiries} fictional inquiries in {time.perf_counter() - started:.1f}s ({engine.dialect.name})")
        engine.dispose()
        timings = asyncio.run(measure(settings, requests, COMMON_PATHS + NEW_PATHS))
    for path, values in timings.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"{path:36} p50 {statistics.median(values):6.1f} ms   p95 {p95:6.1f} ms   (n={len(values)})")


def run_tree(tree: Path, dialect: str, inquiries: int, requests: int) -> dict[str, tuple[float, float]]:
    """Run `tree`'s own benchmark script on a fresh database; its results by path."""
    from intake.testing import temporary_database_url

    with temporary_database_url(dialect, prefix="bench_console") as url:
        command = [sys.executable, str(tree / "scripts" / "bench_console_queue.py"), "--inquiries", str(inquiries),
                   "--requests", str(requests), "--database-url", url]
        output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=tree).stdout
    print(f"--- {tree} ({dialect})\n{output.rstrip()}")
    return {m["path"]: (float(m["p50"]), float(m["p95"]))
            for m in (RESULT_LINE.match(line) for line in output.splitlines()) if m}


def compare(baseline: Path, dialects: list[str], inquiries: int, requests: int) -> None:
    if not os.environ.get("DATA_ENCRYPTION_KEYS"):  # throw-away keys: nothing written to the home directory
        from cryptography.fernet import Fernet

        os.environ["DATA_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
        os.environ["DATA_INDEX_KEY"] = Fernet.generate_key().decode()
    summary = []
    for dialect in dialects:
        before = run_tree(baseline, dialect, inquiries, requests)
        now = run_tree(ROOT, dialect, inquiries, requests)
        summary.append((dialect, before, now))
    print(f"\n{inquiries} inquiries, {requests} requests per page; p50 / p95 in ms")
    print(f"{'database':9} {'page':36} {'before':>15} {'now':>15}")
    for dialect, before, now in summary:
        for path in dict.fromkeys([*before, *now]):
            old = "{:6.1f} / {:6.1f}".format(*before[path]) if path in before else f"{'(new)':>15}"
            new = "{:6.1f} / {:6.1f}".format(*now[path]) if path in now else f"{'—':>15}"
            print(f"{dialect:9} {path:36} {old:>15} {new:>15}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--database-url", help="an empty database; default: a temporary SQLite file")
    parser.add_argument("--baseline", type=Path, help="another source tree to measure in the same run")
    parser.add_argument("--dialect", choices=("sqlite", "postgres", "both"), default="both",
                        help="with --baseline: which databases (PostgreSQL: TEST_POSTGRES_URL)")
    args = parser.parse_args()
    if args.baseline:
        dialects = ["sqlite", "postgres"] if args.dialect == "both" else [args.dialect]
        compare(args.baseline.resolve(), dialects, args.inquiries, args.requests)
    else:
        run_here(args.inquiries, args.requests, args.database_url)


if __name__ == "__main__":
    main()
