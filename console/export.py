"""The queue as CSV: one column per preference in words, optionally each conversation's transcript.

Every cell goes through presentation.csv_safe, so nothing a visitor typed opens as a spreadsheet
formula. The SMS number is never exported (only the console's audited reveal shows it).
"""
from __future__ import annotations

import csv
import io
import json

from console.followup import clock
from console.inquiries import InquiryRepository, QueueFilter
from console.presentation import clock_words, csv_safe, fmt_dt, parse_preferences
from console.transcripts import TrackerTranscripts, TranscriptUnavailable, transcript_text
from console.vocabulary import (
    PREFERENCE_FIELDS,
    level_label,
    match_names,
    other_preferences,
    preference_columns,
    relaxed_label,
    situation_label,
)
from intake.channels import channel_label
from intake.levels import STATUS_LABELS
from intake.store import utcnow

CSV_COLUMNS = (
    "inquiry_id", "created_at", "channel", "status", "assigned_to", "risk_level", "risk_situation",
    "last_risk_at", "escalated_at", "last_contact_at", "waiting", "overdue", "callback_requested",
    "callback_first_name", "callback_contact_method", "callback_contact_value",
    *PREFERENCE_FIELDS, "other_preferences", "matches_shown", "relaxed_to_find_them",
)
TRANSCRIPT_COLUMN = "transcript"


def csv_row(r, now) -> list[str]:
    """One CSV line: preferences one column each, in words, as the inquiry page shows them."""
    preferences = parse_preferences(r.preferences)
    row_clock = clock(r)
    matches = _json_list(r.matches)
    values = (
        r.id, fmt_dt(r.created_at), channel_label(r.channel), STATUS_LABELS.get(r.status, r.status), r.assignee,
        level_label(r.risk_level), situation_label(r.last_risk_category), fmt_dt(r.last_risk_at),
        fmt_dt(r.escalated_at), fmt_dt(r.last_contact_at), clock_words(row_clock, now),
        "yes" if row_clock.overdue(now) else "no", "yes" if r.callback_requested else "no",
        r.callback_first_name, r.callback_contact_method, r.callback_contact_value,
        *preference_columns(preferences).values(), other_preferences(preferences),
        match_names(matches), ", ".join(relaxed_label(x) for x in _json_list(r.relaxed) if isinstance(x, str)),
    )
    return [csv_safe(v) for v in values]


def _json_list(text) -> list:
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def queue_csv_text(repo: InquiryRepository, transcripts: TrackerTranscripts, flt: QueueFilter,
                   viewer_id: int | None, with_transcripts: bool) -> str:
    """The CSV of the inquiries `flt` selects, in queue order (blocking: run it in a thread)."""
    now = utcnow()
    rows = list(repo.export_rows(flt, viewer_id))
    texts: dict[str, str] = {}
    if with_transcripts:
        try:
            texts = {cid: transcript_text(lines)
                     for cid, lines in transcripts.transcripts(r.conversation_id for r in rows).items()}
        except TranscriptUnavailable:
            texts = {r.conversation_id: "(transcript unavailable: tracker store unreachable)" for r in rows}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS + ((TRANSCRIPT_COLUMN,) if with_transcripts else ()))
    for r in rows:
        line = csv_row(r, now)
        if with_transcripts:
            line.append(csv_safe(texts.get(r.conversation_id, "")))
        writer.writerow(line)
    return buffer.getvalue()
