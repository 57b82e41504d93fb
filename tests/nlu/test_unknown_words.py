"""UnknownWordsFallback: no known word -> nlu_fallback; a misspelt message with one known word is left alone."""
from __future__ import annotations

from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.unknown_words import UnknownWordsFallback, words


def _trained(tmp_path) -> UnknownWordsFallback:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("unknown_words")
    component = UnknownWordsFallback({}, storage, resource)
    component.train(TrainingData([Message({TEXT: "what is psychodynamic therapy", "intent": "faq"}),
                                  Message({TEXT: "thanks a lot", "intent": "thank"})]))
    return UnknownWordsFallback.load({}, storage, resource, None)


def _classified(text: str) -> Message:
    return Message({TEXT: text, "intent": {"name": "thank", "confidence": 0.97},
                    "intent_ranking": [{"name": "thank", "confidence": 0.97}]})


def test_words_are_letters_only_lowercased():
    assert words("Wat is PSYCHODYNAMIC thrpy?? 2day") == ["wat", "is", "psychodynamic", "thrpy", "day"]
    assert words("heyyy, thanks a LOOOT") == words("hey thanks a lot")


def test_message_without_a_known_word_falls_back(tmp_path):
    message = _classified("qwzx vbnm plorf")
    _trained(tmp_path).process([message])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["nlu_fallback", "thank"]
    assert message.get("unknown_words") is True


def test_one_known_word_keeps_the_classification(tmp_path):
    message = _classified("wat is psychodinamic thrpy")
    _trained(tmp_path).process([message])
    assert message.get("intent")["name"] == "thank" and message.get("unknown_words") is None


def test_no_letters_is_left_to_the_other_components(tmp_path):
    message = _classified("2")
    _trained(tmp_path).process([message])
    assert message.get("intent")["name"] == "thank"
