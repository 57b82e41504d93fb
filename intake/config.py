"""Database settings and engine construction shared by the intake store and the console."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.future import create_engine
from sqlalchemy.pool import StaticPool

DEFAULT_INTAKE_DATABASE_URL = "sqlite:///var/intake.db"


def intake_database_url_from_env() -> str:
    return os.environ.get("INTAKE_DATABASE_URL") or DEFAULT_INTAKE_DATABASE_URL


def make_engine(database_url: str) -> Engine:
    """A future-style engine; SQLite gets its folder created, foreign keys, WAL and a busy timeout.

    The store is written from the action server and read by the console at the same time,
    so SQLite runs in WAL mode and waits for locks instead of failing at once.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)

    in_memory = url.database in (None, "", ":memory:")
    if not in_memory:
        Path(url.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    kwargs = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if in_memory:
        kwargs["poolclass"] = StaticPool  # one shared connection, or every thread sees an empty db
    engine = create_engine(url, future=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # deleted inquiries and transcripts must not stay readable in free pages of the file
        cursor.execute("PRAGMA secure_delete=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine
