"""Sign-in, cookies, CSRF, expiry, sign-out, disabling staff and login throttling."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

import console.sessions as sessions
from console.app import create_app
from console.keys import STAFF_KEY
from console.settings import ConsoleSettings
from tests.console.conftest import ADMIN, COORDINATOR, csrf_from, page_csrf, sign_in


def cookie_header(response, name: str) -> str:
    headers = [h for h in response.headers.getall("Set-Cookie", []) if h.startswith(f"{name}=")]
    assert headers, f"no {name} cookie set"
    return headers[-1]


def session_cookie_header(response) -> str:
    return cookie_header(response, "console_session")


async def test_sign_in_sets_an_httponly_samesite_cookie_without_secure_on_plain_http(console, anonymous):
    response = await sign_in(anonymous, console, *ADMIN)
    assert response.status == 303 and response.headers["Location"] == "/queue"
    cookie = session_cookie_header(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie.replace("samesite", "")


async def _server(settings: ConsoleSettings):
    server = TestServer(create_app(settings, announce_risk=False), port=0)
    await server.start_server()
    return server


def _is_secure(set_cookie: str) -> bool:
    return "secure" in set_cookie.lower().replace("samesite", "")


async def test_secure_flag_is_fixed_from_the_public_url_not_the_request(settings, store, staff):
    """An https public URL means Secure cookies (and HSTS) even on the plain-HTTP hop behind the proxy."""
    server = await _server(replace(settings, public_url="https://console.example.org"))
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as client:
            async with client.get(server.make_url("/login")) as response:
                signin_cookie = cookie_header(response, "console_signin")
                assert _is_secure(signin_cookie)
                assert "Strict-Transport-Security" in response.headers
                token = csrf_from(await response.text())
            # a browser would only send the Secure cookie over https; hand it over explicitly here
            async with client.post(
                server.make_url("/login"),
                data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": token, "next": "/queue"},
                headers={"Cookie": signin_cookie.split(";")[0]}, allow_redirects=False,
            ) as response:
                assert response.status == 303
                assert _is_secure(session_cookie_header(response))
    finally:
        await server.close()


async def test_cookie_secure_setting_overrides_the_public_url(settings):
    for mode, public_url, secure in (("never", "https://console.example.org", False),
                                     ("always", "http://127.0.0.1:5080", True),
                                     ("auto", "http://127.0.0.1:5080", False)):
        server = await _server(replace(settings, cookie_secure=mode, public_url=public_url))
        try:
            async with aiohttp.ClientSession() as client:
                async with client.get(server.make_url("/login"), headers={"X-Forwarded-Proto": "https"}) as response:
                    assert _is_secure(cookie_header(response, "console_signin")) is secure, mode
        finally:
            await server.close()


def test_unknown_cookie_secure_setting_is_refused(monkeypatch):
    monkeypatch.setenv("CONSOLE_COOKIE_SECURE", "sometimes")
    with pytest.raises(SystemExit):
        ConsoleSettings.from_env(serving=False)


async def test_behind_a_trusted_proxy_the_client_address_and_scheme_come_from_it(settings, store):
    """CONSOLE_TRUST_PROXY: X-Forwarded-For decides the address the login throttle counts per client."""
    server = await _server(replace(settings, trust_proxy=True, login_max_failures=1))
    per_address = 4  # LoginThrottle allows 4x the per-user failures from one address
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            async def attempt(username: str, client_address: str) -> int:
                headers = {"X-Forwarded-For": client_address, "X-Forwarded-Proto": "https"}
                async with client.get(server.make_url("/login"), headers=headers) as response:
                    assert "Strict-Transport-Security" in response.headers  # the proxy said https
                    token = csrf_from(await response.text())
                async with client.post(server.make_url("/login"), headers=headers, allow_redirects=False,
                                       data={"username": username, "password": "wrong-password-1", "csrf_token": token}) as response:
                    return response.status

            for n in range(per_address):
                assert await attempt(f"nobody{n}", "203.0.113.5") == 401
            assert await attempt("nobody-else", "203.0.113.5") == 429
            assert await attempt("nobody-else", "203.0.113.6") == 401  # another client behind the same proxy
    finally:
        await server.close()


async def test_wrong_password_and_unknown_user_look_the_same(console, anonymous):
    for username, password in (("ada", "wrong-password-1"), ("nobody", "whatever-password")):
        response = await sign_in(anonymous, console, username, password)
        assert response.status == 401
    async with anonymous.get(console.url("/queue"), allow_redirects=False) as response:
        assert response.status == 302


async def test_login_form_requires_csrf(console, anonymous):
    async with anonymous.post(console.url("/login"), data={"username": ADMIN[0], "password": ADMIN[1]},
                              allow_redirects=False) as response:
        assert response.status == 403


async def test_csrf_rejected_on_state_changing_forms(console, store, admin_client):
    store.save_preferences("web:conv-1", "socketio", {"state": "OR"})
    url = console.url("/inquiries/1/status")
    for data in ({"to_status": "in_review"}, {"to_status": "in_review", "csrf_token": "forged"}):
        async with admin_client.post(url, data=data, allow_redirects=False) as response:
            assert response.status == 403
    assert store.get_inquiry("web:conv-1")["status"] == "new"
    token = await page_csrf(admin_client, console)
    async with admin_client.post(url, data={"to_status": "in_review", "csrf_token": token}, allow_redirects=False) as response:
        assert response.status == 303
    assert store.get_inquiry("web:conv-1")["status"] == "in_review"


async def test_csrf_token_of_another_session_is_rejected(console, store, admin_client, coordinator_client):
    store.save_preferences("web:conv-1", "socketio", {"state": "OR"})
    other_token = await page_csrf(coordinator_client, console)
    async with admin_client.post(console.url("/inquiries/1/notes"), data={"note": "x", "csrf_token": other_token},
                                 allow_redirects=False) as response:
        assert response.status == 403


async def test_sign_out_ends_the_session(console, admin_client):
    token = await page_csrf(admin_client, console)
    async with admin_client.post(console.url("/logout"), data={"csrf_token": token}, allow_redirects=False) as response:
        assert response.status == 303
    async with admin_client.get(console.url("/queue"), allow_redirects=False) as response:
        assert response.status == 302


def shift_clock(monkeypatch, seconds_later):
    """The session store's clock, moved by a changing offset (a callable) or a fixed number of seconds."""
    real_utcnow = sessions.utcnow
    offset = seconds_later if callable(seconds_later) else (lambda: seconds_later)
    monkeypatch.setattr(sessions, "utcnow", lambda: real_utcnow() + timedelta(seconds=offset()))


async def test_idle_session_expires(console, admin_client, monkeypatch):
    shift_clock(monkeypatch, console.settings.session_idle_minutes * 60 + 5)
    async with admin_client.get(console.url("/queue"), allow_redirects=False) as response:
        assert response.status == 302


async def test_session_ends_at_the_absolute_limit_even_when_active(console, admin_client, monkeypatch):
    offset = 0
    shift_clock(monkeypatch, lambda: offset)
    step = (console.settings.session_idle_minutes - 1) * 60
    while offset < console.settings.session_max_hours * 3600 - step:
        offset += step
        async with admin_client.get(console.url("/queue"), allow_redirects=False) as response:
            assert response.status == 200
    offset += step
    async with admin_client.get(console.url("/queue"), allow_redirects=False) as response:
        assert response.status == 302


async def test_disabled_staff_lose_access_at_once(console, coordinator_client):
    console.app[STAFF_KEY].set_active(COORDINATOR[0], False)
    async with coordinator_client.get(console.url("/queue"), allow_redirects=False) as response:
        assert response.status == 302
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as fresh:
        assert (await sign_in(fresh, console, *COORDINATOR)).status == 401


async def test_password_change_signs_out_other_sessions(console, coordinator_client):
    console.app[STAFF_KEY].set_password(COORDINATOR[0], "a-brand-new-password-1")
    async with coordinator_client.get(console.url("/queue"), allow_redirects=False) as response:
        assert response.status == 302


async def test_login_attempts_are_throttled(console, anonymous):
    for _ in range(console.settings.login_max_failures):
        assert (await sign_in(anonymous, console, ADMIN[0], "not-the-password")).status == 401
    # locked out now, even with the right password
    response = await sign_in(anonymous, console, *ADMIN)
    assert response.status == 429


async def test_next_parameter_cannot_redirect_off_site(console, anonymous):
    async with anonymous.get(console.url("/login?next=//evil.example/")) as response:
        token = csrf_from(await response.text())
    async with anonymous.post(console.url("/login"), data={"username": ADMIN[0], "password": ADMIN[1],
                                                           "csrf_token": token, "next": "//evil.example/"},
                              allow_redirects=False) as response:
        assert response.headers["Location"] == "/queue"


async def test_pages_carry_security_headers(console, admin_client):
    async with admin_client.get(console.url("/queue")) as response:
        assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none' covers it
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
