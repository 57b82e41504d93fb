"""Callback consent and contact details: validated, stored only after an explicit yes."""
from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions import intake
from actions.callback import (ActionCancelCallback, ActionRecordCallbackConsent, ActionSaveCallback,
                              ValidateCallbackForm, parse_contact, parse_first_name)
from privacy.contact import contact_index
from tests.actions.conftest import make_tracker, responses


@pytest.mark.parametrize("text, name", [("Sam", "Sam"), ("my name is sam", "Sam"), ("I'm Zoë", "Zoë"),
                                        ("<b>x</b>", None), ("stop", None), ("12345", None), ("", None)])
def test_first_name_parsing(text, name):
    assert parse_first_name(text) == name


@pytest.mark.parametrize("text, expected", [
    ("614-555-0100", ("phone", "+16145550100")), ("call me at (212) 555 0123", ("phone", "+12125550123")),
    ("it's 614.555.0100", ("phone", "+16145550100")), ("+1 (614) 555-0100 thanks", ("phone", "+16145550100")),
    ("+44 20 7946 0958", ("phone", "+442079460958")),
    ("555 010 0177", None),  # possible but not a valid number: asked again rather than stored
    ("Sam@Example.com", ("email", "Sam@example.com")), ("email: sam@example.com.", ("email", "sam@example.com")),
    ("12345", None), ("sam@", None), ("not a number", None),
])
def test_contact_parsing(text, expected):
    assert parse_contact(text) == expected


async def test_consent_is_recorded_explicitly(dispatcher, domain):
    assert await ActionRecordCallbackConsent().run(dispatcher, make_tracker(active_loop=None), domain) == [
        SlotSet("callback_consent", True)]


async def test_form_validates_name_and_contact(dispatcher, domain):
    form = ValidateCallbackForm()
    events = await form.run(dispatcher, make_tracker("it's sam", active_loop="callback_form",
                                                     requested_slot="first_name"), domain)
    assert events == [SlotSet("first_name", "Sam")]
    events = await form.run(dispatcher, make_tracker("555", active_loop="callback_form",
                                                     requested_slot="contact_value", slots={"first_name": "Sam"}),
                            domain)
    assert events == [SlotSet("contact_value", None)]
    assert responses(dispatcher) == ["utter_invalid_contact_value"]
    events = await form.run(dispatcher, make_tracker("sam@example.com", active_loop="callback_form",
                                                     requested_slot="contact_value", slots={"first_name": "Sam"}),
                            domain)
    assert events == [SlotSet("contact_value", "sam@example.com"), SlotSet("contact_method", "email")]


async def test_crisis_message_is_never_taken_as_a_name(dispatcher, domain):
    events = await ValidateCallbackForm().run(
        dispatcher, make_tracker("I want to end it all", intent="express_risk", active_loop="callback_form",
                                 requested_slot="first_name"), domain)
    assert events == []


async def test_saved_callback_is_readable_by_intake_staff(dispatcher, domain, sqlite_store):
    tracker = make_tracker(active_loop=None, sender_id="conv-callback", slots={
        "callback_consent": True, "first_name": "Sam", "contact_method": "phone", "contact_value": "+16145550100"})
    events = await ActionSaveCallback().run(dispatcher, tracker, domain)
    assert events == [SlotSet("contact_value", None)]
    assert responses(dispatcher) == ["utter_callback_saved"]
    assert dispatcher.messages[0]["contact_phrase"] == "call or text you"
    callback = sqlite_store.get_inquiry("conv-callback")["callback"]
    assert callback["first_name"] == "Sam" and callback["contact_value"] == "+16145550100"
    with sqlite_store.engine.connect() as conn:  # stored encrypted, findable by its blind index
        stored = conn.exec_driver_sql(
            "SELECT callback_first_name, callback_contact_value, callback_contact_index FROM inquiries").one()
    assert "Sam" not in stored[0] and "6145550100" not in stored[1]
    assert stored[2] == contact_index("phone", "(614) 555-0100")


async def test_without_consent_nothing_personal_is_stored(dispatcher, domain, sqlite_store):
    tracker = make_tracker(active_loop=None, sender_id="conv-no-consent", slots={
        "first_name": "Sam", "contact_method": "phone", "contact_value": "+16145550100"})
    events = await ActionSaveCallback().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_callback_declined"]
    assert all(e["value"] is None for e in events)
    assert sqlite_store.get_inquiry("conv-no-consent") is None


async def test_failed_write_is_told_honestly(dispatcher, domain):
    from tests.actions.conftest import RecordingStore

    intake.set_store(RecordingStore(fail=True))
    try:
        tracker = make_tracker(active_loop=None, slots={
            "callback_consent": True, "first_name": "Sam", "contact_method": "email", "contact_value": "s@example.com"})
        await ActionSaveCallback().run(dispatcher, tracker, domain)
    finally:
        intake.set_store(None)
    assert responses(dispatcher) == ["utter_callback_save_failed"]


async def test_cancel_forgets_contact_details(dispatcher, domain):
    events = await ActionCancelCallback().run(dispatcher, make_tracker(active_loop="callback_form"), domain)
    assert responses(dispatcher) == ["utter_callback_cancelled"]
    assert events == [SlotSet("first_name", None), SlotSet("contact_value", None), SlotSet("contact_method", None),
                      SlotSet("callback_consent", False)]
