"""Fixtures of the bad-input suite: the warmed-up stack, a real staff console, the case order.

The Rasa server, action server and provider directory are the session's shared ones
(tests/conftest.py); the staff console runs here as its own process (`python -m console run`),
so it logs and uses memory like the deployed one and its log file can be checked too.
"""
from __future__ import annotations

import re
import secrets
import sys
from dataclasses import dataclass
from typing import List

import pytest
import requests

from tests.bad_input.probe import http
from tests.conftest import REST_AUTH, post_json
from tests.support import servers
from tests.support.servers import Server

AFTER_ALL_CASES = "after_all_cases"
ADMIN = ("ada", "admin-password-123")
COORDINATOR = ("cole", "coordinator-password-123")
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def pytest_configure(config):
    config.addinivalue_line("markers", f"{AFTER_ALL_CASES}: runs after every other test of the session "
                                       "(memory and log checks over what the cases did)")


def pytest_collection_modifyitems(config, items):
    """The memory and log checks look at what every case did, so they run last."""
    items.sort(key=lambda item: item.get_closest_marker(AFTER_ALL_CASES) is not None)


@pytest.fixture(scope="session")
def rasa(assistant):
    """The shared Rasa server, after a few turns: the first messages load models lazily, and a
    case must not be blamed for that."""
    for text in ("hi", "What is transference?", "I feel anxious"):
        post_json(f"{assistant.url}/webhooks/rest/webhook", {"sender": "bad-input-warm-up", "message": text},
                  timeout=120, headers=REST_AUTH)
    return assistant


@dataclass
class ConsoleServer:
    server: Server
    api_token: str
    inquiry_ids: List[int]

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def console_server(stack_workdir):
    """`python -m console run` over its own intake database with staff, an API token and demo inquiries."""
    from console.demo import seed_bulk
    from console.staff import StaffDirectory, make_hasher
    from console.tokens import create_token
    from console.transcripts import TrackerTranscripts
    from intake.config import make_engine
    from intake.migrate import ensure_schema
    from intake.models import inquiries
    from sqlalchemy import select

    workdir = stack_workdir / "console"
    workdir.mkdir(exist_ok=True)
    intake_url = f"sqlite:///{workdir / 'intake.db'}"
    tracker_url = f"sqlite:///{workdir / 'tracker.db'}"
    engine = make_engine(intake_url)
    ensure_schema(engine)
    staff = StaffDirectory(engine, make_hasher(1, 1024))
    staff.create(*ADMIN, role="admin")
    staff.create(*COORDINATOR, role="coordinator")
    token = create_token(engine, "bad-input", "tests")
    seed_bulk(engine, 30)
    with engine.connect() as conn:
        inquiry_ids = sorted(conn.execute(select(inquiries.c.id)).scalars())
    engine.dispose()
    transcripts = TrackerTranscripts(tracker_url)
    transcripts.create_schema()
    transcripts.close()

    port = servers.free_port()
    server = Server(
        "console", [sys.executable, "-m", "console", "run", "--host", "127.0.0.1", "--port", str(port)],
        port, "/login", workdir, startup_timeout_s=60,
        env={"INTAKE_DATABASE_URL": intake_url, "TRACKER_DATABASE_URL": tracker_url,
             "CONSOLE_SECRET_KEY": secrets.token_urlsafe(48), "CONSOLE_PUBLIC_URL": f"http://127.0.0.1:{port}",
             "CONSOLE_ARGON2_TIME_COST": "1", "CONSOLE_ARGON2_MEMORY_KIB": "1024"},
    )
    with server:
        yield ConsoleServer(server, token, inquiry_ids)


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def sign_in(console: ConsoleServer, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = http("GET", f"{console.url}/login", session=session)
    reply = http("POST", f"{console.url}/login", session=session,
                 data={"username": username, "password": password, "csrf_token": csrf_from(page.text),
                       "next": "/queue"})
    assert reply.status == 303, reply.status
    return session


@pytest.fixture(scope="session")
def admin_session(console_server) -> requests.Session:
    with sign_in(console_server, *ADMIN) as session:
        yield session


@pytest.fixture(scope="session")
def coordinator_session(console_server) -> requests.Session:
    with sign_in(console_server, *COORDINATOR) as session:
        yield session
