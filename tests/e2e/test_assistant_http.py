"""The trained assistant over real HTTP: Rasa server + action server + provider directory.

These talk to the REST channel exactly as a website or script would.
"""
from __future__ import annotations

import uuid

import pytest
from bot.channels.limits import MAX_MESSAGE_CHARS  # longer gets a 413 (tests/security)

pytestmark = pytest.mark.e2e


def texts(replies):
    return " ".join(r.get("text", "") for r in replies)


def new_sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


def test_greeting_says_what_it_is_and_offers_topics(assistant, chat):
    replies = chat(assistant, new_sender(), "hi")
    assert "automated assistant" in texts(replies)
    buttons = [b["title"] for r in replies for b in r.get("buttons", [])]
    assert "Find a therapist" in buttons and "I need help now" in buttons


@pytest.mark.parametrize("question, expected", [
    ("what is psychodynamic therapy", "unconscious"),
    ("how does it work?", "alliance"),
    ("whats transference", "onto your therapist"),
    ("tell me about mentalization-based therapy", "mentalize"),
    ("can it help with depression", "depression"),
    ("do i have to lie on a couch", "outdated"),
    ("how much does it cost, do you take insurance", "insurance"),
])
def test_faq_answers_come_from_the_article(assistant, chat, question, expected):
    assert expected in texts(chat(assistant, new_sender(), question))


def test_comparison_follow_ups_are_answered_in_context(assistant, chat):
    sender = new_sender()
    first = texts(chat(assistant, sender, "how is psychodynamic therapy different from psychoanalysis?"))
    assert "15 weekly sessions" in first and "Freud" in first
    follow_up = texts(chat(assistant, sender, "so how often would I go?"))
    assert "Psychoanalysis" in follow_up and "once a week" in follow_up
    better = texts(chat(assistant, sender, "and which one is better for me?"))
    assert "Neither one is better for everyone" in better


def test_frequency_without_comparison_gets_the_general_answer(assistant, chat):
    answer = texts(chat(assistant, new_sender(), "how often would I go?"))
    assert "once a week" in answer or "one session a week" in answer
    assert "Psychoanalysis is" not in answer


def test_identity_is_stated_plainly(assistant, chat):
    answer = texts(chat(assistant, new_sender(), "are you a real therapist?"))
    assert "not a person and not a therapist" in answer
    assert "can't diagnose" in answer


def test_gibberish_gets_topics_not_a_dead_end(assistant, chat):
    replies = chat(assistant, new_sender(), "qwzx vbnm plorf")
    assert any(r.get("buttons") for r in replies)


def test_crisis_message_gets_988_first(assistant, chat):
    replies = chat(assistant, new_sender(), "i don't want to be alive anymore")
    assert replies, "no reply to a crisis message"
    assert "988" in replies[0]["text"]
    assert "not a crisis counsellor" in replies[0]["text"]


def test_need_help_now_button_gives_the_crisis_resources(assistant, chat):
    sender = new_sender()  # a button is honoured in the conversation it was sent in
    greeting = chat(assistant, sender, "hi")
    payload = next(b["payload"] for r in greeting for b in r.get("buttons", []) if b["title"] == "I need help now")
    replies = chat(assistant, sender, payload)
    assert "988" in replies[0]["text"] and "911" in replies[0]["text"]


@pytest.mark.parametrize("text", [
    "", " ", "x" * MAX_MESSAGE_CHARS, "<script>alert(1)</script>", "¿Qué es la terapia psicodinámica?",
    "😀😀😀", "\u0000\u202e", "{\"json\": true}", "/greet{\"not\":\"json",
])
def test_bad_input_gets_an_answer_and_no_crash(assistant, chat, text):
    replies = chat(assistant, new_sender(), text)
    assert isinstance(replies, list)
    # The server is still healthy afterwards.
    assert chat(assistant, new_sender(), "hi")
