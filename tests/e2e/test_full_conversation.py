"""A whole conversation over the REST channel: "hi" to three matches and a callback request,
then the intake record read back the way intake staff would see it."""
from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from intake.store import IntakeStore
from tests.support.conversations import rest_id, tracker as read_tracker

pytestmark = pytest.mark.e2e


def texts(replies):
    return "\n".join(r.get("text", "") for r in replies)


def test_from_hi_to_three_matches_and_a_callback(assistant, chat, stack_env):
    sender = f"e2e-prefs-{uuid.uuid4().hex[:10]}"
    assert "automated assistant" in texts(chat(assistant, sender, "hi"))

    first = chat(assistant, sender, "I want to find a therapist")
    assert "what brings you" in texts(first)
    assert any(b["title"] == "Anxiety" for r in first for b in r.get("buttons", []))

    assert "How old are you" in texts(chat(assistant, sender, '/inform{"concern":"anxiety"}'))
    assert "Which US state" in texts(chat(assistant, sender, "I'm 34"))
    # bad input gets a helpful re-ask, then free text works
    reask = texts(chat(assistant, sender, "blorp"))
    assert "couldn't find a US state" in reask and "Which US state" in reask
    assert "Which insurance" in texts(chat(assistant, sender, "los angeles, ca"))
    assert "video, in person" in texts(chat(assistant, sender, "I'll pay out of pocket"))
    assert "particular gender" in texts(chat(assistant, sender, "video"))
    assert "language" in texts(chat(assistant, sender, "no preference"))
    # a correction in the middle of the form, then the same question again
    corrected = texts(chat(assistant, sender, "actually I'm in California, San Diego"))
    assert "language" in corrected
    assert "When are you usually free" in texts(chat(assistant, sender, "no preference"))
    assert "psychodynamic therapist specifically" in texts(chat(assistant, sender, "I'm flexible"))

    summary = texts(chat(assistant, sender, "open to other approaches"))
    assert "- State: California" in summary and "- Insurance: Self-pay" in summary
    assert "Shall I search" in summary

    results = chat(assistant, sender, "yes")
    matches = [r["text"] for r in results if "Book: http" in r.get("text", "")]
    assert len(matches) == 3
    assert "intake team to contact you" in texts(results)

    assert "first name" in texts(chat(assistant, sender, "yes please contact me"))
    assert "phone number or email" in texts(chat(assistant, sender, "Sam"))
    done = texts(chat(assistant, sender, "sam@example.com"))
    assert "Thank you, Sam" in done and "email you" in done

    store = IntakeStore(stack_env["INTAKE_DATABASE_URL"])
    try:
        record = store.get_inquiry(rest_id(sender))
    finally:
        store.close()
    assert record["channel"] == "rest" and record["state"] == "CA"
    assert record["preferences"]["insurance"] == "self_pay" and record["preferences"]["format"] == "video"
    assert len(record["matches"]) == 3
    assert record["callback"]["first_name"] == "Sam"
    assert record["callback"]["contact_method"] == "email"
    assert record["callback"]["contact_value"] == "sam@example.com"


def test_crisis_message_mid_form_never_becomes_an_answer(assistant, chat):
    """What the crisis reply says is the crisis area's; here: the message must not fill a slot."""
    sender = f"e2e-prefs-{uuid.uuid4().hex[:10]}"
    chat(assistant, sender, "find me a therapist")
    chat(assistant, sender, "anxiety")
    assert "Which US state" in texts(chat(assistant, sender, "34"))
    chat(assistant, sender, "I want to kill myself, I'm in Ohio")
    slots = read_tracker(assistant.url, rest_id(sender))["slots"]
    assert slots["state"] is None and slots["concern"] == "anxiety" and slots["concern_detail"] is None
    assert "Which US state" in texts(chat(assistant, sender, "continue"))
