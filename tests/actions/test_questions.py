"""The clarifying question and the answer to a second question (actions/questions.py)."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker

from actions.questions import ActionAnswerSecondQuestion, ActionClarifyQuestion, likeliest_topics
from actions.topics import TOPICS
from tests.actions.conftest import rendered


def _tracker(parse_data: dict) -> Tracker:
    events = [{"event": "action", "name": "action_listen"},
              {"event": "user", "text": parse_data.get("text", ""), "parse_data": parse_data}]
    return Tracker("t", {}, parse_data, events, False, None, {}, "action_listen")


def _unsure_parse(text: str = "the thing with the feelings and the old stuff?") -> dict:
    return {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.35},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.35},
            {"name": "faq", "confidence": 0.30},
            {"name": "compare_psychoanalysis", "confidence": 0.20},
            {"name": "greet", "confidence": 0.10},
        ],
        "response_selector": {"faq": {"ranking": [
            {"intent_response_key": "faq/how_it_works", "confidence": 0.6},
            {"intent_response_key": "faq/misconception_past", "confidence": 0.3},
            {"intent_response_key": "faq/types", "confidence": 0.1},
        ]}},
    }


def test_likeliest_topics_combine_the_intent_and_the_response_selector():
    ranked = likeliest_topics(_unsure_parse())
    names = [name for name, _ in ranked]
    assert names[:3] == ["compare_psychoanalysis", "faq/how_it_works", "faq/misconception_past"]
    assert dict(ranked)["faq/how_it_works"] == pytest.approx(0.18)
    assert "greet" not in names and "nlu_fallback" not in names


def test_clarifying_question_offers_the_two_or_three_likeliest_topics(dispatcher, domain):
    asyncio.run(ActionClarifyQuestion().run(dispatcher, _tracker(_unsure_parse()), domain))
    message = dispatcher.messages[0]
    assert message["response"] == "utter_clarify"
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == [TOPICS["compare_psychoanalysis"].question, TOPICS["faq/how_it_works"].question,
                        TOPICS["faq/misconception_past"].question, "/show_topics"]
    assert [b["title"] for b in message["buttons"]][0] == "How it differs from psychoanalysis"


def test_clarifying_question_without_any_likely_topic_shows_the_menu(dispatcher, domain):
    parse = {"text": "zxqv", "intent": {"name": "nlu_fallback", "confidence": 0.9},
             "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.9}, {"name": "greet", "confidence": 0.1}]}
    asyncio.run(ActionClarifyQuestion().run(dispatcher, _tracker(parse), domain))
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]


def test_second_question_is_introduced_and_answered(dispatcher, domain):
    parse = {"text": "what is it and do you take aetna", "intent": {"name": "faq", "confidence": 0.9},
             "second_question": {"topic": "faq/cost_insurance", "confidence": 0.9}}
    asyncio.run(ActionAnswerSecondQuestion().run(dispatcher, _tracker(parse), domain))
    assert [m["response"] for m in dispatcher.messages] == ["utter_second_question_intro", "utter_faq/cost_insurance"]
    assert rendered(dispatcher, domain)[0] == "You also asked about cost and insurance:"


def test_unknown_second_topic_sends_nothing(dispatcher, domain):
    parse = {"text": "x", "second_question": {"topic": "faq/not_a_topic", "confidence": 0.9}}
    assert asyncio.run(ActionAnswerSecondQuestion().run(dispatcher, _tracker(parse), domain)) == []
    assert dispatcher.messages == []


def test_every_topic_names_a_response_of_the_domain(domain):
    for name, topic in TOPICS.items():
        assert topic.response in domain["responses"], name


def test_no_known_word_gets_the_menu_not_a_guess(dispatcher, domain):
    parse = {**_unsure_parse("qwzx vbnm plorf"), "unknown_words": True}
    asyncio.run(ActionClarifyQuestion().run(dispatcher, _tracker(parse), domain))
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]
