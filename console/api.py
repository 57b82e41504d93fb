"""JSON API (bearer-token authenticated) so a clinic can pull inquiries into its own system."""
from __future__ import annotations

import asyncio

from aiohttp import web

from console import audit
from console.followup import clock
from console.inquiries import has_new_risk
from console.params import MAX_PAGE, ParamError, queue_filter, record_id, whole_number
from console.presentation import display_conversation_id, iso, parse_preferences
from console.keys import REPO_KEY, TRANSCRIPTS_KEY
from console.transcripts import TranscriptUnavailable
from intake.channels import channel_label
from intake.store import utcnow

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
# "assigned" is left out: "mine" means a signed-in staff member, which an API token is not
LIST_PARAMETERS = frozenset({"status", "channel", "risk", "level", "state", "from", "to", "callback", "overdue",
                             "escalated", "sort", "page", "per_page"})
DETAIL_PARAMETERS = frozenset({"include"})
INCLUDE_VALUES = ("", "transcript")


def _callback(method, name, value, requested_at) -> dict | None:
    if not method:
        return None
    return {"first_name": name, "contact_method": method, "contact_value": value, "requested_at": iso(requested_at)}


def _summary(r, now) -> dict:
    row_clock = clock(r)
    return {
        "id": r.id,
        "conversation_ref": display_conversation_id(r.channel, r.conversation_id),
        "channel": r.channel,
        "channel_label": channel_label(r.channel),
        "status": r.status,
        "assigned_to": r.assignee,
        "last_contact_at": iso(r.last_contact_at),
        "due_at": iso(row_clock.due_at),
        "overdue": row_clock.overdue(now),
        "escalated_at": iso(r.escalated_at),
        "sms_opted_out": r.sms_opted_out,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
        "state": r.state,
        "preferences": parse_preferences(r.preferences),
        "risk_level": r.risk_level,
        "risk_category": r.last_risk_category,
        "last_risk_at": iso(r.last_risk_at),
        "new_risk": has_new_risk(r),
        "callback": _callback(r.callback_contact_method, r.callback_first_name, r.callback_contact_value,
                              r.callback_requested_at) if r.callback_requested else None,
    }


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


def _not_found() -> web.Response:
    return web.json_response({"error": "not found"}, status=404)


def _check_parameter_names(request: web.Request, allowed: frozenset[str]) -> None:
    """Unknown or repeated parameters are refused rather than silently ignored (a typo is not a filter)."""
    for name in request.query:
        if name not in allowed:
            raise ParamError(f"unknown parameter {name[:40]!r}; expected one of {', '.join(sorted(allowed))}")
        if len(request.query.getall(name)) > 1:
            raise ParamError(f"parameter {name!r} given more than once")


async def api_inquiries(request: web.Request) -> web.Response:
    try:
        _check_parameter_names(request, LIST_PARAMETERS)
        flt = queue_filter(request.query)
        page = whole_number(request.query.get("page"), "page", default=1, maximum=MAX_PAGE)
        per_page = whole_number(request.query.get("per_page"), "per_page", default=DEFAULT_PER_PAGE, maximum=MAX_PER_PAGE)
    except ParamError as exc:
        return _bad_request(str(exc))
    result = await asyncio.to_thread(request.app[REPO_KEY].queue, flt, page, per_page)
    await audit.record_request(request, "api_list", None, f"page {page}")
    return web.json_response(
        {
            "inquiries": [_summary(r, result.now) for r in result.rows],
            "page": page,
            "per_page": per_page,
            "total": result.total,
            "counts": result.counts,
        }
    )


async def api_inquiry(request: web.Request) -> web.Response:
    inquiry_id = record_id(request.match_info["inquiry_id"])
    if inquiry_id is None:
        return _not_found()
    try:
        _check_parameter_names(request, DETAIL_PARAMETERS)
        if request.query.get("include", "") not in INCLUDE_VALUES:
            raise ParamError("include must be 'transcript' or left out")
    except ParamError as exc:
        return _bad_request(str(exc))
    inquiry = await asyncio.to_thread(request.app[REPO_KEY].get, inquiry_id)
    if inquiry is None:
        return _not_found()
    await audit.record_request(request, "api_view", inquiry_id)
    callback = inquiry["callback"]
    body = {
        "id": inquiry["id"],
        "conversation_ref": display_conversation_id(inquiry["channel"], inquiry["conversation_id"]),
        "channel": inquiry["channel"],
        "channel_label": channel_label(inquiry["channel"]),
        "status": inquiry["status"],
        "assigned_to": inquiry["assignee"],
        "last_contact_at": iso(inquiry["last_contact_at"]),
        "due_at": iso(inquiry["clock"].due_at),
        "overdue": inquiry["clock"].overdue(utcnow()),
        "escalated_at": iso(inquiry["escalated_at"]),
        "sms_opted_out": inquiry["sms_opted_out"],
        "created_at": iso(inquiry["created_at"]),
        "updated_at": iso(inquiry["updated_at"]),
        "state": inquiry["state"],
        "preferences": inquiry["preferences"],
        "matches": inquiry["matches"],
        "relaxed": inquiry["relaxed"],
        "risk_level": inquiry["risk_level"],
        "new_risk": inquiry["has_new_risk"],
        "risk_events": [
            {"category": e["category"], "level": e["level"], "channel": e["channel"], "occurred_at": iso(e["occurred_at"])}
            for e in inquiry["risk_events"]
        ],
        "callback": {**callback, "requested_at": iso(callback["requested_at"])} if callback else None,
        "history": [{**h, "changed_at": iso(h["changed_at"])} for h in inquiry["history"]],
        # the SMS number is never in the API: only the console's audited reveal shows it
    }
    if request.query.get("include") == "transcript":
        try:
            lines = await asyncio.to_thread(request.app[TRANSCRIPTS_KEY].transcript, inquiry["conversation_id"])
            body["transcript"] = [{"speaker": l.speaker, "text": l.text, "tapped": l.tapped, "at": iso(l.at)}
                                  for l in lines]
        except TranscriptUnavailable:
            body["transcript"] = None
            body["transcript_error"] = "tracker store unavailable"
    return web.json_response(body)
