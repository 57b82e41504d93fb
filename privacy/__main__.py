"""`python -m privacy new-key | rotate`: data keys and re-encryption.

Rotating keys:
  1. `python -m privacy new-key`, put it first in DATA_ENCRYPTION_KEYS (new,old) everywhere and
     restart the action server, Rasa and the console: new writes use it, old values still read.
  2. `python -m privacy rotate`: re-encrypts the intake records and the tracker store's events
     under the newest key (values stored before encryption get encrypted).
  3. Drop the old key from DATA_ENCRYPTION_KEYS and restart.
The blind-index key (DATA_INDEX_KEY) is not rotated by this: changing it needs new indexes.
"""
from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy import inspect

from privacy.keys import KeyConfigError, new_key


def _rotate(intake_url: str, tracker_url: str) -> None:
    from console.transcripts import TrackerTranscripts, compact_sqlite, events
    from intake.config import make_engine
    from intake.encryption import rotate_inquiries
    from intake.migrate import ensure_schema
    from privacy.crypto import cipher

    print(f"data keys from {cipher().source}")
    engine = make_engine(intake_url)
    try:
        ensure_schema(engine)  # the encrypted columns exist from migration 0004 on
        rows = rotate_inquiries(engine)
        compact_sqlite(engine)
        print(f"intake database: re-encrypted {rows} inquiries")
    finally:
        engine.dispose()

    transcripts = TrackerTranscripts(tracker_url)
    try:
        if not inspect(transcripts.engine).has_table(events.name):
            print("tracker store: no events table yet, nothing to re-encrypt")
            return
        print(f"tracker store: re-encrypted {transcripts.rotate_encryption()} events")
    finally:
        transcripts.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m privacy", description="Data keys and re-encryption")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("new-key", help="print a fresh key for DATA_ENCRYPTION_KEYS or DATA_INDEX_KEY")
    rotate = sub.add_parser("rotate", help="re-encrypt intake records and tracker events under the newest key")
    rotate.add_argument("--intake-database-url", help="defaults to INTAKE_DATABASE_URL")
    rotate.add_argument("--tracker-database-url", help="defaults to TRACKER_DATABASE_URL")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    if args.command == "new-key":
        print(new_key())
        return 0
    from console.settings import ConsoleSettings

    settings = ConsoleSettings.from_env(serving=False)
    try:
        _rotate(args.intake_database_url or settings.intake_database_url,
                args.tracker_database_url or settings.tracker_database_url)
    except KeyConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
