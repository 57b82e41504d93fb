"""action_record_risk_event against a real SQLite intake store."""
import logging
from datetime import datetime, timedelta

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.crisis as crisis
from intake.store import IntakeStore
from intake.testing import temporary_database_url

SECRET_TEXT = "I want to kill myself, call me on 555-867-5309"


def make_tracker(risk=None, intent="express_risk", channel="rest", sender="conv-crisis-1", text=SECRET_TEXT):
    parse_data = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    if risk is not None:
        parse_data["risk"] = risk
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": parse_data, "input_channel": channel},
        {"event": "action", "name": "utter_crisis_suicidal"},
        {"event": "action", "name": "utter_crisis_keep_talking"},
    ]
    return Tracker(sender, {}, parse_data, events, False, None, {}, "utter_crisis_keep_talking")


@pytest.fixture
def store(monkeypatch):
    with temporary_database_url("sqlite", prefix="crisis_action") as url:
        monkeypatch.setenv("INTAKE_DATABASE_URL", url)
        monkeypatch.setattr(crisis, "_store", None)
        yield IntakeStore(url)
        if crisis._store is not None:
            crisis._store.close()
        crisis._store = None


def _risk(category="suicidal", level="high"):
    return {"category": category, "level": level, "population": [], "signals": ["sui.kill_self"],
            "classifier_intent": "out_of_scope"}


async def test_records_category_level_channel_time_and_conversation(store, caplog):
    caplog.set_level(logging.DEBUG)
    dispatcher = CollectingDispatcher()
    before = datetime.utcnow() - timedelta(seconds=1)
    events = await crisis.ActionRecordRiskEvent().run(dispatcher, make_tracker(_risk(), channel="sms"), {})
    assert events == []
    assert dispatcher.messages == []
    inquiry = store.get_inquiry("conv-crisis-1")
    assert inquiry is not None and inquiry["channel"] == "sms"
    [event] = inquiry["risk_events"]
    assert (event["category"], event["level"]) == ("suicidal", "high")
    assert before <= event["occurred_at"] <= datetime.utcnow() + timedelta(seconds=1)
    assert inquiry["risk_level"] == "high"
    assert "kill myself" not in caplog.text and "555" not in caplog.text


async def test_imminent_level_is_kept(store):
    await crisis.ActionRecordRiskEvent().run(
        CollectingDispatcher(), make_tracker(_risk("imminent_danger", "imminent"), sender="conv-2"), {})
    [event] = store.get_inquiry("conv-2")["risk_events"]
    assert (event["category"], event["level"]) == ("imminent_danger", "imminent")


async def test_intent_only_is_recorded_as_general(store):
    risk = {"category": None, "level": "none", "population": [], "signals": [], "classifier_intent": "express_risk"}
    await crisis.ActionRecordRiskEvent().run(CollectingDispatcher(), make_tracker(risk, sender="conv-3"), {})
    [event] = store.get_inquiry("conv-3")["risk_events"]
    assert (event["category"], event["level"]) == ("general", "high")


async def test_escalation_of_weak_signals_is_recorded_as_high(store):
    await crisis.ActionRecordRiskEvent().run(
        CollectingDispatcher(), make_tracker(_risk("suicidal", "concern"), intent="out_of_scope", sender="conv-4"), {})
    [event] = store.get_inquiry("conv-4")["risk_events"]
    assert (event["category"], event["level"]) == ("suicidal", "high")


async def test_missing_annotation_and_channel(store):
    tracker = make_tracker(None, channel=None, sender="conv-5")
    await crisis.ActionRecordRiskEvent().run(CollectingDispatcher(), tracker, {})
    inquiry = store.get_inquiry("conv-5")
    assert inquiry["risk_events"][0]["category"] == "general"
    assert inquiry["channel"] == "unknown"


async def test_database_down_changes_nothing_the_person_sees(monkeypatch, caplog):
    monkeypatch.setattr(crisis, "_store", IntakeStore("postgresql://postgres@127.0.0.1:1/nowhere"))
    dispatcher = CollectingDispatcher()
    events = await crisis.ActionRecordRiskEvent().run(dispatcher, make_tracker(_risk(), sender="conv-6"), {})
    assert events == [] and dispatcher.messages == []
    assert "not recorded" in caplog.text
    assert "kill myself" not in caplog.text and "555" not in caplog.text


async def test_misconfigured_store_changes_nothing_the_person_sees(monkeypatch, caplog):
    monkeypatch.setattr(crisis, "_store", None)
    monkeypatch.setenv("INTAKE_DATABASE_URL", "not a database url")
    dispatcher = CollectingDispatcher()
    events = await crisis.ActionRecordRiskEvent().run(dispatcher, make_tracker(_risk(), sender="conv-7"), {})
    assert events == [] and dispatcher.messages == []
    assert "intake store unavailable" in caplog.text
