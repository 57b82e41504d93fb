"""The crisis-support answer (it lists crisis lines) goes only to messages that ask about urgent,
out-of-hours or crisis help in so many words, however close their embedding is."""
import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.asked_only import asks_for
from bot.nlu.linear_response_selector import LinearResponseSelector


@pytest.mark.parametrize("text", [
    "is anyone around at 3am if things get bad",
    "who do I call when you're closed",
    "do you have a number for emergencies on weekends",
    "hay alguna línea de ayuda por la noche",
    "can I text someone between sessions",
    "not in crisis right now, but who do I call if it gets bad at night?",
])
def test_questions_about_urgent_or_out_of_hours_help_may_get_it(text):
    assert asks_for("faq/crisis_support", text)


@pytest.mark.parametrize("text", [
    "What are your office hours, and is there parking near the entrance?",
    "Does my employer's assistance programme cover sessions with you?",
    "Do you run a support group for widowers on Thursdays?",
    "Any groups for nurses with burnout? Not in crisis, just looking for people who get it",
    "not an emergency or anything, how much is a first session?",
])
def test_ordinary_questions_about_hours_and_groups_do_not(text):
    assert not asks_for("faq/crisis_support", text)


def test_other_topics_need_no_words():
    assert asks_for("faq/how_soon", "when")


def _message(text, vector, label=None):
    data = {TEXT: text}
    if label:
        data.update({INTENT: "faq", INTENT_RESPONSE_KEY: label})
    message = Message(data)
    message.add_features(Features(np.array([vector], dtype=np.float32), "sentence", TEXT, "encoder"))
    return message


def test_the_selector_drops_the_crisis_support_answer_without_its_words(tmp_path):
    topics = {"faq/crisis_support": 0, "faq/how_soon": 1, "faq/cost_insurance": 2}
    examples = [_message(f"{label} {i}", [1.0 if j == index else 0.0 for j in range(3)], label)
                for label, index in topics.items() for i in range(5)]
    data = TrainingData(examples, responses={f"utter_{label}": [{"text": label}] for label in topics})
    config = {"asked_only": {"faq/crisis_support": 0.5}}
    storage, resource = LocalModelStorage(tmp_path), Resource("faq_selector")
    LinearResponseSelector(config, storage, resource).train(data)
    selector = LinearResponseSelector.load(config, storage, resource, None)
    asked = _message("is there help after hours", [3.0, 1.0, 0.0])
    hours = _message("what are your opening hours", [3.0, 1.0, 0.0])  # the same embedding
    selector.process([asked, hours])
    assert asked.get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/crisis_support"
    assert hours.get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/how_soon"
