"""Page handlers: sign-in, queue, inquiry, CSV export, admin pages (audit, staff, API tokens)."""
from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from console import audit
from console.followup import clock
from console.inquiries import (
    ASSIGNED_CHOICES,
    CONTACT_OUTCOMES,
    SORT_LABELS,
    InquiryRepository,
    QueueFilter,
    TransitionError,
    has_new_risk,
)
from console.params import ParamError, flag, local_redirect_target, page_number, queue_filter, record_id
from console.export import queue_csv_text
from console.presentation import (
    clock_words,
    display_conversation_id,
    due_words,
    fmt_dt,
    masked_phone,
    parse_preferences,
)
from console.security import CSRF_FIELD, ENGINE_KEY, SETTINGS_KEY, STAFF_KEY, csrf_token, start_staff_session
from console.staff import ROLES, StaffError, WrongPassword
from console.throttle import LoginThrottle
from console.tokens import create_token, list_tokens, revoke_token
from console.transcripts import TrackerTranscripts, TranscriptUnavailable, transcript_text
from console.vocabulary import (
    LEVEL_HINTS,
    level_label,
    match_view,
    preference_items,
    preference_summary,
    relaxed_label,
    situation_label,
)
from intake.channels import CHANNEL_LABELS, channel_label
from intake.levels import STATUS_LABELS, STATUSES
from intake.store import utcnow

_USERNAME_SHAPE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

REPO_KEY = web.AppKey("inquiry_repository", InquiryRepository)
TRANSCRIPTS_KEY = web.AppKey("transcripts", TrackerTranscripts)
THROTTLE_KEY = web.AppKey("login_throttle", LoginThrottle)

# After an audited "reveal contact", the number stays visible to that staff member on that
# inquiry's page for this long (the session holds the inquiry id and expiry, never the number).
REVEAL_SECONDS = 15 * 60
REVEALED_KEY = "revealed"
LEVEL_FILTER_LABELS = {"imminent": "Imminent", "high": "High", "concern": "Concern", "any": "Any risk event"}
ASSIGNED_LABELS = {"": "Anyone", "me": "Mine", "none": "Nobody"}


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


def _viewer_id(request: web.Request) -> int | None:
    staff = request.get("staff")
    return staff.id if staff is not None else None


def queue_row(r, now) -> dict:
    """One queue line, in words."""
    row_clock = clock(r)
    return {
        "id": r.id,
        "ref": display_conversation_id(r.channel, r.conversation_id),
        "channel": channel_label(r.channel),
        "status": r.status,
        "state": r.state or "",
        "created": fmt_dt(r.created_at),
        "risk_level": r.risk_level,
        "risk_label": level_label(r.risk_level),
        "risk_situation": situation_label(r.last_risk_category),
        "new_risk": has_new_risk(r),
        "callback": r.callback_requested,
        "callback_name": r.callback_first_name,
        "callback_method": r.callback_contact_method,
        "assignee": r.assignee,
        "escalated": r.escalated_at is not None,
        "sms_opted_out": bool(r.sms_opted_out),
        "waiting": clock_words(row_clock, now),
        "due": due_words(row_clock, now),
        "overdue": row_clock.overdue(now),
        "summary": preference_summary(parse_preferences(r.preferences)),
    }


async def queue_page(request: web.Request) -> web.Response:
    flt = _queue_filter(request)
    page = _page_number(request)
    repo = request.app[REPO_KEY]
    settings = request.app[SETTINGS_KEY]
    result, states = await asyncio.gather(
        asyncio.to_thread(repo.queue, flt, page, settings.page_size, _viewer_id(request)),
        asyncio.to_thread(repo.states),
    )
    query = flt.as_query()
    return await render(
        request,
        "queue.jinja2",
        {
            "rows": [queue_row(r, result.now) for r in result.rows],
            "result": result,
            "filter": flt,
            "statuses": STATUSES,
            "channels": [(label.lower(), label, name) for name, label in CHANNEL_LABELS.items()],
            "levels": LEVEL_FILTER_LABELS,
            "assigned_choices": [(a, ASSIGNED_LABELS[a]) for a in ASSIGNED_CHOICES],
            "sorts": SORT_LABELS,
            "states": states,
            "query_string": urlencode(query),
            "prev_url": f"/queue?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
            "next_url": f"/queue?{urlencode({**query, 'page': page + 1})}" if page < result.pages else None,
        },
    )


async def queue_csv(request: web.Request) -> web.StreamResponse:
    flt = _queue_filter(request)
    try:
        with_transcripts = flag(request.query, "transcripts")
    except ParamError as exc:
        raise web.HTTPBadRequest(text=f"Bad filter: {exc}")
    repo = request.app[REPO_KEY]
    transcripts = request.app[TRANSCRIPTS_KEY]
    viewer_id = _viewer_id(request)
    detail = urlencode({**flt.as_query(), **({"transcripts": "1"} if with_transcripts else {})})
    await asyncio.to_thread(audit.record_now, request.app[ENGINE_KEY], request["actor"], "export_csv", None, detail)

    body = await asyncio.to_thread(queue_csv_text, repo, transcripts, flt, viewer_id, with_transcripts)
    name = "intake-queue-with-transcripts.csv" if with_transcripts else "intake-queue.csv"
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- one inquiry --------------------------------------------------------------------------
def _revealed(session, inquiry_id: int) -> bool:
    """Did this staff member reveal this inquiry's number within REVEAL_SECONDS?"""
    grants = session.get(REVEALED_KEY)
    return isinstance(grants, dict) and grants.get(str(inquiry_id), 0) > time.time()


def _transcript_error() -> str:
    return "The conversation transcript is unavailable right now (tracker store unreachable)."


async def inquiry_page(request: web.Request) -> web.Response:
    inquiry_id = _inquiry_id(request)
    repo = request.app[REPO_KEY]
    transcripts = request.app[TRANSCRIPTS_KEY]
    inquiry, staff_choices = await asyncio.gather(
        asyncio.to_thread(repo.get, inquiry_id), asyncio.to_thread(repo.staff_choices)
    )
    if inquiry is None:
        raise web.HTTPNotFound(text="No such inquiry (it may have been deleted).")
    await asyncio.to_thread(audit.record_now, request.app[ENGINE_KEY], request["actor"], "view", inquiry_id)
    transcript, transcript_error, opt_out = [], None, None
    try:
        transcript = await asyncio.to_thread(transcripts.transcript, inquiry["conversation_id"])
        if inquiry["channel"] == "sms" or inquiry["sms_number"]:
            opt_out = await asyncio.to_thread(transcripts.sms_opt_out, inquiry["conversation_id"])
    except TranscriptUnavailable:
        transcript_error = _transcript_error()
    # the number is on the page only within a reveal the audit log recorded; masked otherwise
    number = inquiry.pop("sms_number")
    revealed = bool(number) and _revealed(await get_session(request), inquiry_id)
    now = utcnow()
    return await render(
        request,
        "inquiry.jinja2",
        {
            "inquiry": inquiry,
            "ref": display_conversation_id(inquiry["channel"], inquiry["conversation_id"]),
            "channel": channel_label(inquiry["channel"]),
            "risk_label": level_label(inquiry["risk_level"]),
            "risk_hint": LEVEL_HINTS.get(inquiry["risk_level"] or "", ""),
            "preferences": preference_items(inquiry["preferences"]),
            "matches": [match_view(m) for m in inquiry["matches"] if isinstance(m, dict)],
            "relaxed": [relaxed_label(x) for x in inquiry["relaxed"] if isinstance(x, str)],
            "waiting": clock_words(inquiry["clock"], now),
            "due": due_words(inquiry["clock"], now),
            "overdue": inquiry["clock"].overdue(now),
            "sms_number": number if revealed else None,
            "sms_number_masked": masked_phone(number),
            # the tracker holds what the SMS channel acts on; the column is the last state relayed
            "sms_opted_out": opt_out.opted_out if opt_out else inquiry["sms_opted_out"],
            "sms_opt_out_at": opt_out.at if opt_out else None,
            "staff_choices": staff_choices,
            "contact_outcomes": CONTACT_OUTCOMES,
            "transcript": transcript,
            "transcript_error": transcript_error,
        },
    )


async def _inquiry_action(request: web.Request, action, success: str, failure: str = "Not changed") -> web.Response:
    """Run one repository action for the inquiry in the path, then back to its page with a message."""
    inquiry_id = _inquiry_id(request)
    form = await request.post()
    try:
        result = await asyncio.to_thread(action, request.app[REPO_KEY], inquiry_id, form, request["actor"])
        message = success.format(result=result)
    except LookupError:
        raise web.HTTPNotFound()
    except TransitionError as exc:
        message = f"{failure}: {exc}."
    raise await flash_and_redirect(request, f"/inquiries/{inquiry_id}", message)


async def inquiry_status(request: web.Request) -> web.Response:
    return await _inquiry_action(
        request,
        lambda repo, i, form, actor: repo.change_status(i, str(form.get("to_status", "")), actor, str(form.get("note", ""))),
        "Status updated.",
    )


async def inquiry_note(request: web.Request) -> web.Response:
    return await _inquiry_action(
        request, lambda repo, i, form, actor: repo.add_note(i, actor, str(form.get("note", ""))),
        "Note added.", "Not saved",
    )


async def inquiry_contact(request: web.Request) -> web.Response:
    return await _inquiry_action(
        request,
        lambda repo, i, form, actor: repo.log_contact(i, actor, str(form.get("outcome", "")), str(form.get("note", ""))),
        "Contact logged; the follow-up clock restarts.", "Not logged",
    )


def _assign(repo: InquiryRepository, inquiry_id: int, form, actor: str, me: int) -> str:
    value = str(form.get("assignee", "")).strip()
    if value == "me":
        assignee_id = me
    elif value in ("", "none"):
        assignee_id = None
    else:
        assignee_id = record_id(value)
        if assignee_id is None:
            raise TransitionError("choose a staff member")
    username = repo.assign(inquiry_id, assignee_id, actor)
    return f"Assigned to {username}." if username else "Unassigned."


async def inquiry_assign(request: web.Request) -> web.Response:
    me = request["staff"].id
    return await _inquiry_action(request, lambda repo, i, form, actor: _assign(repo, i, form, actor, me), "{result}")


async def inquiry_escalate(request: web.Request) -> web.Response:
    def escalate(repo, inquiry_id, form, actor) -> str:
        escalated = str(form.get("escalated", "1")) == "1"
        repo.set_escalated(inquiry_id, escalated, actor, str(form.get("note", "")))
        return "Escalated." if escalated else "Escalation resolved."

    return await _inquiry_action(request, escalate, "{result}")


async def inquiry_reveal_contact(request: web.Request) -> web.Response:
    """Show the SMS number to call the person back: an explicit POST that the audit log records."""
    inquiry_id = _inquiry_id(request)
    try:
        number = await asyncio.to_thread(request.app[REPO_KEY].reveal_sms_number, inquiry_id, request["actor"])
    except LookupError:
        raise web.HTTPNotFound()
    if number is None:
        raise await flash_and_redirect(request, f"/inquiries/{inquiry_id}", "No number is stored for this inquiry.")
    session = await get_session(request)
    now = time.time()
    grants = {k: v for k, v in (session.get(REVEALED_KEY) or {}).items() if v > now}
    grants[str(inquiry_id)] = now + REVEAL_SECONDS
    session[REVEALED_KEY] = grants
    raise await flash_and_redirect(
        request, f"/inquiries/{inquiry_id}#contact",
        f"Number revealed for {REVEAL_SECONDS // 60} minutes; the audit log records that you looked.",
    )


async def inquiry_transcript(request: web.Request) -> web.Response:
    """The conversation as plain text (audited), taps shown as the options the person chose."""
    inquiry_id = _inquiry_id(request)
    inquiry = await asyncio.to_thread(request.app[REPO_KEY].get, inquiry_id)
    if inquiry is None:
        raise web.HTTPNotFound()
    try:
        lines = await asyncio.to_thread(request.app[TRANSCRIPTS_KEY].transcript, inquiry["conversation_id"])
    except TranscriptUnavailable:
        raise web.HTTPServiceUnavailable(text=_transcript_error())
    await asyncio.to_thread(
        audit.record_now, request.app[ENGINE_KEY], request["actor"], "export_transcript", inquiry_id
    )
    return web.Response(
        text=transcript_text(lines) + "\n",
        content_type="text/plain",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="inquiry-{inquiry_id}-transcript.txt"'},
    )


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
