"""Middlewares: TLS detection, security headers, authentication (deny by default), roles, CSRF.

Authentication is enforced here for every route rather than per handler, so a new route is
protected unless it is deliberately named in PUBLIC_ROUTES.
"""
from __future__ import annotations

import asyncio
import contextvars
import hmac
import logging
import secrets
import time
from urllib.parse import quote

from aiohttp import web
from aiohttp_session import get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from console.staff import StaffMember
from console.tokens import verify_token

logger = logging.getLogger(__name__)

PUBLIC_ROUTES = frozenset({"login", "login_submit", "static"})
ADMIN_ROUTE_PREFIX = "admin_"
API_ROUTE_PREFIX = "api_"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

SETTINGS_KEY = web.AppKey("settings", object)
STAFF_KEY = web.AppKey("staff_directory", object)
ENGINE_KEY = web.AppKey("intake_engine", object)

_secure_request: contextvars.ContextVar[bool] = contextvars.ContextVar("secure_request", default=False)


class TLSAwareCookieStorage(EncryptedCookieStorage):
    """Encrypted cookie whose Secure flag follows the request: set whenever it came over TLS.

    aiohttp-session only takes a fixed `secure` flag; the console runs on plain HTTP on a laptop
    and behind TLS in production, so the flag is decided per response.
    """

    def __init__(self, *args, secure_mode: str = "auto", **kwargs):
        super().__init__(*args, **kwargs)
        self.secure_mode = secure_mode

    async def save_session(self, request, response, session):
        secure = self.secure_mode == "always" or (self.secure_mode == "auto" and request.secure)
        token = _secure_request.set(secure)
        try:
            await super().save_session(request, response, session)
        finally:
            _secure_request.reset(token)

    def save_cookie(self, response, cookie_data, *, max_age=None):
        params = self._cookie_params
        original = params.get("secure")
        params["secure"] = _secure_request.get() or None
        try:
            super().save_cookie(response, cookie_data, max_age=max_age)
        finally:
            params["secure"] = original


def proxy_middleware(trust_proxy: bool):
    @web.middleware
    async def middleware(request: web.Request, handler):
        if trust_proxy and request.headers.get("X-Forwarded-Proto", "").lower() == "https":
            request = request.clone(scheme="https")
        return await handler(request)

    return middleware


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
    if request.secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def csrf_token(session) -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def start_staff_session(request: web.Request, member: StaffMember) -> None:
    """A fresh session (new CSRF token) on sign-in, so nothing from before sign-in carries over."""
    session = await new_session(request)
    now = int(time.time())
    session["staff_id"] = member.id
    session["pw"] = member.password_changed_at.isoformat() if member.password_changed_at else ""
    session["issued"] = now
    session["seen"] = now
    session["csrf"] = secrets.token_urlsafe(32)


def _login_redirect(request: web.Request) -> web.HTTPException:
    target = request.rel_url.path_qs if request.method == "GET" else "/"
    return web.HTTPFound(f"/login?next={quote(target, safe='')}")


async def _staff_from_session(request: web.Request) -> StaffMember | None:
    settings = request.app[SETTINGS_KEY]
    session = await get_session(request)
    staff_id = session.get("staff_id")
    if not isinstance(staff_id, int):
        return None
    now = int(time.time())
    expired = (
        now - int(session.get("seen", 0)) > settings.session_idle_minutes * 60
        or now - int(session.get("issued", 0)) > settings.session_max_hours * 3600
    )
    member = await asyncio.to_thread(request.app[STAFF_KEY].get, staff_id)
    password_changed = member is not None and session.get("pw") != (
        member.password_changed_at.isoformat() if member.password_changed_at else ""
    )
    if expired or member is None or not member.active or password_changed:
        session.invalidate()
        return None
    session["seen"] = now
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
        if not supplied and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            supplied = str(form.get(CSRF_FIELD, ""))
        if not expected or not hmac.compare_digest(expected.encode(), supplied.encode()):
            logger.warning("CSRF check failed on %s", name or request.path)
            raise web.HTTPForbidden(text="The form expired or did not come from this site. Reload the page and try again.")
    return await handler(request)
