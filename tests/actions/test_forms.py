"""What both forms take from the domain (questions, ignored intents) and the shared way out."""
from __future__ import annotations

import copy

import pytest
from rasa_sdk.events import SlotSet

from actions.callback import ValidateCallbackForm
from actions.forms import MAX_FAILURES_BEFORE_WAY_OUT
from actions.preferences import ValidatePreferencesForm
from tests.actions.conftest import make_tracker, responses

BEFORE_STATE = {"concern": "anxiety", "age_range": "25_44"}


def without_ignored(domain, form: str, intent: str) -> dict:
    changed = copy.deepcopy(domain)
    changed["forms"][form]["ignored_intents"].remove(intent)
    return changed


async def test_an_ignored_intent_is_never_an_answer_and_the_list_is_the_domains(dispatcher, domain):
    tracker = lambda: make_tracker("Ohio", intent="faq", requested_slot="state", slots=BEFORE_STATE)  # noqa: E731
    events = await ValidatePreferencesForm().run(dispatcher, tracker(), domain)
    assert events == [SlotSet("requested_slot", "state")]  # left to the FAQ rule, then asked again
    events = await ValidatePreferencesForm().run(dispatcher, tracker(), without_ignored(domain, "preferences_form", "faq"))
    assert events[0] == SlotSet("state", "OH")


async def test_a_no_in_the_callback_form_is_never_a_name(dispatcher, domain):
    tracker = lambda: make_tracker("Sam", intent="deny", active_loop="callback_form",  # noqa: E731
                                   requested_slot="first_name")
    assert await ValidateCallbackForm().run(dispatcher, tracker(), domain) == []
    assert dispatcher.messages == []
    changed = without_ignored(domain, "callback_form", "deny")
    assert await ValidateCallbackForm().run(dispatcher, tracker(), changed) == [SlotSet("first_name", "Sam")]


async def test_the_questions_are_the_domains(dispatcher, domain):
    changed = copy.deepcopy(domain)
    changed["forms"]["callback_form"]["required_slots"] = ["first_name"]
    tracker = make_tracker("sam@example.com", active_loop="callback_form", requested_slot="contact_value",
                           slots={"first_name": "Sam"})
    assert await ValidateCallbackForm().run(dispatcher, tracker, changed) == []


async def test_the_way_out_comes_from_the_second_failure_on(dispatcher, domain):
    failures = {}
    for attempt in range(1, MAX_FAILURES_BEFORE_WAY_OUT + 2):
        dispatcher.messages.clear()
        tracker = make_tracker("blorp", requested_slot="state",
                               slots={**BEFORE_STATE, "preference_failures": failures})
        events = await ValidatePreferencesForm().run(dispatcher, tracker, domain)
        failures = next(e["value"] for e in events if e["name"] == "preference_failures")
        assert failures == {"state": attempt}
        way_out = ["utter_form_way_out"] if attempt >= MAX_FAILURES_BEFORE_WAY_OUT else []
        assert responses(dispatcher) == ["utter_invalid_state"] + way_out


@pytest.mark.parametrize("text", ["12", "<b>x</b>"])
async def test_the_callback_form_counts_no_failures(dispatcher, domain, text):
    events = await ValidateCallbackForm().run(
        dispatcher, make_tracker(text, active_loop="callback_form", requested_slot="first_name"), domain)
    assert events == [SlotSet("first_name", None)]
    assert responses(dispatcher) == ["utter_invalid_first_name"]
