"""Page handlers: sign-in, queue, inquiry, CSV export, admin pages (audit, staff, API tokens)."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from console import audit
from console.inquiries import InquiryRepository, QueueFilter, TransitionError, has_new_risk
from console.params import ParamError, local_redirect_target, page_number, queue_filter, record_id
from console.presentation import (
    age,
    csv_safe,
    display_conversation_id,
    fmt_dt,
    parse_preferences,
    preference_summary,
)
from console.security import CSRF_FIELD, ENGINE_KEY, SETTINGS_KEY, STAFF_KEY, csrf_token, start_staff_session
from console.staff import ROLES, StaffError, WrongPassword
from console.throttle import LoginThrottle
from console.tokens import create_token, list_tokens, revoke_token
from console.transcripts import TrackerTranscripts, TranscriptUnavailable
from intake.levels import CHANNELS, RISK_FILTERS, STATUS_LABELS, STATUSES

_USERNAME_SHAPE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

REPO_KEY = web.AppKey("inquiry_repository", InquiryRepository)
TRANSCRIPTS_KEY = web.AppKey("transcripts", TrackerTranscripts)
THROTTLE_KEY = web.AppKey("login_throttle", LoginThrottle)


async def render(request: web.Request, template: str, context: dict, status: int = 200) -> web.Response:
    session = await get_session(request)
    flash = session.pop("flash", None)
    base = {
        "staff": request.get("staff"),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(session),
        "flash": flash,
        "status_labels": STATUS_LABELS,
    }
    base.update(context)
    return aiohttp_jinja2.render_template(template, request, base, status=status)


async def flash_and_redirect(request: web.Request, location: str, message: str | None = None) -> web.HTTPException:
    if message:
        session = await get_session(request)
        session["flash"] = message
    return web.HTTPSeeOther(location)


def _inquiry_id(request: web.Request) -> int:
    inquiry_id = record_id(request.match_info["inquiry_id"])
    if inquiry_id is None:
        raise web.HTTPNotFound()
    return inquiry_id


# -- sign-in / sign-out -------------------------------------------------------------------
async def login_page(request: web.Request) -> web.Response:
    return await render(request, "login.jinja2", {"next": local_redirect_target(request.query.get("next")), "error": None})


async def login_submit(request: web.Request) -> web.Response:
    form = await request.post()
    username = str(form.get("username", "")).strip().lower()[:64]
    password = str(form.get("password", ""))
    next_url = local_redirect_target(str(form.get("next", "")))
    address = request.remote or "unknown"
    throttle = request.app[THROTTLE_KEY]
    engine = request.app[ENGINE_KEY]

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
        await asyncio.to_thread(audit.record_now, engine, attempted, "login_failed")
        return await render(
            request, "login.jinja2", {"next": next_url, "error": "Wrong username or password."}, status=401
        )
    throttle.succeeded(username)
    await start_staff_session(request, member)
    await asyncio.to_thread(audit.record_now, engine, member.username, "login")
    raise web.HTTPSeeOther(next_url)


async def logout(request: web.Request) -> web.Response:
    await asyncio.to_thread(audit.record_now, request.app[ENGINE_KEY], request["actor"], "logout")
    session = await get_session(request)
    session.invalidate()  # deletes the session row: a saved copy of the cookie opens nothing
    raise web.HTTPSeeOther("/login")


# -- own password -------------------------------------------------------------------------
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
    await asyncio.to_thread(audit.record_now, request.app[ENGINE_KEY], member.username, "password_change")
    raise await flash_and_redirect(request, "/queue", "Password changed. Your other sessions are signed out.")


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/queue")


# -- queue --------------------------------------------------------------------------------
def _queue_filter(request: web.Request) -> QueueFilter:
    try:
        return queue_filter(request.query)
    except ParamError as exc:
        raise web.HTTPBadRequest(text=f"Bad filter: {exc}")


def _page_number(request: web.Request) -> int:
    try:
        return page_number(request.query)
    except ParamError as exc:
        raise web.HTTPBadRequest(text=f"Bad page: {exc}")


async def queue_page(request: web.Request) -> web.Response:
    flt = _queue_filter(request)
    page = _page_number(request)
    repo = request.app[REPO_KEY]
    settings = request.app[SETTINGS_KEY]
    result, states = await asyncio.gather(
        asyncio.to_thread(repo.queue, flt, page, settings.page_size),
        asyncio.to_thread(repo.states),
    )
    rows = [
        {
            "id": r.id,
            "ref": display_conversation_id(r.channel, r.conversation_id),
            "channel": r.channel or "unknown",
            "status": r.status,
            "state": r.state or "",
            "age": age(r.created_at),
            "created": fmt_dt(r.created_at),
            "risk_level": r.risk_level,
            "risk_rank": r.risk_rank,
            "risk_category": r.last_risk_category,
            "new_risk": has_new_risk(r),
            "callback": r.callback_requested,
            "callback_name": r.callback_first_name,
            "callback_method": r.callback_contact_method,
            "summary": preference_summary(r.preferences),
        }
        for r in result.rows
    ]
    query = flt.as_query()
    return await render(
        request,
        "queue.jinja2",
        {
            "rows": rows,
            "result": result,
            "filter": flt,
            "statuses": STATUSES,
            "channels": CHANNELS,
            "risk_filters": list(RISK_FILTERS),
            "states": states,
            "query_string": urlencode(query),
            "prev_url": f"/queue?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
            "next_url": f"/queue?{urlencode({**query, 'page': page + 1})}" if page < result.pages else None,
        },
    )


CSV_COLUMNS = (
    "inquiry_id", "created_at", "updated_at", "channel", "status", "state", "risk_level", "risk_category",
    "last_risk_at", "callback_requested", "callback_first_name", "callback_contact_method",
    "callback_contact_value", "preferences",
)


async def queue_csv(request: web.Request) -> web.StreamResponse:
    flt = _queue_filter(request)
    repo = request.app[REPO_KEY]
    await asyncio.to_thread(
        audit.record_now, request.app[ENGINE_KEY], request["actor"], "export_csv", None, urlencode(flt.as_query())
    )

    def build() -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for r in repo.export_rows(flt):
            writer.writerow([
                csv_safe(v) for v in (
                    r.id, fmt_dt(r.created_at), fmt_dt(r.updated_at), r.channel, r.status, r.state, r.risk_level,
                    r.last_risk_category, fmt_dt(r.last_risk_at), "yes" if r.callback_requested else "no",
                    r.callback_first_name, r.callback_contact_method, r.callback_contact_value,
                    json.dumps(parse_preferences(r.preferences), ensure_ascii=False) if r.preferences else "",
                )
            ])
        return buffer.getvalue()

    body = await asyncio.to_thread(build)
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="intake-queue.csv"'},
    )


# -- one inquiry --------------------------------------------------------------------------
async def inquiry_page(request: web.Request) -> web.Response:
    inquiry_id = _inquiry_id(request)
    repo = request.app[REPO_KEY]
    inquiry = await asyncio.to_thread(repo.get, inquiry_id)
    if inquiry is None:
        raise web.HTTPNotFound(text="No such inquiry (it may have been deleted).")
    await asyncio.to_thread(audit.record_now, request.app[ENGINE_KEY], request["actor"], "view", inquiry_id)
    try:
        transcript = await asyncio.to_thread(request.app[TRANSCRIPTS_KEY].transcript, inquiry["conversation_id"])
        transcript_error = None
    except TranscriptUnavailable:
        transcript, transcript_error = [], "The conversation transcript is unavailable right now (tracker store unreachable)."
    return await render(
        request,
        "inquiry.jinja2",
        {
            "inquiry": inquiry,
            "ref": display_conversation_id(inquiry["channel"], inquiry["conversation_id"]),
            "transcript": transcript,
            "transcript_error": transcript_error,
        },
    )


async def inquiry_status(request: web.Request) -> web.Response:
    inquiry_id = _inquiry_id(request)
    form = await request.post()
    try:
        await asyncio.to_thread(
            request.app[REPO_KEY].change_status, inquiry_id, str(form.get("to_status", "")),
            request["actor"], str(form.get("note", "")),
        )
        message = "Status updated."
    except LookupError:
        raise web.HTTPNotFound()
    except TransitionError as exc:
        message = f"Not changed: {exc}."
    raise await flash_and_redirect(request, f"/inquiries/{inquiry_id}", message)


async def inquiry_note(request: web.Request) -> web.Response:
    inquiry_id = _inquiry_id(request)
    form = await request.post()
    try:
        await asyncio.to_thread(request.app[REPO_KEY].add_note, inquiry_id, request["actor"], str(form.get("note", "")))
        message = "Note added."
    except LookupError:
        raise web.HTTPNotFound()
    except TransitionError as exc:
        message = f"Not saved: {exc}."
    raise await flash_and_redirect(request, f"/inquiries/{inquiry_id}", message)


async def inquiry_acknowledge(request: web.Request) -> web.Response:
    inquiry_id = _inquiry_id(request)
    try:
        await asyncio.to_thread(request.app[REPO_KEY].acknowledge_risk, inquiry_id, request["actor"])
    except LookupError:
        raise web.HTTPNotFound()
    raise await flash_and_redirect(request, f"/inquiries/{inquiry_id}", "Risk events acknowledged.")


# -- admin --------------------------------------------------------------------------------
async def admin_audit(request: web.Request) -> web.Response:
    page = _page_number(request)
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
    await asyncio.to_thread(
        audit.record_now, request.app[ENGINE_KEY], request["actor"], "staff_add", None, f"{member.username} ({member.role})"
    )
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
    action = "staff_enable" if active else "staff_disable"
    await asyncio.to_thread(audit.record_now, request.app[ENGINE_KEY], request["actor"], action, None, member.username)
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
    await asyncio.to_thread(
        audit.record_now, request.app[ENGINE_KEY], request["actor"], "staff_password", None, member.username
    )
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
    await asyncio.to_thread(audit.record_now, engine, request["actor"], "token_create", None, name.strip())
    tokens = await asyncio.to_thread(list_tokens, engine)
    # shown once, in the response body only; never stored or logged in clear
    return await render(request, "tokens.jinja2", {"tokens": tokens, "new_token": token})


async def admin_tokens_revoke(request: web.Request) -> web.Response:
    token_id = record_id(request.match_info["token_id"])
    if token_id is None:
        raise web.HTTPNotFound()
    engine = request.app[ENGINE_KEY]
    if await asyncio.to_thread(revoke_token, engine, token_id):
        await asyncio.to_thread(audit.record_now, engine, request["actor"], "token_revoke", None, f"token #{token_id}")
    raise await flash_and_redirect(request, "/admin/tokens", "Token revoked.")
