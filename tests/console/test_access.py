"""Access control, enumerated from the app's router so a new route cannot slip past."""
from __future__ import annotations

import re

import aiohttp

from console.security import ADMIN_ROUTE_PREFIX, API_ROUTE_PREFIX, PUBLIC_ROUTES
from console.tokens import create_token, revoke_token
from tests.console.conftest import page_csrf

SEEDED_SECRET = "Zephyrine"  # appears only in data, so any leak shows up in a response body


def concrete_routes(app):
    """(name, method, concrete path) for every route, placeholders filled with an existing id."""
    routes = []
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        path = re.sub(r"\{[^}]+\}", "1", path)
        if route.name == "static":
            path = path.rstrip("/") + "/console.css"
        routes.append((route.name, route.method, path))
    return routes


def test_every_route_is_named_so_access_rules_apply(console):
    routes = concrete_routes(console.app)
    assert len(routes) >= 15
    assert all(name for name, _, _ in routes), "an unnamed route would escape the access rules"


async def test_no_page_or_api_answers_without_authentication(console, store, anonymous):
    store.save_callback("web:conv-1", SEEDED_SECRET, "email", "zephyrine@example.org")
    checked = 0
    for name, method, path in concrete_routes(console.app):
        if name in PUBLIC_ROUTES:
            continue
        async with anonymous.request(method, console.url(path), allow_redirects=False) as response:
            body = await response.text()
            if name.startswith(API_ROUTE_PREFIX):
                assert response.status == 401, (name, response.status)
            else:
                assert response.status in (302, 303), (name, response.status)
                assert response.headers["Location"].startswith("/login"), name
            assert SEEDED_SECRET not in body and "zephyrine@" not in body, name
            checked += 1
    assert checked >= 15


async def test_public_routes_serve_no_data(console, store, anonymous):
    store.save_callback("web:conv-1", SEEDED_SECRET, "email", "zephyrine@example.org")
    assert PUBLIC_ROUTES == {"login", "login_submit", "static"}
    async with anonymous.get(console.url("/login")) as response:
        assert response.status == 200
        assert SEEDED_SECRET not in await response.text()
    async with anonymous.get(console.url("/static/console.css")) as response:
        assert response.status == 200
    async with anonymous.get(console.url("/static/../conftest.py")) as response:
        assert response.status in (403, 404)


async def test_anonymous_post_with_a_valid_csrf_token_is_still_refused(console, store, anonymous):
    store.save_preferences("web:conv-1", "socketio", {"state": "OR"})
    async with anonymous.get(console.url("/login")) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', await response.text()).group(1)
    async with anonymous.post(console.url("/inquiries/1/status"), data={"csrf_token": token, "to_status": "in_review"},
                              allow_redirects=False) as response:
        assert response.status in (302, 303)
    assert store.get_inquiry("web:conv-1")["status"] == "new"


async def test_coordinator_cannot_reach_any_admin_route(console, coordinator_client):
    admin_routes = [r for r in concrete_routes(console.app) if r[0].startswith(ADMIN_ROUTE_PREFIX)]
    assert {name for name, _, _ in admin_routes} >= {"admin_audit", "admin_staff", "admin_tokens"}
    token = await page_csrf(coordinator_client, console)
    for name, method, path in admin_routes:
        data = {"csrf_token": token, "username": "mallory", "password": "x" * 20, "role": "admin", "name": "t"}
        async with coordinator_client.request(method, console.url(path), data=data, allow_redirects=False) as response:
            assert response.status == 403, (name, response.status)
    async with coordinator_client.get(console.url("/queue")) as response:
        html = await response.text()
        assert response.status == 200 and "/admin/audit" not in html  # no admin links either
    assert console.app  # the coordinator did not create an admin
    from console.keys import STAFF_KEY
    assert console.app[STAFF_KEY].get_by_username("mallory") is None


async def test_admin_reaches_admin_pages(console, admin_client):
    for path in ("/admin/audit", "/admin/staff", "/admin/tokens"):
        async with admin_client.get(console.url(path)) as response:
            assert response.status == 200, path


async def test_api_requires_a_valid_unrevoked_token(console, store, anonymous):
    store.save_callback("web:conv-1", "Avery", "email", "avery@example.org")
    engine = store.engine
    token = create_token(engine, "clinic-emr", "test")
    url = console.url("/api/v1/inquiries")
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"}):
        async with anonymous.get(url, headers=header) as response:
            assert response.status == 401
    async with anonymous.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 200
        body = await response.json()
        assert body["total"] == 1 and body["inquiries"][0]["callback"]["first_name"] == "Avery"
    async with anonymous.get(console.url("/api/v1/inquiries/1"), headers={"Authorization": f"Bearer {token}"}) as response:
        assert (await response.json())["callback"]["contact_value"] == "avery@example.org"
    from console.tokens import list_tokens
    revoke_token(engine, list_tokens(engine)[0].id)
    async with anonymous.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 401


async def test_session_cookie_is_not_enough_for_the_api(console, admin_client):
    async with admin_client.get(console.url("/api/v1/inquiries")) as response:
        assert response.status == 401
