import pytest

from intake.store import IntakeStore
from intake.testing import temporary_database_url, use_test_data_keys


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request):
    with temporary_database_url(request.param, prefix="intake_test") as url:
        yield url


@pytest.fixture
def store(database_url, migrated_intake):
    """A store on `database_url`, already migrated (a copy, not alembic; test_migrations.py
    tests the migrations and a store migrating an empty database on first use)."""
    migrated_intake.copy_into(database_url)
    store = IntakeStore(database_url)
    yield store
    store.close()


@pytest.fixture(autouse=True)
def data_keys(monkeypatch):
    """Throw-away data keys for every test here (nothing is written to the home directory)."""
    return use_test_data_keys(monkeypatch)
