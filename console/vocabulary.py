"""The words staff read: preferences, matches, risk levels and situations (channels: intake.channels).

What the assistant records are machine values (`age_range: 25_44`, `suicidal`); the console shows
them the way the assistant itself words them to people (actions.preference_parsing labels), never
as raw keys, `None` or Python reprs.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from actions.preference_parsing import label as preference_value_label
from risk.constants import DISTRESS, SITUATIONS

# The preferences form's questions, in the order it asks them, with the heading staff see.
PREFERENCE_FIELDS = {
    "concern": "Reason for therapy",
    "age_range": "Age",
    "state": "State",
    "insurance": "Insurance",
    "format": "Sessions",
    "zip": "ZIP code",
    "gender": "Therapist gender",
    "language": "Language",
    "availability": "Availability",
    "approach": "Approach",
}
# Optional questions: the assistant records "no preference" as an empty value.
NO_PREFERENCE_FIELDS = ("gender", "language", "availability")
# The queue's one-line summary: what a coordinator matches on first.
SUMMARY_FIELDS = ("concern", "age_range", "state", "insurance", "format")

LEVEL_LABELS = {"imminent": "Imminent", "high": "High", "concern": "Concern"}
LEVEL_HINTS = {
    "imminent": "life in danger now (emergency situation)",
    "high": "a crisis reply was sent",
    "concern": "asked a screening question",
}
SITUATION_LABELS = {
    "medical_emergency": "Medical emergency",
    "overdose": "Overdose",
    "imminent_danger": "In danger now",
    "child_exploitation": "Child exploitation",
    "child_abuse": "Child abuse",
    "trafficking": "Trafficking",
    "sexual_assault": "Sexual assault",
    "domestic_violence": "Domestic violence",
    "intimate_images": "Intimate images shared",
    "elder_abuse": "Elder abuse",
    "harm_others": "Thoughts of harming others",
    "other_at_risk": "Someone else at risk",
    "eating_disorder": "Eating disorder",
    "method": "Asked about means",
    "self_harm": "Self-harm",
    "suicidal": "Suicidal thoughts",
    "general": "Crisis (situation not named)",
    DISTRESS: "Distress",
}
RELAXED_LABELS = {
    "gender": "therapist gender",
    "language": "language",
    "availability": "availability",
    "concern": "focus on the main concern",
    "approach": "approach",
    "distance": "distance (up to 75 miles)",
    "format": "in person only (video included)",
}
FORMAT_WORDS = {"video": "Video", "in_person": "In person"}
_HTTP_URL = re.compile(r"^https?://[^\s<>\"']+$")


def humanize(value: Any) -> str:
    """'imminent_danger' -> 'Imminent danger': the fallback for a word no table knows yet."""
    text = str(value).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def level_label(level: str | None) -> str:
    return LEVEL_LABELS.get(level or "", humanize(level)) if level else ""


def situation_label(category: str | None) -> str:
    if not category:
        return ""
    return SITUATION_LABELS.get(category, humanize(category))


def relaxed_label(name: str) -> str:
    return RELAXED_LABELS.get(name, humanize(name).lower())


def _value_text(field: str, value: Any) -> str | None:
    """What one recorded preference says, in words; None when there is nothing to show."""
    if value in (None, "", [], {}):
        if field in NO_PREFERENCE_FIELDS:
            return "No preference"
        return None
    if isinstance(value, (list, tuple)):
        return ", ".join(t for t in (_value_text(field, v) for v in value) if t)
    if isinstance(value, dict):
        return ", ".join(f"{humanize(k)}: {v}" for k, v in value.items())
    if field in PREFERENCE_FIELDS and isinstance(value, str):
        return preference_value_label(field, value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def preference_items(preferences: dict) -> list[tuple[str, str]]:
    """(heading, words) for each preference recorded, the form's questions first in its order."""
    items = []
    for field, heading in PREFERENCE_FIELDS.items():
        if field in preferences:
            text = _value_text(field, preferences[field])
            if text:
                items.append((heading, text))
    for field, value in preferences.items():
        if field not in PREFERENCE_FIELDS:
            text = _value_text(field, value)
            if text:
                items.append((humanize(field), text))
    return items


def preference_columns(preferences: dict) -> dict[str, str]:
    """One value per form question, in words (CSV); questions not answered are empty."""
    columns = dict.fromkeys(PREFERENCE_FIELDS, "")
    for field in PREFERENCE_FIELDS:
        if field in preferences:
            columns[field] = _value_text(field, preferences[field]) or ""
    return columns


def other_preferences(preferences: dict) -> str:
    """Recorded values outside the form's questions (older records), as 'Heading: words; ...'."""
    return "; ".join(f"{humanize(k)}: {_value_text(k, v)}" for k, v in preferences.items()
                     if k not in PREFERENCE_FIELDS and _value_text(k, v))


def preference_summary(preferences: dict) -> str:
    """The queue's line: reason · age · state · insurance · sessions."""
    words = [_value_text(f, preferences.get(f)) for f in SUMMARY_FIELDS if preferences.get(f) not in (None, "")]
    return " · ".join(w for w in words if w)


def _words(values: Iterable[Any], limit: int) -> str:
    return ", ".join(str(v) for v in list(values or [])[:limit] if v not in (None, ""))


def match_view(match: dict) -> dict:
    """A provider the person was shown, as a coordinator reads it (no internal keys, no None)."""
    formats = [f for f in (match.get("format") or []) if f in FORMAT_WORDS]
    sessions = " or ".join(FORMAT_WORDS[f] for f in formats)
    distance = match.get("distance")
    if sessions and "in_person" in formats and isinstance(distance, (int, float)):
        sessions += f" ({distance:g} mi)"
    url = match.get("booking_url")
    details = [
        _words(match.get("approaches"), 3),
        _words(match.get("languages"), 4),
        sessions,
        f"soonest appointment {match['soonest_appointment']}" if match.get("soonest_appointment") else "",
    ]
    return {
        "name": str(match.get("name") or match.get("display_name") or "Provider"),
        "credentials": _words(match.get("credentials"), 4),
        "details": [d for d in details if d],
        "booking_url": url if isinstance(url, str) and _HTTP_URL.match(url) else None,
        "demo_listing": bool(match.get("fictional")),
    }


def match_names(matches: list) -> str:
    """The providers shown, by name (CSV)."""
    return "; ".join(match_view(m)["name"] for m in matches if isinstance(m, dict))


def unlabelled_situations() -> list[str]:
    """Situations the risk layer names that have no label here (a test keeps this empty)."""
    return [s for s in SITUATIONS if s not in SITUATION_LABELS]
