"""Middlewares: security headers, authentication (deny by default), roles, CSRF.

Authentication is enforced here for every route rather than per handler, so a new route is
protected unless it is deliberately named in PUBLIC_ROUTES. Sessions themselves are kept
server-side (console.sessions).
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from urllib.parse import quote

from aiohttp import web
from aiohttp_session import get_session, new_session

from console.keys import ENGINE_KEY, SETTINGS_KEY, STAFF_KEY
from console.sessions import STAFF_ID
from console.staff import StaffMember
from console.tokens import verify_token

logger = logging.getLogger(__name__)

PUBLIC_ROUTES = frozenset({"login", "login_submit", "static"})
ADMIN_ROUTE_PREFIX = "admin_"
API_ROUTE_PREFIX = "api_"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@web.middleware
async def security_headers_middleware(request: web.Request, handler):
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _add_headers(request, response)
        raise
    _add_headers(request, response)
    return response


def _add_headers(request: web.Request, response) -> None:
    headers = response.headers
    # No script at all: the console is server-rendered, so injected markup could not run anyway.
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")  # pages hold personal data
    if request.secure or request.app[SETTINGS_KEY].secure_cookies:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def csrf_token(session) -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def start_staff_session(request: web.Request, member: StaffMember) -> None:
    """A fresh session (new token, new CSRF token) on sign-in, so nothing from before carries over."""
    session = await new_session(request)
    session[STAFF_ID] = member.id
    session["csrf"] = secrets.token_urlsafe(32)


def _login_redirect(request: web.Request) -> web.HTTPException:
    target = request.rel_url.path_qs if request.method == "GET" else "/"
    return web.HTTPFound(f"/login?next={quote(target, safe='')}")


async def _staff_from_session(request: web.Request) -> StaffMember | None:
    """The signed-in member. Expiry, sign-out and password changes are the session store's
    business (the row is gone); the account is checked here as well so a disabled member is
    refused even if a session row outlived the change."""
    session = await get_session(request)
    staff_id = session.get(STAFF_ID)
    if not isinstance(staff_id, int):
        return None
    member = await asyncio.to_thread(request.app[STAFF_KEY].get, staff_id)
    if member is None or not member.active:
        session.invalidate()
        return None
    return member


def _bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@web.middleware
async def auth_middleware(request: web.Request, handler):
    match_info = request.match_info
    if match_info.http_exception is not None:  # 404 / 405: nothing to protect
        return await handler(request)
    name = match_info.route.name or ""
    if name in PUBLIC_ROUTES:
        return await handler(request)

    if name.startswith(API_ROUTE_PREFIX):
        token = _bearer_token(request)
        token_name = await asyncio.to_thread(verify_token, request.app[ENGINE_KEY], token) if token else None
        if token_name is None:
            return web.json_response(
                {"error": "authentication required: send 'Authorization: Bearer <token>'"},
                status=401, headers={"WWW-Authenticate": "Bearer"},
            )
        request["actor"] = f"api:{token_name}"
        return await handler(request)

    member = await _staff_from_session(request)
    if member is None:
        raise _login_redirect(request)
    request["staff"] = member
    request["actor"] = member.username
    if name.startswith(ADMIN_ROUTE_PREFIX) and not member.is_admin:
        raise web.HTTPForbidden(text="Admins only.")
    return await handler(request)


async def _read_form(request: web.Request):
    """The posted form (aiohttp keeps it for the handler), or a 400 if it cannot be read."""
    try:
        return await request.post()
    except (ValueError, AssertionError):  # bytes that are not UTF-8; a multipart body cut short (aiohttp asserts)
        raise web.HTTPBadRequest(text="The form could not be read. Reload the page and try again.") from None


@web.middleware
async def csrf_middleware(request: web.Request, handler):
    """Per-session token on every form post (synchroniser token pattern).

    Hand-written: the maintained aiohttp CSRF packages are either abandoned (aiohttp-csrf)
    or tied to other session backends; the check itself is a constant-time compare.
    The JSON API is exempt: it authenticates by bearer header, which browsers never send on their own.
    """
    name = request.match_info.route.name or ""
    if request.method in UNSAFE_METHODS and not name.startswith(API_ROUTE_PREFIX):
        session = await get_session(request)
        expected = session.get("csrf") or ""
        supplied = request.headers.get(CSRF_HEADER, "")
        if request.content_type in FORM_CONTENT_TYPES:
            form = await _read_form(request)  # read here, so no handler meets an unreadable form
            supplied = supplied or str(form.get(CSRF_FIELD, ""))
        # headers arrive with undecodable bytes as surrogates, which a strict encode() refuses
        if not expected or not hmac.compare_digest(expected.encode(), supplied.encode("utf-8", "replace")):
            logger.warning("CSRF check failed on %s", name or request.path)
            raise web.HTTPForbidden(text="The form expired or did not come from this site. Reload the page and try again.")
    return await handler(request)
