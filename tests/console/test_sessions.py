"""Sign-in, cookies, CSRF, expiry, sign-out, disabling staff and login throttling."""
from __future__ import annotations

import aiohttp

import console.security as security
from console.security import STAFF_KEY
from console.settings import ConsoleSettings
from tests.console.conftest import ADMIN, COORDINATOR, csrf_from, page_csrf, sign_in


def session_cookie_header(response) -> str:
    headers = [h for h in response.headers.getall("Set-Cookie", []) if h.startswith("console_session=")]
    assert headers, "no session cookie set"
    return headers[-1]


async def test_sign_in_sets_an_httponly_samesite_cookie_without_secure_on_plain_http(console, anonymous):
    response = await sign_in(anonymous, console, *ADMIN)
    assert response.status == 303 and response.headers["Location"] == "/queue"
    cookie = session_cookie_header(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie.replace("samesite", "")


async def test_cookie_is_secure_behind_tls(settings, console, anonymous):
    from console.app import create_app
    from aiohttp.test_utils import TestServer

    tls_settings = ConsoleSettings(**{**settings.__dict__, "trust_proxy": True})
    server = TestServer(create_app(tls_settings, announce_risk=False), port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.get(server.make_url("/login"), headers={"X-Forwarded-Proto": "https"}) as response:
                assert "secure" in session_cookie_header(response).lower().replace("samesite", "")
                assert "Strict-Transport-Security" in response.headers
        # without the proxy header the same server does not claim TLS
        async with aiohttp.ClientSession() as session:
            async with session.get(server.make_url("/login")) as response:
                assert "secure" not in session_cookie_header(response).lower().replace("samesite", "")
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
    store.save_preferences("conv-1", "web", {"state": "OR"})
    url = console.url("/inquiries/1/status")
    for data in ({"to_status": "in_review"}, {"to_status": "in_review", "csrf_token": "forged"}):
        async with admin_client.post(url, data=data, allow_redirects=False) as response:
            assert response.status == 403
    assert store.get_inquiry("conv-1")["status"] == "new"
    token = await page_csrf(admin_client, console)
    async with admin_client.post(url, data={"to_status": "in_review", "csrf_token": token}, allow_redirects=False) as response:
        assert response.status == 303
    assert store.get_inquiry("conv-1")["status"] == "in_review"


async def test_csrf_token_of_another_session_is_rejected(console, store, admin_client, coordinator_client):
    store.save_preferences("conv-1", "web", {"state": "OR"})
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


async def test_idle_session_expires(console, admin_client, monkeypatch):
    real_time = security.time.time
    monkeypatch.setattr(security.time, "time", lambda: real_time() + console.settings.session_idle_minutes * 60 + 5)
    async with admin_client.get(console.url("/queue"), allow_redirects=False) as response:
        assert response.status == 302


async def test_session_ends_at_the_absolute_limit_even_when_active(console, admin_client, monkeypatch):
    real_time = security.time.time
    offset = 0
    monkeypatch.setattr(security.time, "time", lambda: real_time() + offset)
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
