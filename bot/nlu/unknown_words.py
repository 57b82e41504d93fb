"""Rasa NLU graph component: a message with no word the assistant was trained on falls back.

Why: sentence embeddings give every string a place, so the classifiers can be confident about
"qwzx vbnm plorf" (it came out as a confident "thank you"). A message none of whose words occur
in the training data cannot be a paraphrase of anything the assistant knows; it gets
`nlu_fallback` (and `unknown_words: true` in the parse data, so the reply is the topic menu, not
a guess at the likeliest topics). Misspelt messages keep at least one known word ("wat is
psychodynamic thrpy") and are classified as usual. Placed after the FallbackClassifier and before
the RiskDetector, which still overrides it: a risk message in words the FAQ data never used
("quiero morirme") gets its crisis reply.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

UNKNOWN_WORDS_KEY = "unknown_words"
FALLBACK_INTENT = "nlu_fallback"
_VOCABULARY_FILE = "vocabulary.json"
_WORD = re.compile(r"[^\W\d_]+")


_REPEATS = re.compile(r"(.)\1+")


def words(text: Optional[Text]) -> List[Text]:
    """Lower-cased words, each letter run collapsed ("heyyy" and "hey" are the same word)."""
    return [_REPEATS.sub(r"\1", w.lower()) for w in _WORD.findall(text or "")]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class UnknownWordsFallback(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[Set[Text]] = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary or set()

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "UnknownWordsFallback":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "UnknownWordsFallback":
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = set(json.loads((directory / _VOCABULARY_FILE).read_text(encoding="utf-8")))
        except (ValueError, FileNotFoundError, OSError):
            vocabulary = set()  # no vocabulary: the component does nothing
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        self._vocabulary = {w for message in training_data.training_examples for w in words(message.get(TEXT))}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _VOCABULARY_FILE).write_text(json.dumps(sorted(self._vocabulary)), encoding="utf-8")
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if not self._vocabulary:
            return messages
        for message in messages:
            found = words(message.get(TEXT))
            if found and not any(w in self._vocabulary for w in found):
                ranking = [r for r in (message.get(INTENT_RANKING_KEY) or [])
                           if r.get(INTENT_NAME_KEY) != FALLBACK_INTENT]
                fallback = {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback] + ranking, add_to_output=True)
                message.set(UNKNOWN_WORDS_KEY, True, add_to_output=True)
        return messages
