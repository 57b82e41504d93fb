"""Crisis capability of the action server: record a risk event for the staff triage view.

The crisis reply itself is a domain response the Rasa server sends without this server
(see bot/policies/crisis_policy.py); this action only stores category, level, channel,
conversation id and time. It sends nothing and returns no events, so its failure (or
this whole server being down) changes nothing the person sees. No message text is read
into the record or logged.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from risk.constants import CATEGORIES

logger = logging.getLogger(__name__)

DEFAULT_CHANNEL = "unknown"
_RECORDED_LEVELS = ("high", "imminent")

_store: Any = None


def get_store() -> Any:
    """The intake store, built on first use from INTAKE_DATABASE_URL and reused."""
    global _store
    if _store is None:
        from intake.store import IntakeStore

        _store = IntakeStore.from_env()
    return _store


def risk_of_latest_message(tracker: Tracker) -> Tuple[str, str]:
    """(category, level) to record. The action only runs after a full crisis reply, so a
    message the detector marked lower (the intent alone fired, or an escalation of weak
    signals) is recorded as high; a category the detector could not name is "general"."""
    latest = tracker.latest_message or {}
    risk = latest.get("risk") or {}
    category = risk.get("category")
    if category not in CATEGORIES:
        category = "general"
    level = risk.get("level")
    if level not in _RECORDED_LEVELS:
        level = "high"
    return category, level


class ActionRecordRiskEvent(Action):
    def name(self) -> Text:
        return "action_record_risk_event"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        from intake.writer import write_safely

        category, level = risk_of_latest_message(tracker)
        channel = tracker.get_latest_input_channel() or DEFAULT_CHANNEL
        occurred_at = datetime.now(timezone.utc)
        try:
            store = get_store()
        except Exception as exc:  # noqa: BLE001 - misconfiguration must not break the conversation
            logger.error("risk event not recorded: intake store unavailable (%s)", type(exc).__name__)
            return []
        saved = await write_safely(
            store.record_risk_event, tracker.sender_id, channel, category, level, occurred_at
        )
        if saved:
            logger.info("risk event recorded: category=%s level=%s channel=%s", category, level, channel)
        else:
            logger.error("risk event not recorded: category=%s level=%s channel=%s", category, level, channel)
        return []
