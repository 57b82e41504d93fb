"""Throw-away databases for tests (SQLite file or a fresh PostgreSQL database), usable from any test suite."""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.future import create_engine

from intake.config import make_engine

TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def temporary_database_url(kind: str, prefix: str = "intake_test") -> Iterator[str]:
    """Yield the URL of an empty database and remove it afterwards. kind: 'sqlite' or 'postgres'.

    For PostgreSQL the URL points at a new schema (via search_path) in TEST_POSTGRES_URL's database.
    """
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"{prefix}_") as folder:
            yield f"sqlite:///{Path(folder) / 'test.db'}"
        return
    if kind != "postgres":
        raise ValueError("kind must be 'sqlite' or 'postgres'")
    # A fresh schema in the shared test database: CREATE DATABASE costs seconds, a schema nothing.
    schema = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(TEST_POSTGRES_URL, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(TEST_POSTGRES_URL)
        yield str(url.set(query={**url.query, "options": f"-csearch_path={schema}"}))
    finally:
        with admin.connect() as conn:
            conn.execute(text("SET lock_timeout = '20s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


class MigratedTemplates:
    """Intake databases migrated once per kind, copied into each test's empty database.

    Applying the migrations costs 0.1-0.3 s a database, copying the result 1 ms (SQLite) to 60 ms:
    SQLite copies the migrated file; PostgreSQL sends the SQL the migration sent (recorded at the
    driver) again into the new schema: the same statements from the same empty start give the same
    schema and alembic_version row. The migrations themselves stay tested by tests/intake/test_migrations.py.
    """

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._templates: dict[str, tuple[str, list[tuple[str, Any, bool]]]] = {}  # kind: (url, statements)

    def copy_into(self, url: str) -> None:
        """Make the empty database at `url` (from temporary_database_url) an exact migrated one."""
        kind = "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgres"
        if kind not in self._templates:
            self._templates[kind] = self._migrate(kind)
        template_url, statements = self._templates[kind]
        if kind == "sqlite":
            # "xb": refuses to overwrite a database something already opened
            with open(make_url(template_url).database, "rb") as source, open(make_url(url).database, "xb") as target:
                shutil.copyfileobj(source, target)
            return
        engine = make_engine(url)
        try:
            with engine.begin() as conn, contextlib.closing(conn.connection.cursor()) as cursor:
                for statement, parameters, many in statements:
                    (cursor.executemany if many else cursor.execute)(statement, parameters)
        finally:
            engine.dispose()

    def _migrate(self, kind: str) -> tuple[str, list[tuple[str, Any, bool]]]:
        from intake.migrate import upgrade

        url = self._stack.enter_context(temporary_database_url(kind, prefix="intake_template"))
        engine = make_engine(url)
        statements: list[tuple[str, Any, bool]] = []

        @event.listens_for(engine, "before_cursor_execute")
        def record(_conn, _cursor, statement, parameters, _context, executemany):
            statements.append((statement, parameters, executemany))

        try:
            upgrade(engine)
        finally:
            engine.dispose()  # for SQLite: closing the last connection folds the WAL into the file
        if kind == "sqlite" and Path(f"{make_url(url).database}-wal").exists():
            raise RuntimeError("the SQLite template still has a WAL file: copying the main file would lose it")
        return url, statements

    def close(self) -> None:
        self._stack.close()


def use_test_data_keys(monkeypatch, *encryption_keys: bytes, index_key: bytes | None = None) -> tuple[bytes, ...]:
    """Point privacy.crypto at throw-away keys (fresh ones unless given), never the home directory.

    Returns the encryption keys, newest first. Call again with other keys to simulate rotation.
    """
    from cryptography.fernet import Fernet

    from privacy.crypto import reset_cipher

    keys = encryption_keys or (Fernet.generate_key(),)
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", ",".join(k.decode() for k in keys))
    if index_key is not None or not os.environ.get("DATA_INDEX_KEY"):
        monkeypatch.setenv("DATA_INDEX_KEY", (index_key or Fernet.generate_key()).decode())
    reset_cipher()
    monkeypatch.setattr("privacy.crypto._cipher", None)  # undone after the test: no cipher leaks across tests
    return keys
