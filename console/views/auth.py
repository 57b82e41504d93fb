"""Sign-in, sign-out and changing one's own password."""
from __future__ import annotations

import asyncio
import re

from aiohttp import web
from aiohttp_session import get_session

from console import audit
from console.keys import STAFF_KEY, THROTTLE_KEY
from console.params import local_redirect_target
from console.security import start_staff_session
from console.staff import StaffError, WrongPassword
from console.views.pages import flash_and_redirect, render

_USERNAME_SHAPE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


async def login_page(request: web.Request) -> web.Response:
    return await render(request, "login.jinja2", {"next": local_redirect_target(request.query.get("next")), "error": None})


async def login_submit(request: web.Request) -> web.Response:
    form = await request.post()
    username = str(form.get("username", "")).strip().lower()[:64]
    password = str(form.get("password", ""))
    next_url = local_redirect_target(str(form.get("next", "")))
    address = request.remote or "unknown"
    throttle = request.app[THROTTLE_KEY]

    wait = throttle.retry_after(username, address)
    if wait > 0:
        minutes = int(wait // 60) + 1
        return await render(
            request, "login.jinja2",
            {"next": next_url, "error": f"Too many failed sign-in attempts. Try again in {minutes} minutes."},
            status=429,
        )
    member = await asyncio.to_thread(request.app[STAFF_KEY].authenticate, username, password)
    if member is None:
        throttle.failed(username, address)
        # a mistyped password can land in the username field: only name-shaped input is recorded
        attempted = username if _USERNAME_SHAPE.match(username) else "(not a username)"
        await audit.record_request(request, "login_failed", actor=attempted)
        return await render(
            request, "login.jinja2", {"next": next_url, "error": "Wrong username or password."}, status=401
        )
    throttle.succeeded(username)
    await start_staff_session(request, member)
    await audit.record_request(request, "login", actor=member.username)
    raise web.HTTPSeeOther(next_url)


async def logout(request: web.Request) -> web.Response:
    await audit.record_request(request, "logout")
    session = await get_session(request)
    session.invalidate()  # deletes the session row: a saved copy of the cookie opens nothing
    raise web.HTTPSeeOther("/login")


async def account_password(request: web.Request) -> web.Response:
    return await render(request, "password.jinja2", {"error": None})


async def account_password_submit(request: web.Request) -> web.Response:
    """Changing one's password ends every session of the account, then opens a fresh one here."""
    form = await request.post()
    member = request["staff"]
    current = str(form.get("current_password", ""))
    new = str(form.get("new_password", ""))
    throttle = request.app[THROTTLE_KEY]
    address = request.remote or "unknown"
    if throttle.retry_after(member.username, address) > 0:  # a stolen session must not guess the password
        return await render(request, "password.jinja2", {"error": "Too many wrong passwords. Try again later."}, status=429)
    if new != str(form.get("repeat_password", "")):
        return await render(request, "password.jinja2", {"error": "The new passwords differ."}, status=400)
    try:
        member = await asyncio.to_thread(request.app[STAFF_KEY].change_own_password, member.username, current, new)
    except WrongPassword:
        throttle.failed(member.username, address)
        return await render(request, "password.jinja2", {"error": "The current password is wrong."}, status=400)
    except StaffError as exc:
        return await render(request, "password.jinja2", {"error": f"Not changed: {exc}."}, status=400)
    throttle.succeeded(member.username)
    await start_staff_session(request, member)
    await audit.record_request(request, "password_change", actor=member.username)
    raise await flash_and_redirect(request, "/queue", "Password changed. Your other sessions are signed out.")
