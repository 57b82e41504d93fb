"""Queue page render time with N inquiries (default 10,000): p50 / p95 over real HTTP requests.

    .venv/bin/python scripts/bench_console_queue.py [--inquiries 10000] [--requests 60] [--database-url URL]
    .venv/bin/python scripts/bench_console_queue.py --baseline /tmp/console-before [--dialect both] [--analyze]

Default is a throw-away SQLite file; pass a PostgreSQL URL (an empty database/schema) to measure that.
With --baseline, the same measurement runs for another source tree of this repository (e.g. a
`git worktree` of the previous commit) and for this one, alternately, each in its own process with
that tree's code (its console, intake and console/demo.py seed data), on fresh databases (SQLite
files, or throw-away schemas in TEST_POSTGRES_URL's database), and the two are printed side by side.
--analyze also measures both after the database has gathered statistics (PostgreSQL VACUUM ANALYZE,
SQLite ANALYZE), as it has in use once autovacuum has run; without it, only right after the bulk load.
"""
from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# pages both the previous console and this one serve, then this one's coordinator views
COMMON_PATHS = ["/queue", "/queue?status=all", "/queue?risk=high&channel=sms", "/queue?status=all&page=150"]
NEW_PATHS = ["/queue?assigned=me", "/queue?overdue=1", "/queue?channel=web&level=imminent", "/queue?sort=waiting"]
PASSWORD = "bench-password-123"


async def measure(settings, requests: int, paths: list[str]) -> dict[str, list[float]]:
    import aiohttp
    from aiohttp.test_utils import TestServer

    from console.app import create_app

    server = TestServer(create_app(settings, announce_risk=False), port=0)
    await server.start_server()
    timings: dict[str, list[float]] = {p: [] for p in paths}
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.get(server.make_url("/login")) as r:
                token = re.search(r'name="csrf_token" value="([^"]+)"', await r.text()).group(1)
            async with session.post(server.make_url("/login"), data={
                "username": "bench", "password": PASSWORD, "csrf_token": token}) as r:
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


def analyze(engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")


def run(tree: Path, inquiries: int, requests: int, database_url: str | None, gather_statistics: bool) -> dict:
    """Seed and measure with the code of `tree` (imported from there); results by path."""
    sys.path.insert(0, str(tree))
    from console.demo import seed_bulk
    from console.inquiries import QueueFilter
    from console.settings import ConsoleSettings
    from console.staff import StaffDirectory, make_hasher
    from intake.config import make_engine
    from intake.migrate import ensure_schema

    coordinator_views = "assigned" in QueueFilter.__dataclass_fields__  # this console, not the previous one
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{folder}/intake.db"
        settings = ConsoleSettings(intake_database_url=url, tracker_database_url=f"sqlite:///{folder}/tracker.db",
                                   secret_key=os.urandom(32))
        engine = make_engine(url)
        ensure_schema(engine)
        directory = StaffDirectory(engine, make_hasher())
        staff_ids = [directory.create(name, PASSWORD, "coordinator").id for name in ("bench", "colleague")]
        started = time.perf_counter()
        if "staff_ids" in inspect.signature(seed_bulk).parameters:
            seed_bulk(engine, inquiries, staff_ids=staff_ids)
        else:
            seed_bulk(engine, inquiries)
        seeded = time.perf_counter() - started
        if gather_statistics:
            analyze(engine)
        dialect = engine.dialect.name
        engine.dispose()
        timings = asyncio.run(measure(settings, requests, COMMON_PATHS + (NEW_PATHS if coordinator_views else [])))
    results = {}
    for path, values in timings.items():
        values.sort()
        results[path] = (statistics.median(values), values[min(len(values) - 1, int(len(values) * 0.95))])
    return {"dialect": dialect, "seeded_s": seeded, "results": results}


def print_results(run_result: dict, inquiries: int) -> None:
    print(f"seeded {inquiries} fictional inquiries in {run_result['seeded_s']:.1f}s ({run_result['dialect']})")
    for path, (p50, p95) in run_result["results"].items():
        print(f"{path:36} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")


def run_in_process(tree: Path, dialect: str, args, gather_statistics: bool) -> dict:
    """One measurement in a fresh interpreter importing `tree`'s code, on a fresh database."""
    from intake.testing import temporary_database_url

    with temporary_database_url(dialect, prefix="bench_console") as url:
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(tree), "--database-url", url,
                   "--inquiries", str(args.inquiries), "--requests", str(args.requests)]
        if gather_statistics:
            command.append("--analyze")
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def compare(args) -> None:
    sys.path.insert(0, str(ROOT))
    if not os.environ.get("DATA_ENCRYPTION_KEYS"):  # throw-away keys: nothing written to the home directory
        from cryptography.fernet import Fernet

        os.environ["DATA_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
        os.environ["DATA_INDEX_KEY"] = Fernet.generate_key().decode()
    dialects = ["sqlite", "postgres"] if args.dialect == "both" else [args.dialect]
    conditions = [False, True] if args.analyze else [False]
    rows = []
    for dialect in dialects:
        for gathered in conditions:
            before = run_in_process(args.baseline.resolve(), dialect, args, gathered)
            now = run_in_process(ROOT, dialect, args, gathered)
            rows.append((dialect, "analyzed" if gathered else "fresh", before["results"], now["results"]))
    print(f"{args.inquiries} inquiries, {args.requests} requests per page; p50 / p95 in ms")
    print(f"{'database':9} {'state':9} {'page':36} {'before':>15} {'now':>15}")
    for dialect, state, before, now in rows:
        for path in dict.fromkeys([*before, *now]):
            old = "{:6.1f} / {:6.1f}".format(*before[path]) if path in before else f"{'(new)':>15}"
            new = "{:6.1f} / {:6.1f}".format(*now[path]) if path in now else f"{'—':>15}"
            print(f"{dialect:9} {state:9} {path:36} {old:>15} {new:>15}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inquiries", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--database-url", help="an empty database; default: a temporary SQLite file")
    parser.add_argument("--analyze", action="store_true", help="measure after ANALYZE too")
    parser.add_argument("--baseline", type=Path, help="another source tree to measure in the same run")
    parser.add_argument("--dialect", choices=("sqlite", "postgres", "both"), default="both",
                        help="with --baseline: which databases (PostgreSQL: TEST_POSTGRES_URL)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # a tree to measure, output as JSON
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run(args.worker, args.inquiries, args.requests, args.database_url, args.analyze)))
    elif args.baseline:
        compare(args)
    else:
        print_results(run(ROOT, args.inquiries, args.requests, args.database_url, args.analyze), args.inquiries)


if __name__ == "__main__":
    main()
