"""Answers shaped to the question: the second question of a two-question message, and a
clarifying question (the two or three likeliest topics) when the NLU is unsure."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.topics import TOPICS, topic

FALLBACK_INTENT = "nlu_fallback"
RETRIEVAL_INTENT = "faq"
# A topic is offered in the clarifying question only when at least this likely, and only the
# likeliest few: a menu of everything helps nobody.
CLARIFY_MIN_SCORE = 0.05
CLARIFY_MAX_TOPICS = 3


class ActionAnswerSecondQuestion(Action):
    """Answers the second topic that bot.nlu.second_question found in the latest message."""

    def name(self) -> Text:
        return "action_answer_second_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        found = (tracker.latest_message or {}).get("second_question") or {}
        second = topic(found.get("topic"))
        if second is None:
            return []
        dispatcher.utter_message(response="utter_second_question_intro", topic_title=second.title)
        dispatcher.utter_message(response=second.response)
        return []


def likeliest_topics(parse_data: Dict[Text, Any]) -> List[Tuple[Text, float]]:
    """Topics ranked by the classifiers' combined confidence: an FAQ topic scores the retrieval
    intent's confidence times the ResponseSelector's."""
    selector = ((parse_data.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}).get("ranking") or []
    scores: Dict[Text, float] = {}
    for ranked in parse_data.get("intent_ranking") or []:
        name, confidence = ranked.get("name"), float(ranked.get("confidence") or 0.0)
        if name == RETRIEVAL_INTENT:
            for option in selector:
                key = option.get("intent_response_key")
                if key in TOPICS:
                    scores[key] = max(scores.get(key, 0.0), confidence * float(option.get("confidence") or 0.0))
        elif name in TOPICS:
            scores[name] = max(scores.get(name, 0.0), confidence)
    return sorted(scores.items(), key=lambda item: -item[1])


class ActionClarifyQuestion(Action):
    """On low confidence, asks which of the likeliest two or three topics was meant."""

    def name(self) -> Text:
        return "action_clarify_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        latest = tracker.latest_message or {}
        ranked = [(name, score) for name, score in likeliest_topics(latest)
                  if score >= CLARIFY_MIN_SCORE][:CLARIFY_MAX_TOPICS]
        # no known word at all (bot/nlu/unknown_words.py): any "likeliest" topic would be a guess
        if not ranked or latest.get("unknown_words"):
            dispatcher.utter_message(response="utter_default")
            return []
        buttons = [{"title": _capitalised(TOPICS[name].title), "payload": TOPICS[name].question}
                   for name, _ in ranked]
        buttons.append({"title": "Something else", "payload": "/show_topics"})
        dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        return []


def _capitalised(text: Optional[Text]) -> Text:
    return (text or "")[:1].upper() + (text or "")[1:]
