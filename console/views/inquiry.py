"""One inquiry: its page, the actions posted from it (status, note, contact, assignment, escalation,
acknowledging risk, revealing the SMS number) and its transcript download."""
from __future__ import annotations

import asyncio
import time

from aiohttp import web
from aiohttp_session import get_session

from console import audit
from console.inquiries import CONTACT_OUTCOMES, InquiryRepository, TransitionError
from console.keys import REPO_KEY, TRANSCRIPTS_KEY
from console.params import record_id
from console.presentation import clock_words, display_conversation_id, due_words, masked_phone
from console.transcripts import TranscriptUnavailable, transcript_text
from console.views.pages import flash_and_redirect, render
from console.vocabulary import LEVEL_HINTS, level_label, match_view, preference_items, relaxed_label
from intake.channels import channel_label
from intake.store import utcnow

# After an audited "reveal contact", the number stays visible to that staff member on that
# inquiry's page for this long (the session holds the inquiry id and expiry, never the number).
REVEAL_SECONDS = 15 * 60
REVEALED_KEY = "revealed"


def _inquiry_id(request: web.Request) -> int:
    inquiry_id = record_id(request.match_info["inquiry_id"])
    if inquiry_id is None:
        raise web.HTTPNotFound()
    return inquiry_id


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
    await audit.record_request(request, "view", inquiry_id)
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
    await audit.record_request(request, "export_transcript", inquiry_id)
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
