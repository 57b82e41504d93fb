"""ValidatePreferencesForm and the actions around it, on trackers as Rasa sends them."""
from __future__ import annotations

import asyncio
import threading

import pytest
from rasa_sdk.events import FollowupAction, SlotSet

from actions import preference_parsing as parsing
from actions.preferences import (ActionAcceptSearchOffer, ActionCorrectPreference, ActionRestartPreferences,
                                 ActionSummarizePreferences, ValidatePreferencesForm)
from intake.store import IntakeStore
from actions import intake
from tests.actions.conftest import FILLED, make_tracker, responses

BEFORE_STATE = {"concern": "anxiety", "age_range": "25_44"}


async def validate(dispatcher, domain, **kwargs):
    return await ValidatePreferencesForm().run(dispatcher, make_tracker(**kwargs), domain)


# --- happy path -----------------------------------------------------------------------
async def test_button_payload_fills_the_slot_and_asks_the_next_question(dispatcher, domain):
    events = await validate(dispatcher, domain, text='/inform{"concern":"anxiety"}', requested_slot="concern",
                            entities=[{"entity": "concern", "value": "anxiety"}])
    assert events == [SlotSet("concern", "anxiety"), SlotSet("concern_detail", None),
                      SlotSet("requested_slot", "age_range")]
    assert dispatcher.messages == []


async def test_free_text_concern_is_kept_as_other(dispatcher, domain):
    events = await validate(dispatcher, domain, text="my job and my landlord", requested_slot="concern")
    assert SlotSet("concern", "stress") in events  # "job" is a stress word
    dispatcher.messages.clear()
    events = await validate(dispatcher, domain, text="I keep procrastinating", requested_slot="concern")
    assert events == [SlotSet("concern", "other"), SlotSet("concern_detail", "I keep procrastinating"),
                      SlotSet("requested_slot", "age_range")]


@pytest.mark.parametrize("text, code", [
    ("Ohio", "OH"), ("columbus oh", "OH"), ("Columbus, Ohio", "OH"), ("TX", "TX"), ("pensylvania", "PA"),
    ("I live in kansas city", "MO"), ("washington dc", "DC"), ("new york city", "NY"), ("Portland, ME", "ME"),
])
async def test_state_from_any_spelling(dispatcher, domain, text, code):
    events = await validate(dispatcher, domain, text=text, requested_slot="state", slots=BEFORE_STATE)
    assert events == [SlotSet("state", code), SlotSet("requested_slot", "insurance")]


async def test_zip_is_asked_only_for_in_person(dispatcher, domain):
    slots = {k: FILLED[k] for k in ("concern", "age_range", "state", "insurance")}
    video = await validate(dispatcher, domain, text="video please", requested_slot="format", slots=slots)
    assert video == [SlotSet("format", "video"), SlotSet("requested_slot", "gender")]
    in_person = await validate(dispatcher, domain, text="in person", requested_slot="format", slots=slots)
    # all form slots required again: Rasa itself requests the next empty one, the ZIP
    assert in_person == [SlotSet("format", "in_person")]
    zip_code = await validate(dispatcher, domain, text="my zip is 43215-1234", requested_slot="zip",
                              slots={**slots, "format": "in_person"})
    assert zip_code == [SlotSet("zip", "43215")]


async def test_sms_number_reply_picks_the_button(dispatcher, domain):
    slots = {k: FILLED[k] for k in ("concern", "age_range", "state", "insurance")}
    events = await validate(dispatcher, domain, text="2", requested_slot="format", slots=slots)
    assert events[0] == SlotSet("format", "in_person")


@pytest.mark.parametrize("slot, text", [("gender", "skip"), ("language", "no preference"),
                                        ("availability", "doesn't matter")])
async def test_optional_questions_can_be_skipped(dispatcher, domain, slot, text):
    order = ["concern", "age_range", "state", "insurance", "format", "gender", "language", "availability"]
    slots = {k: FILLED[k] for k in order[: order.index(slot)]}
    events = await validate(dispatcher, domain, text=text, intent="skip", requested_slot=slot, slots=slots)
    assert events[0] == SlotSet(slot, parsing.NO_PREFERENCE)


async def test_last_answer_completes_the_form(dispatcher, domain):
    slots = {k: v for k, v in FILLED.items() if k != "approach"}
    events = await validate(dispatcher, domain, text="no, open to others", intent="deny",
                            requested_slot="approach", slots=slots)
    assert events == [SlotSet("approach", "open"), SlotSet("requested_slot", None)]


# --- unhappy paths ----------------------------------------------------------------------
async def test_bad_state_gets_a_helpful_reask_then_a_way_out(dispatcher, domain):
    events = await validate(dispatcher, domain, text="asdfgh", requested_slot="state", slots=BEFORE_STATE)
    assert events == [SlotSet("state", None), SlotSet("preference_failures", {"state": 1}),
                      SlotSet("requested_slot", "state")]
    assert responses(dispatcher) == ["utter_invalid_state"]
    dispatcher.messages.clear()
    events = await validate(dispatcher, domain, text="¿dónde?", requested_slot="state",
                            slots={**BEFORE_STATE, "preference_failures": {"state": 1}})
    assert SlotSet("preference_failures", {"state": 2}) in events
    assert responses(dispatcher) == ["utter_invalid_state", "utter_form_way_out"]


async def test_a_good_answer_clears_the_failure_count(dispatcher, domain):
    events = await validate(dispatcher, domain, text="ohio", requested_slot="state",
                            slots={**BEFORE_STATE, "preference_failures": {"state": 2}})
    assert events == [SlotSet("state", "OH"), SlotSet("preference_failures", {}),
                      SlotSet("requested_slot", "insurance")]


async def test_required_question_cannot_be_skipped(dispatcher, domain):
    events = await validate(dispatcher, domain, text="skip", intent="skip", requested_slot="insurance",
                            slots={**BEFORE_STATE, "state": "OH"})
    assert events[0] == SlotSet("insurance", None)
    assert responses(dispatcher) == ["utter_cannot_skip"]


async def test_unknown_insurance_is_explained(dispatcher, domain):
    await validate(dispatcher, domain, text="Oscar health", requested_slot="insurance",
                   slots={**BEFORE_STATE, "state": "OH"})
    assert responses(dispatcher) == ["utter_invalid_insurance"]


@pytest.mark.parametrize("text", ["", " " * 5, "x" * 100_000, "<script>alert(1)</script>", "\x00\x07"])
async def test_empty_huge_or_hostile_input_is_a_reask_not_a_crash(dispatcher, domain, text):
    events = await validate(dispatcher, domain, text=text, requested_slot="zip",
                            slots={**BEFORE_STATE, "state": "OH", "insurance": "Aetna", "format": "in_person"})
    assert events[0] == SlotSet("zip", None)
    assert responses(dispatcher) == ["utter_invalid_zip"]


async def test_outside_the_us_ends_the_form_for_an_honest_answer(dispatcher, domain):
    events = await validate(dispatcher, domain, text="I'm in London", requested_slot="state", slots=BEFORE_STATE)
    assert events == [SlotSet("state", parsing.OUTSIDE_US), SlotSet("requested_slot", None)]


async def test_under_18_ends_the_form_early(dispatcher, domain):
    events = await validate(dispatcher, domain, text="I'm 16", requested_slot="age_range",
                            slots={"concern": "anxiety"})
    assert events == [SlotSet("age_range", "under_18"), SlotSet("requested_slot", None)]


async def test_crisis_message_never_lands_in_a_slot(dispatcher, domain):
    for slot in ("concern", "state", "language"):
        events = await validate(dispatcher, domain, text="I want to kill myself, I'm in Ohio",
                                intent="express_risk", requested_slot=slot)
        # only requested_slot: Rasa rejects the form and the crisis policy/rules answer
        assert [e["name"] for e in events] == ["requested_slot"]
        assert dispatcher.messages == []


@pytest.mark.parametrize("tier", ["clear", "uncertain"])
async def test_a_message_the_crisis_layer_answers_is_not_an_answer(dispatcher, domain, tier):
    """Whatever the intent model said, the NLU's risk verdict keeps the message out of the slots
    (read from the parse data: the action server needs no model of its own)."""
    tracker = make_tracker(text="I want to kill myself", intent="inform", requested_slot="concern")
    tracker.latest_message["risk"] = {"tier": tier, "category": "suicidal", "level": "high"}
    events = await ValidatePreferencesForm().run(dispatcher, tracker, domain)
    assert [e["name"] for e in events] == ["requested_slot"]


@pytest.mark.parametrize("intent", ["faq", "stop_form", "restart_form", "compare_psychoanalysis", "bot_challenge"])
async def test_other_topics_are_left_to_the_rules(dispatcher, domain, intent):
    events = await validate(dispatcher, domain, text="how much does it cost in texas?", intent=intent,
                            requested_slot="concern")
    assert [e["name"] for e in events] == ["requested_slot"]


async def test_deny_on_a_required_question_is_left_to_the_pause_rule(dispatcher, domain):
    events = await validate(dispatcher, domain, text="no", intent="deny", requested_slot="state", slots=BEFORE_STATE)
    assert [e["name"] for e in events] == ["requested_slot"]


async def test_resuming_after_an_faq_does_not_reread_the_faq_message(dispatcher, domain):
    events = await validate(dispatcher, domain, text="Ohio?", intent="inform", requested_slot="state",
                            slots=BEFORE_STATE, after_user=[{"event": "action", "name": "utter_faq"},
                                                            {"event": "bot", "text": "an answer"}])
    assert events == [SlotSet("requested_slot", "state")]


async def test_correction_mid_form_updates_the_earlier_answer(dispatcher, domain):
    slots = {**BEFORE_STATE, "state": "TX", "insurance": "Aetna"}
    events = await validate(dispatcher, domain, text="actually I'm in Ohio", intent="correct_answer",
                            requested_slot="format", slots=slots)
    assert events == [SlotSet("state", "OH"), SlotSet("requested_slot", "format")]
    assert responses(dispatcher) == ["utter_preference_updated"]
    assert dispatcher.messages[0]["value_label"] == "Ohio"


async def test_correction_naming_a_question_asks_it_again(dispatcher, domain):
    slots = {**BEFORE_STATE, "state": "TX", "insurance": "Aetna"}
    events = await validate(dispatcher, domain, text="wait I want to change my insurance", intent="correct_answer",
                            requested_slot="format", slots=slots)
    assert events == [SlotSet("insurance", None), SlotSet("requested_slot", "insurance")]


# --- answers kept as they are given ------------------------------------------------------------
async def answer(dispatcher, domain, text, requested_slot, slots, **kwargs):
    events = await validate(dispatcher, domain, text=text, requested_slot=requested_slot, slots=slots,
                            sender_id="conv-interrupted", channel="sms", **kwargs)
    return {**slots, **{e["name"]: e["value"] for e in events if e["name"] != "requested_slot"}}


async def test_each_answer_reaches_staff_at_once_also_when_a_crisis_interrupts(dispatcher, domain, sqlite_store):
    slots = await answer(dispatcher, domain, "anxiety", "concern", {})
    assert sqlite_store.get_inquiry("conv-interrupted")["preferences"] == {"concern": "anxiety"}
    slots = await answer(dispatcher, domain, "I'm 34", "age_range", slots)
    slots = await answer(dispatcher, domain, "columbus, ohio", "state", slots)
    await answer(dispatcher, domain, "I want to kill myself", "insurance", slots, intent="express_risk")
    record = sqlite_store.get_inquiry("conv-interrupted")
    assert record["preferences"] == {"concern": "anxiety", "age_range": "25_44", "state": "OH"}
    assert record["state"] == "OH" and record["channel"] == "sms"


async def test_a_refused_answer_writes_nothing(dispatcher, domain, recording_store):
    await validate(dispatcher, domain, text="asdfgh", requested_slot="state", slots=BEFORE_STATE)
    assert recording_store.calls == []


class StuckStore:
    """An intake database that takes its time: each write waits until the test lets it go."""

    def __init__(self):
        self.release, self.written = threading.Event(), threading.Event()

    def save_preferences(self, *args):
        self.release.wait(10)
        self.written.set()


async def test_a_slow_intake_database_does_not_hold_up_the_next_question(dispatcher, domain, monkeypatch):
    store = StuckStore()
    intake.set_store(store)
    monkeypatch.setattr(intake, "PREFERENCES_WRITE_TIMEOUT_S", 0.05)
    events = await validate(dispatcher, domain, text="ohio", requested_slot="state", slots=BEFORE_STATE)
    assert events == [SlotSet("state", "OH"), SlotSet("requested_slot", "insurance")]
    assert not store.written.is_set()
    store.release.set()  # the write was not abandoned: it lands once the database answers
    assert await asyncio.to_thread(store.written.wait, 10)


# --- after the form -----------------------------------------------------------------------
async def test_summary_to_confirm_and_preferences_recorded(dispatcher, domain, sqlite_store):
    tracker = make_tracker(text="evenings", active_loop=None, slots=FILLED, sender_id="conv-summary")
    assert await ActionSummarizePreferences().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_preferences_summary"]
    summary = dispatcher.messages[0]["summary"]
    assert "- State: Ohio" in summary and "- Insurance: Aetna" in summary and "- Language: Spanish" in summary
    record = sqlite_store.get_inquiry("conv-summary")
    assert record["channel"] == "rest" and record["state"] == "OH"
    assert record["preferences"]["insurance"] == "Aetna" and record["preferences"]["gender"] is None


@pytest.mark.parametrize("slots", [{}, {"concern": "anxiety", "age_range": "25_44"}])
async def test_no_summary_of_unanswered_questions_the_form_picks_up_again(dispatcher, domain, sqlite_store, slots):
    """A form step that failed (slow or restarting action server) never ends in an empty summary."""
    tracker = make_tracker(text="I'd like to find a therapist", active_loop=None, slots=slots)
    events = await ActionSummarizePreferences().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_form_step_retry"]
    assert events == [{"event": "followup", "timestamp": None, "name": "preferences_form"}]


async def test_summary_for_under_18_explains_the_guardian_path(dispatcher, domain, sqlite_store):
    tracker = make_tracker(active_loop=None, slots={"concern": "anxiety", "age_range": "under_18"})
    await ActionSummarizePreferences().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_under_18"]


async def test_summary_for_outside_us_is_honest(dispatcher, domain, sqlite_store):
    tracker = make_tracker(active_loop=None, slots={**BEFORE_STATE, "state": parsing.OUTSIDE_US})
    await ActionSummarizePreferences().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_outside_us"]


async def test_summary_still_answers_when_the_intake_database_is_down(dispatcher, domain, tmp_path):
    intake.set_store(IntakeStore(f"sqlite:///{tmp_path / 'missing-dir' / 'x' / 'intake.db'}"))
    try:
        await ActionSummarizePreferences().run(dispatcher, make_tracker(active_loop=None, slots=FILLED), domain)
    finally:
        intake.set_store(None)
    assert responses(dispatcher) == ["utter_preferences_summary"]


async def test_correction_after_the_form_reopens_it(dispatcher, domain):
    tracker = make_tracker(text="actually I'm in Ohio", intent="correct_answer", active_loop=None,
                           slots={**FILLED, "state": "TX"})
    events = await ActionCorrectPreference().run(dispatcher, tracker, domain)
    assert events == [SlotSet("state", "OH"), FollowupAction("preferences_form")]
    assert responses(dispatcher) == ["utter_preference_updated"]


async def test_change_button_clears_that_answer(dispatcher, domain):
    tracker = make_tracker(text='/change_preference{"preference_slot":"insurance"}', intent="change_preference",
                           entities=[{"entity": "preference_slot", "value": "insurance"}], active_loop=None,
                           slots=FILLED)
    events = await ActionCorrectPreference().run(dispatcher, tracker, domain)
    assert events == [SlotSet("insurance", None), FollowupAction("preferences_form")]


async def test_vague_change_request_asks_what_to_change(dispatcher, domain):
    tracker = make_tracker(text="that's wrong", intent="correct_answer", active_loop=None, slots=FILLED)
    assert await ActionCorrectPreference().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_ask_what_to_change"]


async def test_start_over_forgets_every_answer(dispatcher, domain):
    events = await ActionRestartPreferences().run(dispatcher, make_tracker(slots=FILLED), domain)
    assert responses(dispatcher) == ["utter_start_over"]
    assert {e["name"] for e in events} >= set(FILLED) | {"zip", "requested_slot", "preference_failures"}
    assert all(e["value"] is None for e in events)


async def test_yes_after_an_faq_offer_starts_the_form(dispatcher, domain):
    offer = {"event": "bot", "text": "Cost depends...", "data": {"buttons": [
        {"title": "Yes, find a therapist", "payload": "I want to find a therapist"},
        {"title": "Not now", "payload": "no thanks"}]}}
    tracker = make_tracker(text="yes", intent="affirm", active_loop=None,
                           prior_events=[{"event": "user", "text": "how much does it cost"}, offer])
    assert await ActionAcceptSearchOffer().run(dispatcher, tracker, domain) == [FollowupAction("preferences_form")]


async def test_yes_after_an_faq_without_offer_does_not_start_the_form(dispatcher, domain):
    tracker = make_tracker(text="ok", intent="affirm", active_loop=None,
                           prior_events=[{"event": "user", "text": "what is it"},
                                         {"event": "bot", "text": "Psychodynamic therapy is...", "data": {}}])
    assert await ActionAcceptSearchOffer().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_anything_else"]
