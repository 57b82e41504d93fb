"""After sign-in the console only ever redirects to its own pages (no open redirect via `next`)."""
from __future__ import annotations

import html
import re
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from console.params import local_redirect_target
from tests.console.conftest import ADMIN, csrf_from

NEXT_INPUT = re.compile(r'name="next" value="([^"]*)"')

# (raw query-string value, as an attacker would put it in a link)
OFF_SITE = [
    "%2F%09%2Fevil.example",          # "/\t/evil.example": browsers drop the tab and read //evil.example
    "//evil.example",
    "%2F%2Fevil.example",
    "%252F%252Fevil.example",         # encoded twice
    "/%5Cevil.example",               # "/\evil.example": browsers read the backslash as a slash
    "%2F%5Cevil.example",
    "https://evil.example",
    "https%3A%2F%2Fevil.example",
    "javascript:alert(1)",
    "javascript%3Aalert(1)",
    "evil.example",
    "%2F%0D%0ALocation:%20https://evil.example",  # header splitting attempt
    "/%00/evil.example",
    "%20//evil.example",
    "/%2F/evil.example",
    "///evil.example",
]


async def sign_in_with_next(session: aiohttp.ClientSession, console, raw_next: str) -> tuple[str, str]:
    """(the `next` the login form carries, where sign-in then redirects)."""
    login_url = URL(console.url("/login") + "?next=" + raw_next, encoded=True)
    async with session.get(login_url) as response:
        page = await response.text()
    carried = html.unescape(NEXT_INPUT.search(page).group(1))
    async with session.post(console.url("/login"), allow_redirects=False, data={
        "username": ADMIN[0], "password": ADMIN[1], "csrf_token": csrf_from(page), "next": carried,
    }) as response:
        assert response.status == 303
        return carried, response.headers["Location"]


@pytest.mark.parametrize("raw_next", OFF_SITE)
async def test_off_site_next_lands_on_the_queue(console, raw_next):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        carried, location = await sign_in_with_next(session, console, raw_next)
    assert carried == "/queue"
    assert location == "/queue"


async def test_a_posted_off_site_next_is_refused_too(console, anonymous):
    """The form field is checked again on submit: a crafted form cannot skip the login page's check."""
    async with anonymous.get(console.url("/login")) as response:
        token = csrf_from(await response.text())
    async with anonymous.post(console.url("/login"), allow_redirects=False, data={
        "username": ADMIN[0], "password": ADMIN[1], "csrf_token": token, "next": "/\t/evil.example",
    }) as response:
        assert response.headers["Location"] == "/queue"


@pytest.mark.parametrize("raw_next, expected", [
    ("/inquiries/3", "/inquiries/3"),
    (quote("/queue?status=all&risk=high", safe=""), "/queue?status=all&risk=high"),
    ("", "/queue"),
])
async def test_a_local_next_is_kept(console, raw_next, expected):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        carried, location = await sign_in_with_next(session, console, raw_next)
    assert carried == expected and location == expected


async def test_the_login_redirect_of_a_protected_page_round_trips(console, store, anonymous):
    """Following a deep link while signed out comes back to it after sign-in."""
    store.save_preferences("web:conv-1", "socketio", {"state": "OR"})
    async with anonymous.get(console.url("/inquiries/1?x=1"), allow_redirects=False) as response:
        login_location = response.headers["Location"]
    raw_next = login_location.split("next=", 1)[1]
    carried, location = await sign_in_with_next(anonymous, console, raw_next)
    assert location == "/inquiries/1?x=1"


@pytest.mark.parametrize("value", [
    "/\t/evil.example", "/\n/evil.example", "/\x00x", "/ x", "/\u3000x", "/\u202e/x", "\\\\evil.example",
    "/\\evil.example", "//evil.example", "http:evil.example", "http://evil.example", "mailto:a@evil.example",
    "queue", "./queue", "", None,
])
def test_local_redirect_target_refuses(value):
    assert local_redirect_target(value) == "/queue"
