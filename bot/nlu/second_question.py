"""Rasa NLU graph component: finds a second question in a message that asks two things.

"hi, what is psychodynamic therapy and do you take Aetna?" gets one intent (and one FAQ topic) from
the classifiers. This component splits the text into clauses ("?", ".", ";", "and", "also",
"plus", ...), embeds each clause with the shared sentence encoder, and classifies it with a small
topic model trained here on the same NLU examples (question topics, plus "other" for everything
else). When a clause clearly asks about a *different* question topic than the one the message was
classified as, it is put into the parse data as

    "second_question": {"topic": "faq/cost_insurance", "confidence": 0.91}

SecondQuestionPolicy then answers it after the first answer (actions/second_question.py). Single
clause messages cost nothing extra; each extra clause costs one encoder pass. Message text is
never logged.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import model_files
from bot.nlu.asked_only import asks_for

logger = logging.getLogger(__name__)

SECOND_QUESTION_KEY = "second_question"
RETRIEVAL_INTENT = "faq"
# Intents (besides faq/<topic>) whose answer is information that can follow another answer.
ANSWER_INTENTS = ("compare_psychoanalysis", "ask_frequency_duration", "ask_right_for_me")
OTHER = "other"
_MODEL_FILE = "second_question.pkl"
# Clause boundaries: sentence ends, and joining words that usually start a new question.
_SPLIT = re.compile(r"[?!.;\n]+|,?\s+\b(?:and also|and|also|plus|another thing|oh and|btw|as well as)\b\s+",
                    re.IGNORECASE)
_LEADING_JOINER = re.compile(r"^(?:and also|and|also|plus|another thing|oh and|btw)\b[\s,:]*", re.IGNORECASE)


def clauses(text: Text, min_words: int) -> List[Text]:
    """The clauses of `text` that have at least `min_words` words."""
    parts = [_LEADING_JOINER.sub("", p.strip(" ,:-")) for p in _SPLIT.split(text or "")]
    return [p for p in parts if len(p.split()) >= min_words]


def topic_name(intent: Optional[Dict[Text, Any]], response_selector: Optional[Dict[Text, Any]]) -> Optional[Text]:
    """The topic of a parse: its intent, or faq/<topic> from the FAQ selector's parse data."""
    name = (intent or {}).get(INTENT_NAME_KEY)
    if name != RETRIEVAL_INTENT:
        return name
    selector = (response_selector or {}).get(RETRIEVAL_INTENT) or {}
    return (selector.get("response") or {}).get("intent_response_key") or name


def topic_of(message: Message) -> Optional[Text]:
    return topic_name(message.get(INTENT), message.get("response_selector"))


def _label(message: Message) -> Text:
    intent = message.get(INTENT)
    if intent == RETRIEVAL_INTENT:
        return message.get(INTENT_RESPONSE_KEY) or OTHER
    return intent if intent in ANSWER_INTENTS else OTHER


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-9)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SecondQuestionFinder(GraphComponent):
    """Adds `second_question` to the parse data when a clause asks about another topic."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # a clause must have this many words to be classified ("and Aetna?" is too little)
            "min_words": 3,
            # the clause's topic must be at least this likely (chosen on the development split)
            "threshold": 0.7,
            # inverse regularisation of the clause topic model
            "c": 10.0,
            # at most this many clauses are classified (a rambling paragraph is not a question list)
            "max_clauses": 4,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model
        self._encoder: Any = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SecondQuestionFinder":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SecondQuestionFinder":
        model = model_files.load(model_storage, resource, _MODEL_FILE)
        if model is None:
            logger.warning("Second-question model not found in the model; two-question messages get one answer.")
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        rows, labels = [], []
        for message in training_data.intent_examples:
            sentence = message.get_dense_features(TEXT)[1]
            if sentence is None:
                continue
            rows.append(np.asarray(sentence.features, dtype=np.float32).reshape(-1))
            labels.append(_label(message))
        if not rows or len(set(labels)) < 2:
            raise ValueError("SecondQuestionFinder needs SentenceEncoderFeaturizer before it and question examples")
        model = LogisticRegression(C=float(self._config["c"]), max_iter=1000, class_weight="balanced",
                                   random_state=2026)
        model.fit(_unit_rows(np.stack(rows)), labels)
        self._model = model
        model_files.save(self._model_storage, self._resource, _MODEL_FILE, model)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None:
            return messages
        for message in messages:
            try:
                found = self._find(message)
            except Exception:  # never let this take the NLU down: the first answer still goes out
                logger.exception("Second-question search failed; answering the first question only.")
                found = None
            if found:
                message.set(SECOND_QUESTION_KEY, found, add_to_output=True)
        return messages

    def _find(self, message: Message) -> Optional[Dict[Text, Any]]:
        main = topic_of(message)
        if main is None or not (main.startswith(RETRIEVAL_INTENT + "/") or main in ANSWER_INTENTS):
            return None
        parts = clauses(message.get(TEXT) or "", int(self._config["min_words"]))
        if len(parts) < 2:
            return None
        parts = parts[: int(self._config["max_clauses"])]
        probabilities = self._model.predict_proba(_unit_rows(self._encode(parts)))
        classes = list(self._model.classes_)
        best: Optional[Dict[Text, Any]] = None
        for clause, row in zip(parts, probabilities):
            index = int(np.argmax(row))
            topic, confidence = classes[index], float(row[index])
            if topic in (OTHER, main) or confidence < float(self._config["threshold"]) or not asks_for(topic, clause):
                continue
            if best is None or confidence > best["confidence"]:
                best = {"topic": topic, "confidence": round(confidence, 4)}
        return best

    def _encode(self, texts: List[Text]) -> np.ndarray:
        if self._encoder is None:
            from sentence_encoder import get_encoder

            self._encoder = get_encoder()
        return self._encoder.encode(texts, batch_size=len(texts))
