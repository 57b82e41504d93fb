"""Formatting shared by pages, API and CSV: dates, ages, masked ids, preference summaries."""
from __future__ import annotations

import json
from datetime import datetime

from intake.levels import STATUS_LABELS
from intake.masking import mask_conversation_id
from intake.store import utcnow


def display_conversation_id(channel: str | None, conversation_id: str) -> str:
    """SMS conversation ids are phone numbers: shown masked. Web ids are random and shown whole."""
    if channel == "sms" or conversation_id.startswith("+"):
        return mask_conversation_id(conversation_id)
    return conversation_id


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
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def parse_preferences(value) -> dict:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = ", ".join(f"{k}={v}" for k, v in value.items())
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def preference_summary(preferences, limit: int = 4) -> str:
    prefs = parse_preferences(preferences)
    parts = [f"{key.replace('_', ' ')}: {_short(v)}" for key, v in prefs.items() if v not in (None, "", [], {})]
    return " · ".join(parts[:limit]) + (" …" if len(parts) > limit else "")


def csv_safe(value) -> str:
    """Neutralise spreadsheet formulas (CSV injection): visitor text may start with = + - @."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


TEMPLATE_FILTERS = {
    "dt": fmt_dt,
    "age": age,
    "status_label": status_label,
}
