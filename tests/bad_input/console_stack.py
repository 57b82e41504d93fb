"""The staff console as a real process for this suite: its own intake database with staff, an API
token and fictional inquiries, then `python -m console run` (logs and memory like the deployed one)."""
from __future__ import annotations

import contextlib
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import requests

from tests.bad_input.probe import http
from tests.support import servers
from tests.support.servers import Server

ADMIN = ("ada", "admin-password-123")
COORDINATOR = ("cole", "coordinator-password-123")
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class ConsoleServer:
    server: Server
    api_token: str
    inquiry_ids: List[int]

    @property
    def url(self) -> str:
        return self.server.url


@contextlib.contextmanager
def console_service(workdir: Path) -> Iterator[ConsoleServer]:
    from sqlalchemy import select

    from console.demo import seed_bulk
    from console.staff import StaffDirectory, make_hasher
    from console.tokens import create_token
    from console.transcripts import TrackerTranscripts
    from intake.config import make_engine
    from intake.migrate import ensure_schema
    from intake.models import inquiries

    workdir.mkdir(exist_ok=True)
    intake_url = f"sqlite:///{workdir / 'intake.db'}"
    tracker_url = f"sqlite:///{workdir / 'tracker.db'}"
    engine = make_engine(intake_url)
    ensure_schema(engine)
    staff = StaffDirectory(engine, make_hasher(1, 1024))  # fast hashes: sign-in is not what is tested
    staff.create(*ADMIN, role="admin")
    staff.create(*COORDINATOR, role="coordinator")
    token = create_token(engine, "bad-input", "tests")
    seed_bulk(engine, 30)
    with engine.connect() as conn:
        inquiry_ids = sorted(conn.execute(select(inquiries.c.id)).scalars())
    engine.dispose()
    transcripts = TrackerTranscripts(tracker_url)
    transcripts.create_schema()  # Rasa's tracker store would create the same table
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
