"""Clause splitting of bot.nlu.second_question and SecondQuestionPolicy's decisions."""
from __future__ import annotations

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlu.second_question import clauses
from bot.policies.second_question_policy import ANSWER_SECOND_QUESTION, next_action


def test_clauses_split_on_questions_and_joining_words():
    assert clauses("hi, what is psychodynamic therapy and do you take Aetna?", 3) == [
        "hi, what is psychodynamic therapy", "do you take Aetna"]
    assert clauses("How long does it take? Also, is it online?", 3) == ["How long does it take", "is it online"]


def test_short_fragments_are_not_clauses():
    assert clauses("what's the difference between psychodynamic and psychoanalysis", 3) == [
        "what's the difference between psychodynamic"]
    assert clauses("", 3) == []


def _tracker(parse_data: dict, after: list, loop: str = None) -> DialogueStateTracker:
    events = [ActionExecuted(ACTION_LISTEN_NAME), UserUttered("two things", parse_data=parse_data), *after]
    if loop:
        events.insert(0, ActiveLoop(loop))
    return DialogueStateTracker.from_events("s", events, slots=[])


SECOND = {"intent": {"name": "faq", "confidence": 0.9}, "second_question": {"topic": "faq/how_soon", "confidence": 0.8},
          "risk": {"tier": "none"}}


def test_second_answer_follows_the_first_then_listen():
    assert next_action(_tracker(SECOND, [ActionExecuted("utter_faq")])) == ANSWER_SECOND_QUESTION
    assert next_action(_tracker(SECOND, [ActionExecuted("utter_faq"), ActionExecuted(ANSWER_SECOND_QUESTION)])) \
        == ACTION_LISTEN_NAME


def test_policy_abstains_before_the_first_answer_without_a_second_question_on_risk_and_in_forms():
    assert next_action(_tracker(SECOND, [])) is None
    assert next_action(_tracker({**SECOND, "second_question": None}, [ActionExecuted("utter_faq")])) is None
    assert next_action(_tracker({**SECOND, "risk": {"tier": "uncertain"}}, [ActionExecuted("utter_faq")])) is None
    assert next_action(_tracker(SECOND, [ActionExecuted("utter_faq")], loop="preferences_form")) is None
    assert next_action(_tracker(SECOND, [ActionExecuted("utter_offer_human")])) is None
