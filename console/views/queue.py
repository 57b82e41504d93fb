"""The queue: the start page, the filtered and paged list of inquiries, and its CSV export."""
from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from aiohttp import web

from console import audit
from console.export import queue_csv_text
from console.followup import clock
from console.inquiries import ASSIGNED_CHOICES, SORT_LABELS, QueueFilter, has_new_risk
from console.keys import REPO_KEY, SETTINGS_KEY, TRANSCRIPTS_KEY
from console.params import ParamError, flag, queue_filter
from console.presentation import clock_words, display_conversation_id, due_words, fmt_dt, parse_preferences
from console.views.pages import render, requested_page
from console.vocabulary import level_label, preference_summary, situation_label
from intake.channels import CHANNEL_LABELS, channel_label
from intake.levels import STATUSES

LEVEL_FILTER_LABELS = {"imminent": "Imminent", "high": "High", "concern": "Concern", "any": "Any risk event"}
ASSIGNED_LABELS = {"": "Anyone", "me": "Mine", "none": "Nobody"}


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/queue")


def _queue_filter(request: web.Request) -> QueueFilter:
    try:
        return queue_filter(request.query)
    except ParamError as exc:
        raise web.HTTPBadRequest(text=f"Bad filter: {exc}")


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
    page = requested_page(request)
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
    await audit.record_request(request, "export_csv", None, detail)

    body = await asyncio.to_thread(queue_csv_text, repo, transcripts, flt, viewer_id, with_transcripts)
    name = "intake-queue-with-transcripts.csv" if with_transcripts else "intake-queue.csv"
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
