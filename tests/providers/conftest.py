"""A small seeded directory on SQLite and on PostgreSQL, and an in-process HTTP server of the real app over it."""
from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Iterator, List

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from providers.app import create_app
from providers.db import make_engine
from providers.seed import ProviderRecord, generate_providers, seed_directory

TEST_COUNT = 300
TEST_SEED = 7
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Directory:
    url: str
    engine: Engine
    records: List[ProviderRecord]


@contextlib.contextmanager
def temporary_postgres_database(prefix: str = "providers_test") -> Iterator[str]:
    """CREATE a uniquely named database for this run and DROP it afterwards, so parallel runs never collide."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def demo_records() -> List[ProviderRecord]:
    return list(generate_providers(TEST_COUNT, TEST_SEED))


@pytest.fixture(scope="session")
def sqlite_directory(tmp_path_factory, demo_records) -> Iterator[Directory]:
    url = f"sqlite:///{tmp_path_factory.mktemp('providers') / 'providers.db'}"
    engine = make_engine(url)
    seed_directory(engine, TEST_COUNT, TEST_SEED)
    yield Directory(url, engine, demo_records)
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_directory(demo_records) -> Iterator[Directory]:
    with temporary_postgres_database() as url:
        engine = make_engine(url)
        seed_directory(engine, TEST_COUNT, TEST_SEED)
        yield Directory(url, engine, demo_records)
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def directory(request) -> Directory:
    return request.getfixturevalue(f"{request.param}_directory")


@pytest.fixture
async def api(directory) -> Iterator[TestClient]:
    """A real aiohttp server on a free port, serving the app over the seeded directory."""
    client = TestClient(TestServer(create_app(engine=directory.engine)))
    await client.start_server()
    yield client
    await client.close()
