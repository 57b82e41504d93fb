"""Answers are kept as they are given: a form cut short by a crisis still reaches intake staff with what
the person said (over REST, with the real Rasa server, action server and intake store)."""
from __future__ import annotations

import time
import uuid

import pytest

from intake.store import IntakeStore
from tests.support.conversations import rest_id

pytestmark = pytest.mark.e2e

ANSWERS_SO_FAR = {"concern": "anxiety", "age_range": "25_44", "state": "OH"}


def texts(replies):
    return "\n".join(r.get("text", "") for r in replies)


def preferences_in_intake(database_url: str, conversation_id: str, want: dict, wait_s: float = 10) -> dict:
    """The inquiry's preferences once they match `want` (a write may still be finishing in the
    action server's thread after a slow first migration), else the last ones read."""
    store = IntakeStore(database_url)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            inquiry = store.get_inquiry(conversation_id)
            preferences = (inquiry or {}).get("preferences")
            if preferences == want or time.monotonic() > deadline:
                return preferences
            time.sleep(0.2)
    finally:
        store.close()


def test_three_answers_then_a_crisis_message_reach_staff(assistant, chat, stack_env):
    sender = f"e2e-saved-{uuid.uuid4().hex[:10]}"
    assert "what brings you" in texts(chat(assistant, sender, "I want to find a therapist"))
    assert "How old are you" in texts(chat(assistant, sender, "anxiety"))
    assert "Which US state" in texts(chat(assistant, sender, "I'm 34"))
    assert "Which insurance" in texts(chat(assistant, sender, "Columbus, Ohio"))
    assert chat(assistant, sender, "I want to kill myself")  # what the crisis reply says is the crisis area's

    preferences = preferences_in_intake(stack_env["INTAKE_DATABASE_URL"], rest_id(sender), ANSWERS_SO_FAR)
    assert preferences == ANSWERS_SO_FAR
