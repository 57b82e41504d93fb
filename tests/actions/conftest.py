"""Tracker fixtures for action tests: build the exact tracker Rasa sends to the action server."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import intake
from intake.store import IntakeStore
from intake.testing import use_test_data_keys

ROOT = Path(__file__).resolve().parents[2]

FILLED = {
    "concern": "anxiety", "age_range": "25_44", "state": "OH", "insurance": "Aetna", "format": "video",
    "gender": "any", "language": "Spanish", "availability": "evenings", "approach": "psychodynamic",
}


@pytest.fixture(autouse=True)
def data_keys(monkeypatch):
    """Throw-away data keys for every test here (nothing is written to the home directory)."""
    return use_test_data_keys(monkeypatch)


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    with open(ROOT / "domain.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def user_message(text: str, intent: str = "inform", entities: Optional[List[dict]] = None,
                 confidence: float = 0.95) -> Dict[str, Any]:
    return {"text": text, "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [], "intent_ranking": [{"name": intent, "confidence": confidence}]}


def make_tracker(text: str = "", intent: str = "inform", slots: Optional[Dict[str, Any]] = None,
                 entities: Optional[List[dict]] = None, active_loop: Optional[str] = "preferences_form",
                 requested_slot: Optional[str] = None, after_user: Optional[List[dict]] = None,
                 prior_events: Optional[List[dict]] = None, channel: str = "rest",
                 sender_id: str = "test-conversation") -> Tracker:
    """A tracker as the form sends it: ... user message, [actions after it], form action executed."""
    message = user_message(text, intent, entities)
    all_slots = {"requested_slot": requested_slot, **(slots or {})}
    events = list(prior_events or []) + [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": message, "input_channel": channel},
        *(after_user or []),
        {"event": "slot", "name": "requested_slot", "value": requested_slot},
    ]
    if active_loop:
        events.append({"event": "action", "name": active_loop})
    return Tracker(sender_id, all_slots, message, events, False, None,
                   {"name": active_loop} if active_loop else {}, active_loop or "action_listen")


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("response") or m.get("text") for m in dispatcher.messages]


def rendered(dispatcher: CollectingDispatcher, domain: Dict[str, Any]) -> List[str]:
    """The texts as the Rasa server sends them: each domain response filled with the action's values."""
    from rasa.core.nlg.interpolator import interpolate_text

    return [interpolate_text(domain["responses"][m["response"]][0]["text"], m) if m.get("response")
            else m.get("text") for m in dispatcher.messages]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


class RecordingStore:
    """Stands in for IntakeStore where a test checks what the actions hand over (or that nothing is)."""

    def __init__(self, fail: bool = False):
        self.calls: List[tuple] = []
        self.fail = fail

    def _record(self, name, *args):
        if self.fail:
            raise ConnectionError("database down")
        self.calls.append((name, *args))

    def save_preferences(self, *args):
        self._record("save_preferences", *args)

    def save_matches(self, *args):
        self._record("save_matches", *args)

    def save_callback(self, *args):
        self._record("save_callback", *args)


@pytest.fixture(autouse=True)
def recording_store():
    """Every test's actions write here unless it asks for `sqlite_store` (never to var/intake.db)."""
    store = RecordingStore()
    intake.set_store(store)
    yield store
    intake.set_store(None)


@pytest.fixture
def sqlite_store(tmp_path):
    """A real SQLite intake store that the actions write to during one test."""
    store = IntakeStore(f"sqlite:///{tmp_path / 'intake.db'}")
    intake.set_store(store)
    yield store
    intake.set_store(None)
    store.close()
