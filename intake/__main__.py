"""`python -m intake upgrade|current|downgrade REV|revision -m MSG` on INTAKE_DATABASE_URL."""
from __future__ import annotations

import argparse
import logging
import sys

from alembic import command

from intake.config import intake_database_url_from_env, make_engine
from intake.migrate import alembic_config, current_revision, downgrade, head_revision, upgrade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intake", description="Intake database migrations")
    parser.add_argument("--database-url", default=None, help="defaults to INTAKE_DATABASE_URL")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="apply all migrations")
    sub.add_parser("current", help="show the database and head revisions")
    down = sub.add_parser("downgrade", help="revert to a revision (e.g. base)")
    down.add_argument("revision")
    rev = sub.add_parser("revision", help="developers: autogenerate a migration from intake/models.py")
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    engine = make_engine(args.database_url or intake_database_url_from_env())
    try:
        if args.command == "upgrade":
            upgrade(engine)
            print(f"intake database at revision {current_revision(engine)}")
        elif args.command == "current":
            print(f"database: {current_revision(engine) or '(empty)'}  head: {head_revision()}")
        elif args.command == "downgrade":
            downgrade(engine, args.revision)
            print(f"intake database at revision {current_revision(engine) or '(empty)'}")
        elif args.command == "revision":
            with engine.begin() as connection:
                command.revision(alembic_config(connection), message=args.message, autogenerate=True)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
