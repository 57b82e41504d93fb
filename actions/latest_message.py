"""The person's latest message as the actions read it: intent, text, button values, crisis verdict.

Both forms and the actions around them read the message through these, so an answer is
recognised, and a crisis message refused, the same way everywhere.
"""
from __future__ import annotations

from typing import Any, Dict

from rasa_sdk import Tracker

from actions.preference_parsing import clean_text
from risk.constants import RISK_INTENT

# Tiers of the NLU's risk verdict that the crisis layer answers (a crisis reply or a screening question).
CRISIS_TIERS = ("clear", "uncertain")


def intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def text(tracker: Tracker) -> str:
    """The message text, cut to a sane size and without control characters."""
    return clean_text(tracker.latest_message.get("text") or "")


def payload_entities(tracker: Tracker) -> Dict[str, Any]:
    """{entity: value} of a button payload such as /inform{"format":"video"}."""
    return {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities", []) or []
            if isinstance(e, dict)}


def is_crisis(tracker: Tracker) -> bool:
    """A message the crisis layer answers, never an answer to a question. Reads the NLU's risk
    verdict from the parse data, so the action server needs no model of its own."""
    if intent(tracker) == RISK_INTENT:
        return True
    risk = tracker.latest_message.get("risk") or {}
    return risk.get("tier") in CRISIS_TIERS
