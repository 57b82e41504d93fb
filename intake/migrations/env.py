"""Alembic environment for the intake database (online mode on a connection passed in by intake.migrate)."""
from __future__ import annotations

from alembic import context
from sqlalchemy import text

from intake.config import intake_database_url_from_env, make_engine
from intake.models import metadata

config = context.config
target_metadata = metadata

# Any id; serialises concurrent upgrades from several processes on PostgreSQL.
_PG_ADVISORY_LOCK_ID = 748_213_551


def _run(connection) -> None:
    is_postgres = connection.dialect.name == "postgresql"
    if is_postgres:
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_ADVISORY_LOCK_ID})
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch mode for ALTERs
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(intake_database_url_from_env())
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `python -m intake upgrade`.")
run_migrations_online()
