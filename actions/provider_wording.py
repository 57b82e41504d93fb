"""How search results are put to the person: which domain response, filled with what.

The sentences are domain responses (utter_match_relaxed, utter_provider_match...); this module
only fills their variables: plain words for what was relaxed, and the facts of one provider.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

from actions.provider_relaxation import RELAXED_MAX_MILES

# What was relaxed, as utter_match_relaxed says it ("I widened the search: ...").
RELAXATION_LABELS = {
    "gender": "the therapist's gender",
    "language": "the session language",
    "availability": "the times that suit you",
    "concern": "the focus on your main concern",
    "approach": "the psychodynamic approach",
    "distance": f"the distance (now up to {RELAXED_MAX_MILES} miles)",
    "format": "in-person only (video sessions now included)",
}
FORMAT_WORDS = {("video",): "video", ("in_person",): "in person", ("video", "in_person"): "video or in person"}
# One provider: the response for the parts it has (a soonest appointment, a booking link).
MATCH_RESPONSES = {
    (True, True): "utter_provider_match",
    (True, False): "utter_provider_match_without_link",
    (False, True): "utter_provider_match_without_date",
    (False, False): "utter_provider_match_without_date_or_link",
}


def relaxed_text(relaxed: List[str]) -> str:
    """Plain words for what was relaxed, e.g. "the therapist's gender and the session language"."""
    labels = [RELAXATION_LABELS.get(name, name) for name in relaxed]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _appointment_words(iso_date: Optional[str], today: Optional[dt.date] = None) -> Optional[str]:
    if not iso_date:
        return None
    try:
        day = dt.date.fromisoformat(iso_date)
    except ValueError:
        return None
    today = today or dt.date.today()
    if day <= today:
        return "today"
    if day == today + dt.timedelta(days=1):
        return "tomorrow"
    return day.strftime("%a %b ") + str(day.day)


def _details(match: Dict[str, Any]) -> str:
    """Who, how they work, languages, video / in person: "Dr. Avery Example (demo), PhD. Psychodynamic,
    CBT. English, Spanish. Video or in person (3.2 mi)"."""
    name = match.get("name") or "Provider"
    credentials = ", ".join(match.get("credentials") or [])
    parts = [f"{name}, {credentials}" if credentials else name]
    if match.get("approaches"):
        parts.append(", ".join(match["approaches"][:3]))
    if match.get("languages"):
        parts.append(", ".join(match["languages"][:3]))
    fmt = FORMAT_WORDS.get(tuple(sorted(match.get("format") or [], key=["video", "in_person"].index)))
    if fmt:
        fmt = fmt[0].upper() + fmt[1:]
        if match.get("distance") is not None and "in_person" in (match.get("format") or []):
            fmt += f" ({match['distance']:g} mi)"
        parts.append(fmt)
    return ". ".join(p.rstrip(".") for p in parts)


def match_message(match: Dict[str, Any], today: Optional[dt.date] = None) -> Dict[str, Any]:
    """One provider as a short SMS-friendly message: `dispatcher.utter_message(**match_message(m))`."""
    soonest = _appointment_words(match.get("soonest_appointment"), today)
    booking_url = match.get("booking_url")
    message: Dict[str, Any] = {"response": MATCH_RESPONSES[(bool(soonest), bool(booking_url))],
                               "details": _details(match)}
    if soonest:
        message["soonest"] = soonest
    if booking_url:
        message["booking_url"] = booking_url
    return message
