import pytest

from intake.store import IntakeStore
from intake.testing import temporary_database_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request):
    with temporary_database_url(request.param, prefix="intake_test") as url:
        yield url


@pytest.fixture
def store(database_url):
    store = IntakeStore(database_url)
    yield store
    store.close()
