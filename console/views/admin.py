"""Admin pages: the audit log, staff accounts and API tokens (admin_* routes: console.security
lets only admins in)."""
from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from aiohttp import web

from console import audit
from console.keys import ENGINE_KEY, STAFF_KEY
from console.params import record_id
from console.security import start_staff_session
from console.staff import ROLES, StaffError
from console.tokens import create_token, list_tokens, revoke_token
from console.views.pages import flash_and_redirect, render, requested_page


async def admin_audit(request: web.Request) -> web.Response:
    page = requested_page(request)
    inquiry_filter = request.query.get("inquiry", "").strip()
    inquiry_id = record_id(inquiry_filter) if inquiry_filter else None
    if inquiry_filter and inquiry_id is None:
        raise web.HTTPBadRequest(text="Bad filter: inquiry must be an inquiry number")
    entries, total = await asyncio.to_thread(audit.list_entries, request.app[ENGINE_KEY], page, 100, inquiry_id)
    pages = max(1, -(-total // 100))
    base = {"inquiry": inquiry_id} if inquiry_id else {}
    return await render(
        request,
        "audit.jinja2",
        {
            "entries": entries,
            "total": total,
            "inquiry_id": inquiry_id,
            "prev_url": f"/admin/audit?{urlencode({**base, 'page': page - 1})}" if page > 1 else None,
            "next_url": f"/admin/audit?{urlencode({**base, 'page': page + 1})}" if page < pages else None,
        },
    )


async def admin_staff(request: web.Request) -> web.Response:
    members = await asyncio.to_thread(request.app[STAFF_KEY].list)
    return await render(request, "staff.jinja2", {"members": members, "roles": ROLES})


async def admin_staff_add(request: web.Request) -> web.Response:
    form = await request.post()
    directory = request.app[STAFF_KEY]
    try:
        member = await asyncio.to_thread(
            directory.create, str(form.get("username", "")), str(form.get("password", "")), str(form.get("role", ""))
        )
    except StaffError as exc:
        raise await flash_and_redirect(request, "/admin/staff", f"Not added: {exc}.")
    await audit.record_request(request, "staff_add", None, f"{member.username} ({member.role})")
    raise await flash_and_redirect(request, "/admin/staff", f"Added {member.username}.")


async def admin_staff_active(request: web.Request) -> web.Response:
    form = await request.post()
    directory = request.app[STAFF_KEY]
    username = str(form.get("username", ""))
    active = str(form.get("active", "")) == "1"
    try:
        member = await asyncio.to_thread(directory.set_active, username, active)
    except StaffError as exc:
        raise await flash_and_redirect(request, "/admin/staff", f"Not changed: {exc}.")
    await audit.record_request(request, "staff_enable" if active else "staff_disable", None, member.username)
    raise await flash_and_redirect(request, "/admin/staff", f"{member.username} {'enabled' if active else 'disabled'}.")


async def admin_staff_password(request: web.Request) -> web.Response:
    """An admin sets someone's password (e.g. a forgotten one); that member is signed out everywhere."""
    form = await request.post()
    try:
        member = await asyncio.to_thread(
            request.app[STAFF_KEY].set_password, str(form.get("username", "")), str(form.get("password", ""))
        )
    except StaffError as exc:
        raise await flash_and_redirect(request, "/admin/staff", f"Not changed: {exc}.")
    await audit.record_request(request, "staff_password", None, member.username)
    if member.id == request["staff"].id:  # their own session went with the others; keep them signed in here
        await start_staff_session(request, member)
    raise await flash_and_redirect(
        request, "/admin/staff", f"Password of {member.username} set; their sessions are signed out."
    )


async def admin_tokens(request: web.Request) -> web.Response:
    tokens = await asyncio.to_thread(list_tokens, request.app[ENGINE_KEY])
    return await render(request, "tokens.jinja2", {"tokens": tokens, "new_token": None})


async def admin_tokens_create(request: web.Request) -> web.Response:
    form = await request.post()
    engine = request.app[ENGINE_KEY]
    name = str(form.get("name", ""))
    try:
        token = await asyncio.to_thread(create_token, engine, name, request["actor"])
    except ValueError as exc:
        raise await flash_and_redirect(request, "/admin/tokens", f"Not created: {exc}.")
    await audit.record_request(request, "token_create", None, name.strip())
    tokens = await asyncio.to_thread(list_tokens, engine)
    # shown once, in the response body only; never stored or logged in clear
    return await render(request, "tokens.jinja2", {"tokens": tokens, "new_token": token})


async def admin_tokens_revoke(request: web.Request) -> web.Response:
    token_id = record_id(request.match_info["token_id"])
    if token_id is None:
        raise web.HTTPNotFound()
    if await asyncio.to_thread(revoke_token, request.app[ENGINE_KEY], token_id):
        await audit.record_request(request, "token_revoke", None, f"token #{token_id}")
    raise await flash_and_redirect(request, "/admin/tokens", "Token revoked.")
