"""Console fixtures: throw-away intake + tracker databases, a real HTTP server, signed-in clients."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from console.app import create_app
from console.settings import ConsoleSettings
from console.staff import StaffDirectory, make_hasher
from console.transcripts import TrackerTranscripts
from intake.store import IntakeStore
from intake.testing import temporary_database_url, use_test_data_keys

ADMIN = ("ada", "admin-password-123")
COORDINATOR = ("cole", "coordinator-password-123")
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


@pytest.fixture(autouse=True)
def data_keys(monkeypatch):
    """Throw-away data keys for every test here (nothing is written to the home directory)."""
    return use_test_data_keys(monkeypatch)


@dataclass
class Databases:
    intake_url: str
    tracker_url: str


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def databases(request):
    with temporary_database_url(request.param, prefix="console_intake") as intake_url, \
            temporary_database_url(request.param, prefix="console_tracker") as tracker_url:
        yield Databases(intake_url, tracker_url)


@pytest.fixture
def settings(databases) -> ConsoleSettings:
    return ConsoleSettings(
        intake_database_url=databases.intake_url,
        tracker_database_url=databases.tracker_url,
        secret_key=os.urandom(32),
        argon2_time_cost=1,
        argon2_memory_cost=1024,  # fast hashes for tests; production uses argon2-cffi defaults
        public_url="http://console.test",
    )


@pytest.fixture
def store(settings, migrated_intake):
    # what store.ensure_schema() would make of the empty database, without alembic for every test
    migrated_intake.copy_into(settings.intake_database_url)
    store = IntakeStore(settings.intake_database_url)
    yield store
    store.close()


@pytest.fixture
def transcripts(settings):
    transcripts = TrackerTranscripts(settings.tracker_database_url)
    transcripts.create_schema()  # Rasa's SQLTrackerStore creates the same table
    yield transcripts
    transcripts.close()


@pytest.fixture
def staff(settings, store):
    directory = StaffDirectory(store.engine, make_hasher(1, 1024))
    directory.create(*ADMIN, role="admin")
    directory.create(*COORDINATOR, role="coordinator")
    return directory


@dataclass
class Console:
    app: object
    server: TestServer
    settings: ConsoleSettings

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def console(settings, store, transcripts, staff):
    app = create_app(settings, announce_risk=False)
    server = TestServer(app, port=0)
    await server.start_server()
    yield Console(app, server, settings)
    await server.close()


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def sign_in(session: aiohttp.ClientSession, console: Console, username: str, password: str) -> aiohttp.ClientResponse:
    async with session.get(console.url("/login")) as response:
        token = csrf_from(await response.text())
    async with session.post(
        console.url("/login"),
        data={"username": username, "password": password, "csrf_token": token, "next": "/queue"},
        allow_redirects=False,
    ) as response:
        await response.read()
        return response


@pytest.fixture
async def anonymous(console):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@pytest.fixture
async def admin_client(console):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        response = await sign_in(session, console, *ADMIN)
        assert response.status == 303
        yield session


@pytest.fixture
async def coordinator_client(console):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        response = await sign_in(session, console, *COORDINATOR)
        assert response.status == 303
        yield session


async def page_csrf(session: aiohttp.ClientSession, console: Console, path: str = "/queue") -> str:
    async with session.get(console.url(path)) as response:
        assert response.status == 200
        return csrf_from(await response.text())


@pytest.fixture
async def chromium():
    """Headless Debian Chromium driven by Playwright (no `playwright install`: the system browser)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    if not os.path.exists(CHROMIUM_PATH):
        pytest.skip(f"{CHROMIUM_PATH} missing (apt-get install chromium)")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
