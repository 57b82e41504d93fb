"""Readable labels for Rasa payloads (`/affirm`, `/inform{"format":"video"}`) in transcripts.

Used when the button a payload came from is not in the tracker (older conversations, or a payload
a client sent itself, like the widget's `/greet` when it opens): staff read what the person meant,
never the payload. The titles the assistant really offered take precedence (console.transcripts).
"""
from __future__ import annotations

import json
import re

from console.vocabulary import PREFERENCE_FIELDS, humanize, preference_items

# Rasa's payload syntax: /intent, optionally @confidence, optionally {"entity": "value"}
_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z0-9_.\-]+)(?:@[0-9.]+)?(?P<entities>\{.*)?$", re.DOTALL)

INTENT_LABELS = {
    "greet": "(opened the chat)",
    "affirm": "Yes",
    "deny": "No",
    "give_consent": "Yes, contact me",
    "correct_answer": "Change something",
    "express_risk": "I need help now",
    "request_therapist": "Find a therapist",
    "show_topics": "Show topics",
    "continue_form": "Continue",
    "stop_form": "Stop",
    "restart_form": "Start over",
    "skip": "Skip",
    "thank": "Thanks",
    "goodbye": "Bye",
    "faq": "A question about therapy",
    "compare_psychoanalysis": "How is it different from psychoanalysis?",
    "ask_frequency_duration": "How long does it take?",
    "ask_right_for_me": "Is it right for me?",
    "bot_challenge": "Am I talking to a bot?",
}


def is_payload(text: str) -> bool:
    return bool(_PAYLOAD.match(text.strip()))


def _entities(raw: str | None) -> dict:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def payload_label(text: str) -> str:
    """What the person chose, in words: 'Video' for /inform{"format":"video"}, 'Yes' for /affirm."""
    match = _PAYLOAD.match(text.strip())
    if not match:
        return text
    intent, entities = match.group("intent"), _entities(match.group("entities"))
    if intent == "change_preference" and entities.get("preference_slot") in PREFERENCE_FIELDS:
        return f"Change: {PREFERENCE_FIELDS[entities['preference_slot']].lower()}"
    if entities:
        words = [text for _, text in preference_items(entities)]
        if words:
            return ", ".join(words)
    return INTENT_LABELS.get(intent, humanize(intent))
