"""Server-side sessions: a copied cookie is worth nothing once the session ends (sign-out,
password change, disabling, expiry), because the session is a database row the cookie only names."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import aiohttp
from sqlalchemy import func, select, update

from console.keys import STAFF_KEY
from console.staff import StaffDirectory, make_hasher
from intake.models import staff_sessions
from intake.store import utcnow
from tests.console.conftest import ADMIN, COORDINATOR, page_csrf, sign_in

NEW_PASSWORD = "a-brand-new-password-1"


def session_token(client: aiohttp.ClientSession, console) -> str:
    return client.cookie_jar.filter_cookies(console.server.make_url("/"))["console_session"].value


async def replay(console, token: str, path: str = "/queue", headers: dict | None = None) -> aiohttp.ClientResponse:
    """A request carrying nothing but a saved copy of a session cookie."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as client:
        async with client.get(console.url(path), allow_redirects=False,
                              headers={"Cookie": f"console_session={token}", **(headers or {})}) as response:
            await response.read()
            return response


def session_rows(store, username: str | None = None) -> list:
    query = select(staff_sessions)
    if username:
        member = StaffDirectory(store.engine, make_hasher(1, 1024)).get_by_username(username)
        query = query.where(staff_sessions.c.staff_user_id == member.id)
    with store.engine.connect() as conn:
        return conn.execute(query).all()


async def signed_in_client(console, username: str, password: str) -> aiohttp.ClientSession:
    client = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    assert (await sign_in(client, console, username, password)).status == 303
    return client


async def test_the_cookie_only_names_a_row_keyed_by_its_hash(console, store, admin_client):
    token = session_token(admin_client, console)
    (row,) = session_rows(store, ADMIN[0])
    assert row.id == hashlib.sha256(token.encode()).hexdigest() and token not in row.id
    assert "csrf" in row.data  # the session's values live in the row, not in the cookie
    assert row.expires_at <= row.created_at + timedelta(hours=console.settings.session_max_hours)
    assert (await replay(console, token)).status == 200


async def test_a_saved_cookie_is_refused_after_sign_out(console, store, admin_client):
    token = session_token(admin_client, console)
    csrf = await page_csrf(admin_client, console)
    async with admin_client.post(console.url("/logout"), data={"csrf_token": csrf}, allow_redirects=False) as response:
        assert response.status == 303
    assert session_rows(store, ADMIN[0]) == []
    response = await replay(console, token)
    assert response.status == 302 and response.headers["Location"].startswith("/login")
    # the stale cookie is cleared, and the API never takes a cookie anyway
    assert any(h.startswith("console_session=;") or 'console_session=""' in h
               for h in response.headers.getall("Set-Cookie", []))
    assert (await replay(console, token, "/api/v1/inquiries")).status == 401


async def test_a_made_up_cookie_opens_nothing(console, store, admin_client):
    row_id = session_rows(store, ADMIN[0])[0].id  # even the row id (a leaked table) is not a cookie
    for token in (row_id, "x" * 43, "x" * 5000, "", "%00"):
        response = await replay(console, token)
        assert response.status == 302, token[:10]


async def test_own_password_change_ends_other_sessions_and_keeps_a_fresh_one(console, store, coordinator_client):
    laptop_token = session_token(coordinator_client, console)
    phone = await signed_in_client(console, *COORDINATOR)
    try:
        phone_token = session_token(phone, console)
        assert len(session_rows(store, COORDINATOR[0])) == 2
        csrf = await page_csrf(coordinator_client, console, "/account/password")
        async with coordinator_client.post(
            console.url("/account/password"), allow_redirects=False,
            data={"csrf_token": csrf, "current_password": COORDINATOR[1],
                  "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
        ) as response:
            assert response.status == 303 and response.headers["Location"] == "/queue"
        async with phone.get(console.url("/queue"), allow_redirects=False) as response:
            assert response.status == 302
        assert (await replay(console, phone_token)).status == 302
        assert (await replay(console, laptop_token)).status == 302  # the old cookie of this browser too
        async with coordinator_client.get(console.url("/queue")) as response:  # but this browser stays in
            assert response.status == 200 and "Your other sessions are signed out" in await response.text()
        assert len(session_rows(store, COORDINATOR[0])) == 1
        assert console.app[STAFF_KEY].authenticate(COORDINATOR[0], NEW_PASSWORD) is not None
    finally:
        await phone.close()


async def test_own_password_change_needs_the_current_password(console, store, coordinator_client):
    other = await signed_in_client(console, *COORDINATOR)
    try:
        for data, error in (
            ({"current_password": "not-my-password-1", "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
             "current password is wrong"),
            ({"current_password": COORDINATOR[1], "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD + "x"},
             "passwords differ"),
            ({"current_password": COORDINATOR[1], "new_password": "short", "repeat_password": "short"},
             "at least 12 characters"),
        ):
            csrf = await page_csrf(coordinator_client, console, "/account/password")
            async with coordinator_client.post(console.url("/account/password"), data={"csrf_token": csrf, **data},
                                               allow_redirects=False) as response:
                assert response.status == 400 and error in await response.text()
        async with other.get(console.url("/queue"), allow_redirects=False) as response:
            assert response.status == 200  # nothing changed, nobody signed out
        assert console.app[STAFF_KEY].authenticate(*COORDINATOR) is not None
    finally:
        await other.close()


async def test_admin_setting_a_password_ends_that_members_sessions(console, store, admin_client, coordinator_client):
    token = session_token(coordinator_client, console)
    csrf = await page_csrf(admin_client, console, "/admin/staff")
    async with admin_client.post(console.url("/admin/staff/password"), allow_redirects=False,
                                 data={"csrf_token": csrf, "username": COORDINATOR[0], "password": NEW_PASSWORD}) as response:
        assert response.status == 303
    assert session_rows(store, COORDINATOR[0]) == []
    assert (await replay(console, token)).status == 302
    async with admin_client.get(console.url("/admin/staff")) as response:  # the admin's own session is untouched
        assert response.status == 200
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as fresh:
        assert (await sign_in(fresh, console, COORDINATOR[0], NEW_PASSWORD)).status == 303


async def test_admin_setting_their_own_password_stays_signed_in(console, store, admin_client):
    csrf = await page_csrf(admin_client, console, "/admin/staff")
    async with admin_client.post(console.url("/admin/staff/password"), allow_redirects=False,
                                 data={"csrf_token": csrf, "username": ADMIN[0], "password": NEW_PASSWORD}) as response:
        assert response.status == 303
    async with admin_client.get(console.url("/admin/staff"), allow_redirects=False) as response:
        assert response.status == 200


async def test_password_set_from_the_command_line_ends_sessions(console, store, coordinator_client):
    token = session_token(coordinator_client, console)
    console.app[STAFF_KEY].set_password(COORDINATOR[0], NEW_PASSWORD)  # what `python -m console set-password` calls
    assert session_rows(store, COORDINATOR[0]) == []
    assert (await replay(console, token)).status == 302


async def test_disabling_a_member_ends_their_sessions(console, store, admin_client, coordinator_client):
    token = session_token(coordinator_client, console)
    csrf = await page_csrf(admin_client, console, "/admin/staff")
    async with admin_client.post(console.url("/admin/staff/active"), allow_redirects=False,
                                 data={"csrf_token": csrf, "username": COORDINATOR[0], "active": "0"}) as response:
        assert response.status == 303
    assert session_rows(store, COORDINATOR[0]) == []
    assert (await replay(console, token)).status == 302
    # enabling the account again does not bring the old session back
    console.app[STAFF_KEY].set_active(COORDINATOR[0], True)
    assert (await replay(console, token)).status == 302


async def test_a_session_past_its_expiry_is_refused_and_deleted(console, store, admin_client, coordinator_client):
    token = session_token(coordinator_client, console)
    with store.engine.begin() as conn:
        conn.execute(update(staff_sessions).where(staff_sessions.c.id == hashlib.sha256(token.encode()).hexdigest())
                     .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await replay(console, token)).status == 302
    assert session_rows(store, COORDINATOR[0]) == []
    async with admin_client.get(console.url("/queue"), allow_redirects=False) as response:
        assert response.status == 200  # other sessions are unaffected


async def test_expired_rows_are_cleared_when_a_session_starts(console, store, admin_client, coordinator_client):
    with store.engine.begin() as conn:
        conn.execute(update(staff_sessions).values(expires_at=utcnow() - timedelta(minutes=1)))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as fresh:
        assert (await sign_in(fresh, console, *ADMIN)).status == 303
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(staff_sessions)).scalar() == 1


async def test_signing_in_again_replaces_the_browsers_session(console, store, admin_client):
    first = session_token(admin_client, console)
    assert (await sign_in(admin_client, console, *ADMIN)).status == 303
    second = session_token(admin_client, console)
    assert first != second
    assert (await replay(console, first)).status == 302
    assert (await replay(console, second)).status == 200
    assert len(session_rows(store, ADMIN[0])) == 1


async def test_activity_keeps_a_session_alive_only_up_to_the_idle_timeout(console, store, admin_client, monkeypatch):
    import console.sessions as sessions

    real_utcnow = sessions.utcnow
    idle = timedelta(minutes=console.settings.session_idle_minutes)
    later = timedelta()
    monkeypatch.setattr(sessions, "utcnow", lambda: real_utcnow() + later)
    later = idle - timedelta(minutes=1)
    async with admin_client.get(console.url("/queue"), allow_redirects=False) as response:
        assert response.status == 200  # just inside the idle timeout: the request counts as activity
    later = 2 * idle - timedelta(minutes=3)
    async with admin_client.get(console.url("/queue"), allow_redirects=False) as response:
        assert response.status == 200
    (row,) = session_rows(store, ADMIN[0])
    assert row.last_seen_at > row.created_at + idle


async def test_guessing_the_current_password_from_a_session_is_throttled(console, coordinator_client):
    async def change(current: str) -> int:
        csrf = await page_csrf(coordinator_client, console, "/account/password")
        async with coordinator_client.post(console.url("/account/password"), allow_redirects=False, data={
            "csrf_token": csrf, "current_password": current, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD,
        }) as response:
            return response.status

    for _ in range(console.settings.login_max_failures):
        assert await change("a-wrong-guess-123") == 400
    assert await change(COORDINATOR[1]) == 429  # even the right one, until the lock-out passes
    assert console.app[STAFF_KEY].authenticate(*COORDINATOR) is not None
