"""Record an inquiry for intake staff from actions, without ever holding up the conversation.

All writes go through intake.writer.write_safely (worker thread, retries, never raises).
The store is created lazily once per process so an action server without a reachable
database still answers people.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

logger = logging.getLogger(__name__)

# Preferences are written after every answer: a slow database may delay that reply this long at
# most (the write itself goes on in its thread and still lands).
PREFERENCES_WRITE_TIMEOUT_S = 2.0

_store = None


def get_store():
    """The process-wide IntakeStore (created on first use, from INTAKE_DATABASE_URL)."""
    global _store
    if _store is None:
        from intake.store import IntakeStore

        _store = IntakeStore.from_env()
    return _store


def set_store(store) -> None:
    """Tests point the actions at their own database."""
    global _store
    _store = store


def channel_of(tracker: Tracker) -> str:
    channel = tracker.get_latest_input_channel() or "unknown"
    return channel if channel.replace("_", "").isalnum() else "unknown"


async def _write(method_name: str, *args: Any, timeout_s: Optional[float] = None) -> bool:
    from intake.writer import write_safely

    try:
        store = get_store()
    except Exception as exc:  # noqa: BLE001 - a bad setting must not break the conversation
        logger.error("intake store unavailable (%s)", type(exc).__name__)
        return False
    try:
        return await asyncio.wait_for(write_safely(getattr(store, method_name), *args), timeout_s)
    except asyncio.TimeoutError:
        logger.error("intake write %s still running after %.1f s; answering without waiting", method_name, timeout_s)
        return False


async def record_preferences(tracker: Tracker, preferences: Dict[str, Any]) -> bool:
    return await _write("save_preferences", tracker.sender_id, channel_of(tracker), preferences,
                        timeout_s=PREFERENCES_WRITE_TIMEOUT_S)


async def record_matches(tracker: Tracker, matches: List[dict], relaxed: List[str]) -> bool:
    return await _write("save_matches", tracker.sender_id, matches, relaxed)


async def record_callback(tracker: Tracker, first_name: str, contact_method: str,
                          contact_value: str) -> bool:
    return await _write("save_callback", tracker.sender_id, first_name, contact_method, contact_value)
