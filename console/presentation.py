"""Formatting shared by pages, API and CSV: dates, ages, clocks, masked ids and numbers."""
from __future__ import annotations

import json
import re
from datetime import datetime

from console.followup import Clock
from console.vocabulary import level_label, situation_label
from intake.channels import channel_label
from intake.levels import STATUS_LABELS
from intake.masking import mask_conversation_id, mask_phone
from intake.store import utcnow

REF_CHARS = 8
# a normalised phone number: "+" then digits only, which no spreadsheet can run as a formula
_E164 = re.compile(r"^\+[1-9][0-9]{5,14}$")


def display_conversation_id(channel: str | None, conversation_id: str) -> str:
    """A short reference to the conversation, never the whole id: a web id is the widget's session
    key, and ids from before namespacing (privacy.identifiers) could be phone numbers (masked)."""
    prefix, sep, rest = conversation_id.partition(":")
    if sep and prefix in ("web", "sms", "rest") and rest:
        return f"{prefix}:{rest[:REF_CHARS]}" + ("…" if len(rest) > REF_CHARS else "")
    return mask_conversation_id(conversation_id)


def fmt_dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def age(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    seconds = max(0, int(((now or utcnow()) - value).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h {minutes:02d}m" if hours < 6 else f"{hours}h"
    return f"{seconds // 86400}d {(seconds % 86400) // 3600}h"


def clock_words(clock: Clock, now: datetime | None = None) -> str:
    """'2h 05m since last contact'; empty for an inquiry without a clock (referred, closed)."""
    if clock.since is None:
        return ""
    return f"{age(clock.since, now)} since {clock.reason}"


def due_words(clock: Clock, now: datetime | None = None) -> str:
    """'overdue by 3h' or 'due in 40m'; empty when nothing is owed."""
    if clock.due_at is None:
        return ""
    now = now or utcnow()
    if clock.due_at < now:
        return f"overdue by {age(clock.due_at, now)}"
    return f"due in {age(now, clock.due_at)}"


def masked_phone(number: str | None) -> str:
    return mask_phone(number) if number else ""


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def parse_preferences(value) -> dict:
    """Stored preferences (JSON text, already decrypted) as a dict; {} if unreadable."""
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def csv_safe(value) -> str:
    """Neutralise spreadsheet formulas (CSV injection): visitor text may start with = + - @.
    A normalised phone number ("+16145550142") is left as it is: digits cannot be a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _E164.match(text):
        return "'" + text
    return text


TEMPLATE_FILTERS = {
    "dt": fmt_dt,
    "age": age,
    "status_label": status_label,
    "level_label": level_label,
    "situation_label": situation_label,
    "channel_label": channel_label,
}
