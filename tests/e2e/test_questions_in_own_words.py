"""Issue 12 over real HTTP: new topics, two questions in one message, a person when asked, and a
clarifying question when the assistant is unsure. (`rasa test core` cannot carry the
second_question parse data, so the two-question path is tested here, through the servers.)"""
from __future__ import annotations

import uuid

import pytest

from actions.topics import TOPICS

pytestmark = pytest.mark.e2e


def texts(replies):
    return " ".join(r.get("text", "") for r in replies)


def payloads(replies):
    return [b["payload"] for r in replies for b in r.get("buttons", [])]


def new_sender() -> str:
    return f"e2e-q-{uuid.uuid4().hex[:10]}"


def test_two_questions_in_one_message_get_both_answers(assistant, chat):
    replies = chat(assistant, new_sender(), "hi, what is psychodynamic therapy and do you take Aetna?")
    answer = texts(replies)
    assert "unconscious" in answer                          # what it is
    assert "You also asked about cost and insurance:" in answer
    assert "Insurance:" in answer and "Self-pay:" in answer   # the clinic's cost answer
    assert "988" not in answer


def test_one_question_gets_one_answer(assistant, chat):
    answer = texts(chat(assistant, new_sender(), "how long does psychodynamic therapy usually take?"))
    assert "You also asked" not in answer


@pytest.mark.parametrize("question, expected", [
    ("how is psychodynamic different from CBT?", "I only have detailed information about psychodynamic therapy"),
    ("is what I tell my therapist kept private?", "confidential"),
    ("im 15, can i do this without my parents knowing", "parent or guardian"),
    ("can i do sessions over zoom from home", "by video"),
    ("was this invented by freud?", "grew out of Sigmund Freud's psychoanalytic theory"),
])
def test_new_topics_are_answered_in_the_assistants_own_words(assistant, chat, question, expected):
    answer = texts(chat(assistant, new_sender(), question))
    assert expected in answer
    assert "I'm not sure I understood" not in answer


def test_minors_answer_attaches_no_crisis_line_but_a_disclosure_gets_childhelp(assistant, chat):
    """An ordinary question about a young person's therapy gets no hotline attached (the risk
    issue: no crisis line on an answer without risk); telling of harm gets the crisis reply."""
    from risk import resources
    from risk.evaluation import has_crisis_content

    answer = texts(chat(assistant, new_sender(), "can a 16 year old get therapy here?"))
    assert "parent or guardian" in answer and not has_crisis_content(answer)
    disclosure = texts(chat(assistant, new_sender(), "im 15 and my dad hits me when hes drunk"))
    assert resources.load()["resources"]["childhelp"]["en"] in disclosure


def test_crisis_support_answer_takes_its_numbers_from_the_crisis_facts(assistant, chat):
    from risk import resources

    answer = texts(chat(assistant, new_sender(), "is there a crisis line I can call at night?"))
    assert "isn't a crisis service" in answer  # the FAQ answer, not a crisis reply
    facts = resources.load()["resources"]
    for resource in ("lifeline_988", "crisis_text_line", "emergency_911"):
        assert facts[resource]["en"] in answer


def test_asking_for_a_person_offers_the_callback_and_yes_starts_it(assistant, chat):
    sender = new_sender()
    offer = chat(assistant, sender, "can I talk to a real person please")
    assert "can't put you through to a person" in texts(offer)
    assert "/give_consent" in payloads(offer)
    follow = texts(chat(assistant, sender, "yes"))
    assert "first name" in follow


def test_asking_for_a_person_and_declining_stores_nothing(assistant, chat):
    sender = new_sender()
    chat(assistant, sender, "I'd like to speak to a human")
    assert "haven't stored any contact details" in texts(chat(assistant, sender, "no thanks"))


def test_unsure_message_gets_a_clarifying_question_with_few_topics(assistant, chat):
    replies = chat(assistant, new_sender(), "the thing with the feelings from before")
    answer = texts(replies)
    options = payloads(replies)
    if "Did you mean one of these?" in answer:
        topics = [p for p in options if p != "/show_topics"]
        assert 1 <= len(topics) <= 3
        assert all(p in {t.question for t in TOPICS.values()} for p in topics)
    else:  # confident enough to answer: it must be an answer, not the generic menu
        assert "I'm not sure I understood" not in answer
