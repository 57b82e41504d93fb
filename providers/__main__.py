"""Command line: `python -m providers seed ...` loads the demo directory; `python -m providers serve ...` runs the API."""
from __future__ import annotations

import argparse
import logging
import sys
import time

from aiohttp import web

from providers.settings import Settings
from privacy.logs import install as scrub_logs


def _safe_url(url: str) -> str:
    """The database URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv=None) -> int:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="python -m providers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    seed_cmd = sub.add_parser("seed", help="load the fictional demo directory (skipped if already loaded)")
    seed_cmd.add_argument("--count", type=int, default=settings.demo_count)
    seed_cmd.add_argument("--seed", type=int, default=settings.demo_seed)
    seed_cmd.add_argument("--database-url", default=settings.database_url)
    seed_cmd.add_argument("--replace", action="store_true", help="also replace a directory that is not a demo")
    serve_cmd = sub.add_parser("serve", help="run the JSON API (loads the demo directory into an empty database)")
    serve_cmd.add_argument("--host", default=settings.host)
    serve_cmd.add_argument("--port", type=int, default=settings.port)
    serve_cmd.add_argument("--database-url", default=settings.database_url)
    args = parser.parse_args(argv)
    scrub_logs()  # no personal data in logs (privacy/logs.py)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("providers")

    from providers.db import make_engine
    from providers.seed import provider_count, seed_directory

    engine = make_engine(args.database_url)
    if args.command == "seed":
        if args.count < 1 or args.count > 1_000_000:
            parser.error("--count must be between 1 and 1000000")
        started = time.perf_counter()
        try:
            outcome = seed_directory(engine, args.count, args.seed, replace=args.replace)
        except RuntimeError as exc:
            print(f"not seeded: {exc}", file=sys.stderr)
            return 2
        print(f"{outcome}: {args.count} demo providers (seed {args.seed}) in {_safe_url(args.database_url)} "
              f"[{time.perf_counter() - started:.1f}s]")
        return 0

    if provider_count(engine) == 0:
        log.info("empty directory: loading %d demo providers (seed %d)", settings.demo_count, settings.demo_seed)
        seed_directory(engine, settings.demo_count, settings.demo_seed)
    from providers.app import create_app

    log.info("provider directory on http://%s:%d (database %s)", args.host, args.port, _safe_url(args.database_url))
    web.run_app(create_app(engine=engine), host=args.host, port=args.port, print=None, access_log=None)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
