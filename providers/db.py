"""Engine creation for the directory database (SQLite by default, PostgreSQL or any SQLAlchemy URL otherwise)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from providers.models import Base


def make_engine(database_url: str, *, pool_size: int = 4) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:":
            raise ValueError("the provider directory needs a SQLite file (sqlite:///path/to.db), not :memory:")
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 gives file SQLite a NullPool (a fresh connection, and a cold page cache, per query);
        # a small pool shared by the worker threads keeps searches in the millisecond range.
        engine = create_engine(
            url,
            future=True,
            poolclass=QueuePool,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"check_same_thread": False, "timeout": 15},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for a re-seed writer
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA cache_size=-32000")  # 32 MB page cache per connection
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    Base.metadata.create_all(engine)
