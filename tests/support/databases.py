"""A throw-away PostgreSQL database on the machine's server, for tests whose servers need a database
name (Rasa's tracker store) rather than a schema (intake.testing.temporary_database_url)."""
from __future__ import annotations

import contextlib
import uuid
from typing import Iterator

import psycopg2

ADMIN = dict(host="127.0.0.1", port=5432, user="postgres", dbname="test")


@contextlib.contextmanager
def temporary_postgres_database(prefix: str) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(**ADMIN)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        admin.cursor().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
