"""`python -m intake upgrade|current|downgrade REV|revision -m MSG` on INTAKE_DATABASE_URL."""
from __future__ import annotations

import argparse
import logging
import sys

from alembic import command

from privacy.logs import install as scrub_logs

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
    relay = sub.add_parser("relay", help="write risk events from Rasa's event broker to the intake store")
    relay.add_argument("--outbox", default=None, help="SQL outbox URL (default RISK_OUTBOX_URL or var/risk-events.db)")
    relay.add_argument("--rabbitmq", default=None, help="AMQP URL: consume the broker's RabbitMQ queue instead")
    relay.add_argument("--queue", default="risk_events")
    relay.add_argument("--once", action="store_true", help="drain what is queued now and exit")
    rev = sub.add_parser("revision", help="developers: autogenerate a migration from intake/models.py")
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    scrub_logs()  # no personal data in logs (privacy/logs.py)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "relay":
        return run_relay(args)
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


def run_relay(args: argparse.Namespace) -> int:
    import asyncio

    from intake.risk_relay import outbox_url_from_env, run_outbox_relay, run_rabbitmq_relay
    from intake.store import IntakeStore

    store = IntakeStore(args.database_url or intake_database_url_from_env())
    try:
        if args.rabbitmq:
            count = asyncio.run(run_rabbitmq_relay(args.rabbitmq, args.queue, store, once=args.once))
        else:
            count = run_outbox_relay(args.outbox or outbox_url_from_env(), store, once=args.once)
    except KeyboardInterrupt:
        return 0
    finally:
        store.close()
    print(f"risk events: {count.written} written, {count.repeated} repeats, {count.dropped} dropped"
          + (" (intake store unavailable: the rest wait)" if count.waiting else ""))
    return 1 if count.waiting else 0


if __name__ == "__main__":
    sys.exit(main())
