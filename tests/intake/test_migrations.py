"""Migrations run from empty, match the models, and go down and up again."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from intake.__main__ import main as intake_cli
from intake.config import make_engine
from intake.migrate import current_revision, downgrade, head_revision, upgrade
from intake.models import metadata
from intake.store import IntakeStore
from intake.testing import temporary_database_url


def test_upgrade_from_empty_creates_every_table_and_matches_models(database_url):
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_store_applies_migrations_on_first_use(database_url):
    store = IntakeStore(database_url)
    try:
        assert store.get_inquiry("x") is None
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()


def test_cli_upgrade(database_url, capsys):
    assert intake_cli(["--database-url", database_url, "upgrade"]) == 0
    assert head_revision() in capsys.readouterr().out


def schema_and_rows(database_url: str) -> dict:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            return {table: (
                [{**column, "type": repr(column["type"])} for column in inspector.get_columns(table)],
                inspector.get_pk_constraint(table), inspector.get_foreign_keys(table), inspector.get_indexes(table),
                inspector.get_unique_constraints(table), inspector.get_check_constraints(table),
                conn.exec_driver_sql(f'SELECT * FROM "{table}"').all(),
            ) for table in inspector.get_table_names()}
    finally:
        engine.dispose()


def test_the_fixtures_copy_of_a_migrated_database_is_exactly_what_migrations_make(database_url, migrated_intake):
    """The `store` fixtures copy a template (tests/conftest.py) instead of migrating every test's database."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgres"
    engine = make_engine(database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    with temporary_database_url(kind, prefix="intake_copy") as copy_url:
        migrated_intake.copy_into(copy_url)
        copied = schema_and_rows(copy_url)
    assert copied == schema_and_rows(database_url)
    assert copied["alembic_version"][-1] == [(head_revision(),)]
