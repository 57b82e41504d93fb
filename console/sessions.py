"""Server-side staff sessions, kept in the intake database table `staff_sessions`.

The session cookie carries only a random token; the row is keyed by the token's SHA-256, so a copy
of the table cannot be turned back into cookies. Deleting the row ends the session wherever the
cookie went: sign-out does that for one session, a password change and disabling an account for
all of a member's sessions (`end_staff_sessions`, called by console.staff). A row expires at the
absolute limit (session_max_hours after sign-in) or after the idle timeout without a request,
whichever comes first; expired rows are deleted when met and, in bulk, whenever a session starts.

Before sign-in there is no staff member to own a row, and the only value is the sign-in form's
CSRF token: it lives in a short-lived encrypted cookie of its own (aiohttp-session's
EncryptedCookieStorage), which never carries a staff id.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from datetime import datetime, timedelta

from aiohttp import web
from aiohttp_session import AbstractStorage, Session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine

from intake.models import staff_sessions
from intake.store import utcnow

STAFF_ID = "staff_id"  # kept in its own column; every other session value goes to `data` as JSON
# last_seen_at is written at most once a minute per session, not on every request
TOUCH_INTERVAL = timedelta(seconds=60)
MAX_TOKEN_LENGTH = 128  # ours are 43 characters; anything much longer is not worth hashing


def _row_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def end_staff_sessions(conn: Connection, staff_user_id: int) -> int:
    """Delete every session of one staff member; returns how many were ended."""
    return conn.execute(delete(staff_sessions).where(staff_sessions.c.staff_user_id == staff_user_id)).rowcount


def _staff_id(session: Session) -> int | None:
    value = session.get(STAFF_ID)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class DatabaseSessionStorage(AbstractStorage):
    """aiohttp-session storage: signed-in sessions in the database, the sign-in form's in a cookie."""

    def __init__(
        self,
        engine: Engine,
        *,
        secret_key: bytes,
        cookie_name: str,
        signin_cookie_name: str,
        max_age: int,
        idle_timeout: int,
        secure: bool,
        samesite: str = "Lax",
    ):
        super().__init__(cookie_name=cookie_name, max_age=max_age, secure=secure, httponly=True, samesite=samesite)
        self._engine = engine
        self._lifetime = timedelta(seconds=max_age)
        self._idle = timedelta(seconds=idle_timeout)
        self._signin = EncryptedCookieStorage(
            secret_key, cookie_name=signin_cookie_name, max_age=idle_timeout,
            secure=secure, httponly=True, samesite=samesite,
        )

    # -- aiohttp-session interface ----------------------------------------------------------
    async def load_session(self, request: web.Request) -> Session:
        token = self.load_cookie(request)
        if token:
            found = await asyncio.to_thread(self._load, token)
            if found is not None:
                row_id, staff_user_id, data = found
                return Session(row_id, data={"session": {**data, STAFF_ID: staff_user_id}}, new=False, max_age=None)
        session = await self._signin.load_session(request)
        session.pop(STAFF_ID, None)  # a staff id is only ever believed from a database row
        if token:
            session.changed()  # unknown, expired or ended: save_session tells the browser to drop it
        return session

    async def save_session(self, request: web.Request, response: web.StreamResponse, session: Session) -> None:
        presented_token = self.load_cookie(request)
        staff_user_id = _staff_id(session)
        if staff_user_id is not None:
            data = {key: value for key, value in session.items() if key != STAFF_ID}
            if session.identity is None:  # just signed in: a new token, never one the browser brought
                token = secrets.token_urlsafe(32)
                await asyncio.to_thread(self._create, token, staff_user_id, data, presented_token)
                self.save_cookie(response, token, max_age=self.max_age)
                self._signin.save_cookie(response, "")
            else:
                await asyncio.to_thread(self._save_data, session.identity, data)
            return
        if session.identity is not None:  # invalidated (sign-out, disabled account)
            await asyncio.to_thread(self._delete, session.identity)
        if presented_token is not None:
            self.save_cookie(response, "")
        await self._signin.save_session(request, response, session)

    # -- database (blocking; called through asyncio.to_thread) --------------------------------
    def _expiry(self, created_at: datetime, last_seen_at: datetime) -> datetime:
        return min(created_at + self._lifetime, last_seen_at + self._idle)

    def _load(self, token: str) -> tuple[str, int, dict] | None:
        if len(token) > MAX_TOKEN_LENGTH:
            return None
        row_id = _row_id(token)
        now = utcnow()
        with self._engine.begin() as conn:
            row = conn.execute(select(staff_sessions).where(staff_sessions.c.id == row_id)).first()
            if row is None:
                return None
            if row.expires_at <= now:
                conn.execute(delete(staff_sessions).where(staff_sessions.c.id == row_id))
                return None
            if now - row.last_seen_at >= TOUCH_INTERVAL:
                conn.execute(
                    update(staff_sessions).where(staff_sessions.c.id == row_id)
                    .values(last_seen_at=now, expires_at=self._expiry(row.created_at, now))
                )
        try:
            data = json.loads(row.data or "{}")
        except ValueError:
            data = {}
        return row_id, row.staff_user_id, data if isinstance(data, dict) else {}

    def _create(self, token: str, staff_user_id: int, data: dict, replaced_token: str | None) -> None:
        now = utcnow()
        with self._engine.begin() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_at <= now))
            if replaced_token:  # signing in again from the same browser ends the session it had
                conn.execute(delete(staff_sessions).where(staff_sessions.c.id == _row_id(replaced_token)))
            conn.execute(
                staff_sessions.insert().values(
                    id=_row_id(token),
                    staff_user_id=staff_user_id,
                    data=json.dumps(data),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=self._expiry(now, now),
                )
            )

    def _save_data(self, row_id: str, data: dict) -> None:
        # an UPDATE, never an insert: a session ended meanwhile (e.g. by a password change) stays ended
        with self._engine.begin() as conn:
            conn.execute(update(staff_sessions).where(staff_sessions.c.id == row_id).values(data=json.dumps(data)))

    def _delete(self, row_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.id == row_id))
