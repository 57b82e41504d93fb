"""Throw-away databases for tests (SQLite file or a fresh PostgreSQL database), usable from any test suite."""
from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Iterator

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.future import create_engine

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
