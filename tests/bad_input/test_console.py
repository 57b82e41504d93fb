"""Staff console (`python -m console run`, a real aiohttp server): junk query parameters and ids on
every route, junk in the JSON API, sign-in form junk, posts without (or with a wrong) CSRF token,
junk forms and cookies.

Expected: a 4xx (or a redirect, or the page), never a 5xx or a hang; and the queue and the API
answer normally right after. The routes are read from console.app.add_routes, so a route added
later is covered without editing this file.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import pytest
import requests
from aiohttp import web

from console.api import LIST_PARAMETERS
from console.app import add_routes
from tests.bad_input.console_stack import ADMIN, csrf_from, sign_in
from tests.bad_input.probe import Reply, assert_json_error, http
from tests.bad_input.values import EMAILS, PHONES

pytestmark = pytest.mark.e2e


def _routes() -> List[Tuple[str, str, str]]:
    """(method, path template, name) of every console route but static files and HEAD."""
    app = web.Application()
    add_routes(app)
    return sorted({(r.method, r.resource.canonical, r.name) for r in app.router.routes()
                   if r.method in ("GET", "POST") and r.name != "static"})


ROUTES = _routes()
GET_ROUTES = [(path, name) for method, path, name in ROUTES if method == "GET" and "{" not in path]
ID_ROUTES = [(method, path, name) for method, path, name in ROUTES if "{" in path]
POST_ROUTES = [(path, name) for method, path, name in ROUTES if method == "POST"]
QUEUE_PARAMETERS = sorted({"status", "channel", "risk", "state", "callback", "from", "to", "page", "assigned",
                           "overdue", "escalated", "sort", "inquiry", "next"})

JUNK = [
    ("empty", ""), ("blank", "  "), ("nul", "\x00"), ("newline", "a\r\nb"), ("sql", "' OR 1=1; DROP TABLE inquiries;--"),
    ("html", "<script>alert(1)</script>"), ("huge-number", "9" * 3000), ("negative", "-1"), ("zero", "0"),
    ("big-int", str(2 ** 64)), ("float", "1.5"), ("fullwidth", "１"), ("arabic-digit", "٣"), ("bad-date", "2024-13-45"),
    ("first-date", "0001-01-01"), ("last-date", "9999-12-31"), ("emoji", "😀"), ("rtl", "\u202eall"),
    ("email", EMAILS[0]), ("phone", PHONES[0]), ("long", "a" * 3000), ("raw-byte", "\udcff"), ("url", "//evil.example/x"),
]
JUNK_IDS = ["0", "-1", "1.5", "abc", "9" * 19, "9" * 20, "9" * 3000, "%00", "%ff", "１", "٣", "%20", "1%0a", "null",
            "%E2%80%AE1", "1e3", "0x10", "+1", "%2e%2e"]


def _bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def assert_not_a_server_error(reply: Reply) -> None:
    assert reply.status < 500, (reply.status, reply.text[:300])
    if 300 <= reply.status < 400:
        location = reply.headers.get("Location", "")
        assert location.startswith("/") and not location.startswith("//"), location  # never off-site


@pytest.fixture
def console_ok(console_server, admin_session):
    """After the case: the queue page and the API still answer normally."""
    yield
    queue = http("GET", f"{console_server.url}/queue", session=admin_session)
    assert queue.status == 200 and "csrf_token" in queue.text, queue.status
    api = http("GET", f"{console_server.url}/api/v1/inquiries", headers=bearer(console_server.api_token))
    assert api.status == 200 and isinstance(api.json()["inquiries"], list), api.status


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_csrf(console_server, session: requests.Session) -> str:
    return csrf_from(http("GET", f"{console_server.url}/queue", session=session).text)


# -- query parameters ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [pytest.param(v, id=k) for k, v in JUNK])
@pytest.mark.parametrize("parameter", QUEUE_PARAMETERS)
def test_junk_queue_parameter(console_server, admin_session, console_ok, parameter, value):
    reply = http("GET", f"{console_server.url}/queue", session=admin_session, params={parameter: _bytes(value)})
    assert_not_a_server_error(reply)
    assert reply.status in (200, 400), reply.status


@pytest.mark.parametrize("value", [pytest.param(v, id=k) for k, v in JUNK])
@pytest.mark.parametrize("parameter", sorted(LIST_PARAMETERS | {"unknown"}))
def test_junk_api_list_parameter(console_server, console_ok, parameter, value):
    reply = http("GET", f"{console_server.url}/api/v1/inquiries", headers=bearer(console_server.api_token),
                 params={parameter: _bytes(value)})
    if reply.status != 200:
        assert_json_error(reply, 400)


@pytest.mark.parametrize("path, name", GET_ROUTES, ids=[name for _, name in GET_ROUTES])
@pytest.mark.parametrize("query", [
    pytest.param("&".join(f"{p}=%00%ff<x>" for p in QUEUE_PARAMETERS), id="every-parameter-junk"),
    pytest.param("&".join(f"p{i}=1" for i in range(500)), id="many-parameters"),
    pytest.param("page=1&page=2&status=new&status=closed", id="repeated"),
    pytest.param("%&%%=%G0&=&&", id="bad-percent"),
])
def test_junk_query_on_every_page(console_server, admin_session, console_ok, path, name, query):
    headers = bearer(console_server.api_token) if name.startswith("api_") else {}
    reply = http("GET", f"{console_server.url}{path}?{query}", session=admin_session, headers=headers)
    assert_not_a_server_error(reply)
    if name.startswith("api_") and reply.status >= 400:
        assert_json_error(reply)


# -- ids in paths -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("junk_id", JUNK_IDS)
@pytest.mark.parametrize("method, path, name", ID_ROUTES, ids=[name for _, _, name in ID_ROUTES])
def test_junk_id_in_every_path(console_server, admin_session, console_ok, method, path, name, junk_id):
    url = console_server.url + path.split("{")[0] + junk_id + path.split("}", 1)[1]
    if name.startswith("api_"):
        reply = http(method, url, headers=bearer(console_server.api_token))
        assert_json_error(reply, 400, 404)
    elif method == "POST":
        reply = http(method, url, session=admin_session,
                     data={"csrf_token": admin_csrf(console_server, admin_session), "to_status": "closed", "note": "x"})
        assert 400 <= reply.status < 500, reply.status
    else:
        reply = http(method, url, session=admin_session)
        assert 400 <= reply.status < 500, reply.status


@pytest.mark.parametrize("include", ["", "transcript", "TRANSCRIPT", "all", "\x00", "transcript,history", "😀"])
def test_api_detail_include_values(console_server, console_ok, include):
    inquiry_id = console_server.inquiry_ids[0]
    reply = http("GET", f"{console_server.url}/api/v1/inquiries/{inquiry_id}", headers=bearer(console_server.api_token),
                 params={"include": include})
    if reply.status != 200:
        assert_json_error(reply, 400)


# -- who is asking ------------------------------------------------------------------------------------------
API_AUTH = [
    ("missing", None), ("empty", ""), ("scheme-only", "Bearer"), ("wrong", "Bearer ict_wrong"), ("basic", "Basic YTpi"),
    ("huge", "Bearer " + "x" * 7000), ("latin1", "Bearer \xe9"), ("nul", "Bearer ict_\x00"), ("sql", "Bearer ' OR 1=1 --"),
    ("bare-token", "token-below"),
]


@pytest.mark.parametrize("header", [pytest.param(h, id=k) for k, h in API_AUTH])
@pytest.mark.parametrize("path", ["/api/v1/inquiries", "/api/v1/inquiries/1", "/api/v1/inquiries/x"])
def test_api_without_a_valid_token_is_401_json(console_server, console_ok, header, path):
    if header == "token-below":
        header = console_server.api_token
    reply = http("GET", console_server.url + path, headers={} if header is None else {"Authorization": header})
    if "\x00" in (header or "") and reply.content_type.startswith("text/plain"):
        assert reply.status == 400  # aiohttp's HTTP parser refuses a NUL in a header before the app sees it
    else:
        assert_json_error(reply, 401)


@pytest.mark.parametrize("path, name", [(p, n) for _, p, n in ROUTES], ids=[f"{m}-{n}" for m, _, n in ROUTES])
def test_anonymous_requests_go_to_sign_in(console_server, console_ok, path, name):
    method = next(m for m, p, n in ROUTES if p == path and n == name)
    reply = http(method, console_server.url + path.replace("{inquiry_id}", "1").replace("{token_id}", "1"),
                 data={"x": "1"} if method == "POST" else None)
    assert_not_a_server_error(reply)
    assert reply.status in (200, 302, 303, 401, 403), reply.status


@pytest.mark.parametrize("path, name", [(p, n) for m, p, n in ROUTES if n.startswith("admin_") and m == "GET"])
def test_coordinator_is_refused_admin_pages(console_server, coordinator_session, console_ok, path, name):
    assert http("GET", console_server.url + path, session=coordinator_session).status == 403


@pytest.mark.parametrize("cookie", [
    "console_session=junk", "console_session=\xff\xfe", "console_signin=\xff", "console_session=" + "A" * 4000,
    "console_session=%00%ff", "console_session=\"x\"",
    "console_signin=junk; console_session=junk", "console_session=; console_session=x", "=;=;=",
])
def test_junk_session_cookies(console_server, console_ok, cookie):
    for path in ("/queue", "/login"):
        reply = http("GET", console_server.url + path, headers={"Cookie": cookie})
        assert_not_a_server_error(reply)
        assert reply.status in (200, 302), reply.status


# -- forms ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, "", "wrong", "x" * 5000, "\x00"])
@pytest.mark.parametrize("path, name", POST_ROUTES, ids=[name for _, name in POST_ROUTES])
def test_posts_without_the_right_csrf_token_are_refused(console_server, admin_session, console_ok, path, name, token):
    url = console_server.url + path.replace("{inquiry_id}", str(console_server.inquiry_ids[0])).replace("{token_id}", "1")
    form = {"note": "not saved", "to_status": "closed", "username": "zed", "password": "p" * 20, "name": "t"}
    if token is not None:
        form["csrf_token"] = token
    reply = http("POST", url, session=admin_session, data=form)
    assert reply.status == 403, reply.status


@pytest.mark.parametrize("header", ["wrong", "\xff\xfe", "x" * 5000, ""])
@pytest.mark.parametrize("path, name", POST_ROUTES, ids=[name for _, name in POST_ROUTES])
def test_posts_with_a_wrong_csrf_header_are_refused(console_server, admin_session, console_ok, path, name, header):
    url = console_server.url + path.replace("{inquiry_id}", str(console_server.inquiry_ids[0])).replace("{token_id}", "1")
    reply = http("POST", url, session=admin_session, data={"note": "not saved"}, headers={"X-CSRF-Token": header})
    assert reply.status == 403, reply.status


BROKEN_FORMS = [
    ("invalid-utf8", b"note=\xff\xfe&to_status=closed", "application/x-www-form-urlencoded"),
    ("cut-multipart", b"--x\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello", "multipart/form-data; boundary=x"),
    ("multipart-no-boundary", b"--x\r\n\r\nhello\r\n--x--\r\n", "multipart/form-data"),
    ("multipart-invalid-utf8", b"--x\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n\xff\xfe\r\n--x--\r\n",
     "multipart/form-data; boundary=x"),
]


@pytest.mark.parametrize("body, content_type", [pytest.param(b, c, id=k) for k, b, c in BROKEN_FORMS])
@pytest.mark.parametrize("path, name", [(p, n) for p, n in POST_ROUTES if n != "logout"],
                         ids=[n for _, n in POST_ROUTES if n != "logout"])
def test_unreadable_form_with_a_valid_csrf_header_is_400(console_server, admin_session, console_ok, path, name,
                                                        body, content_type):
    url = console_server.url + path.replace("{inquiry_id}", str(console_server.inquiry_ids[0])).replace("{token_id}", "1")
    reply = http("POST", url, session=admin_session, data=body,
                 headers={"Content-Type": content_type, "X-CSRF-Token": admin_csrf(console_server, admin_session)})
    assert_not_a_server_error(reply)
    assert reply.status in (400, 403), reply.status


SIGN_IN_FORMS = [
    ("wrong-password", {"username": ADMIN[0], "password": "wrong"}), ("no-fields", {}),
    ("huge-username", {"username": "u" * 100_000, "password": "x"}), ("nul", {"username": "ada\x00", "password": "\x00"}),
    ("sql", {"username": "' OR 1=1 --", "password": "' OR '1'='1"}), ("html", {"username": "<script>", "password": "x"}),
    ("email", {"username": EMAILS[0], "password": PHONES[0]}), ("unicode", {"username": "ａｄａ", "password": "😀" * 50}),
    ("next-offsite", {"username": ADMIN[0], "password": "wrong", "next": "//evil.example"}),
    ("next-javascript", {"username": ADMIN[0], "password": "wrong", "next": "javascript:alert(1)"}),
    ("repeated", [("username", "a"), ("username", "b"), ("password", "x")]),
]


@pytest.mark.parametrize("form", [pytest.param(f, id=k) for k, f in SIGN_IN_FORMS])
def test_sign_in_form_junk(console_server, console_ok, form):
    with requests.Session() as session:
        token = csrf_from(http("GET", f"{console_server.url}/login", session=session).text)
        fields = list(form.items()) if isinstance(form, dict) else list(form)
        reply = http("POST", f"{console_server.url}/login", session=session, data=fields + [("csrf_token", token)])
    assert 400 <= reply.status < 500, reply.status


@pytest.mark.parametrize("body, content_type", [
    pytest.param(b'{"username": "ada", "password": "x"}', "application/json", id="json"),
    pytest.param(b"\xff\xfe\x00", "application/x-www-form-urlencoded", id="invalid-utf8"),
    pytest.param(b"username=" + b"a" * 300_000, "application/x-www-form-urlencoded", id="over-size-limit"),
    pytest.param(b"--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nada", "multipart/form-data; boundary=x",
                 id="broken-multipart"),
    pytest.param(b"", None, id="empty"),
])
def test_sign_in_raw_body_junk(console_server, console_ok, body, content_type):
    with requests.Session() as session:
        http("GET", f"{console_server.url}/login", session=session)
        reply = http("POST", f"{console_server.url}/login", session=session, data=body,
                     headers={"Content-Type": content_type})
    assert 400 <= reply.status < 500, reply.status


FORM_CASES = [
    ("status-junk", "/inquiries/{id}/status", {"to_status": "<script>", "note": "n"}),
    ("status-huge-note", "/inquiries/{id}/status", {"to_status": "in_review", "note": "n" * 200_000}),
    ("status-nul", "/inquiries/{id}/status", {"to_status": "\x00", "note": "\x00"}),
    ("note-empty", "/inquiries/{id}/notes", {"note": ""}),
    ("note-huge", "/inquiries/{id}/notes", {"note": "n" * 200_000}),
    ("note-personal", "/inquiries/{id}/notes", {"note": f"called {PHONES[1]}, wrote {EMAILS[1]}"}),
    ("staff-junk", "/admin/staff", {"username": "' OR 1=1", "password": "x", "role": "god"}),
    ("staff-huge", "/admin/staff", {"username": "u" * 100_000, "password": "p" * 100_000, "role": "admin"}),
    ("staff-active-junk", "/admin/staff/active", {"username": "\x00", "active": "maybe"}),
    ("staff-active-nobody", "/admin/staff/active", {"username": "nobody-here", "active": "0"}),
    ("staff-password-junk", "/admin/staff/password", {"username": "nobody-here", "password": "short"}),
    ("token-empty-name", "/admin/tokens", {"name": ""}),
    ("token-huge-name", "/admin/tokens", {"name": "t" * 10_000}),
    ("account-password-junk", "/account/password",
     {"current_password": "\x00", "new_password": "x" * 100_000, "repeat_password": "y"}),
]


@pytest.mark.parametrize("path, form", [pytest.param(p, f, id=k) for k, p, f in FORM_CASES])
def test_junk_forms_with_a_valid_csrf_token(console_server, admin_session, console_ok, path, form):
    url = console_server.url + path.replace("{id}", str(console_server.inquiry_ids[-1]))
    reply = http("POST", url, session=admin_session, data={**form, "csrf_token": admin_csrf(console_server, admin_session)})
    assert_not_a_server_error(reply)
    assert reply.status in (303, 400, 404, 413, 429), reply.status


def test_signed_in_session_still_works_after_a_new_sign_in(console_server):
    """Signing in again (a fresh session) while cases run leaves everything answering."""
    with sign_in(console_server, *ADMIN) as session:
        assert http("GET", f"{console_server.url}/queue", session=session).status == 200
