"""Rasa NLU graph component: picks the FAQ answer (retrieval intent `faq/<topic>`) with a linear model.

Why not Rasa's ResponseSelector: it is a DIET network (TensorFlow). On the development split (one
training writer held out, scripts/nlu_dev_split.py; figures in docs/nlu-data/README.md) it chose
the right topic less often than a logistic regression over the same word, character and sentence
encoder features, took about 2.5 of the 4 minutes of `rasa train`, and a few milliseconds a message.
This component keeps Rasa's convention — a retrieval intent, answered by `utter_faq` from the
`response_selector` parse data — and writes exactly the structure ResponseSelector writes, so
ActionRetrieveResponse, `rasa test nlu`, test stories and the tracker read it unchanged.

An answer that must only go to people who asked for it (`asked_only`: faq/crisis_support, whose
answer lists crisis lines) needs a training example close to the message (cosine of the sentence
embeddings). The intent model has no "none of these" for everyday talk, and sent "car battery
died in the car park" to faq/crisis_support: a crisis line on a message without risk. Below the
threshold the answer is dropped from the ranking and the next one is chosen; risk itself is the
RiskDetector's job, whatever is chosen here.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.nlu.training_data import util
from rasa.utils.tensorflow.constants import RANKING_LENGTH

from bot.nlu import model_files
from bot.nlu.asked_only import asks_for
from bot.nlu.linear_scores import scorer_for, sentence_features, stacked_features
from bot.nlu.sentence_featurizer import unit_sentence_embedding

logger = logging.getLogger(__name__)

_MODEL_FILE = "linear_response_selector.pkl"
RESPONSE_SELECTOR_PROPERTY = "response_selector"
ALL_RETRIEVAL_INTENTS = "all_retrieval_intents"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearResponseSelector(GraphComponent):
    """Logistic regression over the message's sentence features -> `faq/<topic>`."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "retrieval_intent": "faq",
            # inverse regularisation (chosen on the development split)
            "c": 1.0,
            "max_iter": 1000,
            RANKING_LENGTH: LABEL_RANKING_LENGTH,
            "random_state": 2026,
            # topic -> the cosine a message needs to one of its examples (docs/nlu-data/README.md)
            "asked_only": {},
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None, responses: Optional[Dict[Text, Any]] = None,
                 all_retrieval_intents: Optional[List[Text]] = None,
                 asked_examples: Optional[Dict[Text, np.ndarray]] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model
        self._responses = responses or {}
        self._all_retrieval_intents = all_retrieval_intents or []
        self._asked_examples = asked_examples or {}  # topic -> unit embeddings of its examples
        self._scorers: Dict[Any, Any] = {}  # linear_scores.scorer_for's, by model and feature width

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LinearResponseSelector":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearResponseSelector":
        saved = model_files.load(model_storage, resource, _MODEL_FILE)
        if saved is None:
            logger.warning("FAQ selector not found in the model; FAQ questions get the fallback.")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, saved["model"], saved["responses"],
                   saved["all_retrieval_intents"], saved.get("asked_examples"))

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        retrieval_intent = self._config["retrieval_intent"]
        examples = [m for m in training_data.intent_examples
                    if m.get(INTENT) == retrieval_intent and m.get(INTENT_RESPONSE_KEY)]
        if len({m.get(INTENT_RESPONSE_KEY) for m in examples}) < 2:
            raise ValueError(f"LinearResponseSelector needs examples of at least two {retrieval_intent}/<topic>")
        model = LogisticRegression(C=float(self._config["c"]), max_iter=int(self._config["max_iter"]),
                                   class_weight="balanced", random_state=self._config["random_state"])
        model.fit(_features(examples), [m.get(INTENT_RESPONSE_KEY) for m in examples])
        self._model = model
        self._responses = {key: value for key, value in (training_data.responses or {}).items()
                           if key.startswith(f"utter_{retrieval_intent}/")}
        self._all_retrieval_intents = sorted(training_data.retrieval_intents)
        self._asked_examples = {}
        for key in self._config["asked_only"]:
            vectors = [unit_sentence_embedding(m, None, "the FAQ selector") for m in examples
                       if m.get(INTENT_RESPONSE_KEY) == key]
            vectors = [v for v in vectors if v is not None]
            if vectors:
                self._asked_examples[key] = np.stack(vectors)
        model_files.save(self._model_storage, self._resource, _MODEL_FILE,
                         {"model": model, "responses": self._responses,
                          "all_retrieval_intents": self._all_retrieval_intents,
                          "asked_examples": self._asked_examples})
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None:
            return messages
        for message in messages:
            if not message.get(TEXT):
                continue
            sparse, dense = sentence_features(message)
            scorer = scorer_for(self._model, self._scorers, sparse, dense)
            probabilities = (scorer.predict_proba(sparse, dense) if scorer is not None
                             else self._model.predict_proba(_features([message]))[0])
            probabilities = self._without_unasked(message, probabilities)
            order = np.argsort(-probabilities)[: int(self._config[RANKING_LENGTH]) or len(probabilities)]
            ranking = [{"id": int(index), PREDICTED_CONFIDENCE_KEY: float(probabilities[index]),
                        INTENT_RESPONSE_KEY: str(self._model.classes_[index])} for index in order]
            top = ranking[0]
            key = top[INTENT_RESPONSE_KEY]
            utter_action = util.intent_response_key_to_template_key(key)
            selector = message.get(RESPONSE_SELECTOR_PROPERTY, {})
            selector[ALL_RETRIEVAL_INTENTS] = self._all_retrieval_intents
            selector[self._config["retrieval_intent"]] = {
                "response": {"responses": self._responses.get(utter_action, []),
                             PREDICTED_CONFIDENCE_KEY: top[PREDICTED_CONFIDENCE_KEY],
                             INTENT_RESPONSE_KEY: key, "utter_action": utter_action},
                "ranking": ranking,
            }
            message.set(RESPONSE_SELECTOR_PROPERTY, selector, add_to_output=True)
        return messages

    def _without_unasked(self, message: Message, probabilities: np.ndarray) -> np.ndarray:
        """Drop an `asked_only` topic that won the ranking without its words or an example close to the message."""
        while True:
            key = str(self._model.classes_[int(np.argmax(probabilities))])
            examples = self._asked_examples.get(key)
            if examples is None or probabilities.max() <= 0:
                return probabilities
            # the message must ask in so many words (bot/nlu/asked_only.py) and be close to an example;
            # no embedding (the encoder failed): the words decide; the crisis lines harm no one who asked
            if asks_for(key, message.get(TEXT)):
                embedding = unit_sentence_embedding(message, examples.shape[1], "the FAQ selector's asked_only check")
                if embedding is None or float((examples @ embedding).max()) >= float(self._config["asked_only"][key]):
                    return probabilities
            probabilities = probabilities.copy()
            probabilities[int(np.argmax(probabilities))] = 0.0
            probabilities /= probabilities.sum() or 1.0


def _features(messages: List[Message]) -> scipy.sparse.csr_matrix:
    """Sparse and dense sentence features side by side, as Rasa's LogisticRegressionClassifier uses them."""
    return scipy.sparse.vstack([stacked_features(message) for message in messages]).tocsr()
