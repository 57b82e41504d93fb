"""Rasa's LogisticRegressionClassifier, scoring a message without building scipy matrices, and kept
in the model archive the way this project's other NLU components keep theirs.

Training is Rasa's own. `process` differs: each message is scored by linear_scores.LinearScorer,
which gives scikit-learn's probabilities from the message's sparse and dense sentence features
directly (about 1 ms less per message; see there). A message whose features do not fit the model's
shape takes Rasa's own path.

Saving and loading differ too (bot/nlu/model_files.py, as the FAQ selector and the second-question
finder). Rasa saves this classifier with skops, whose import lists the numpy, scipy and
scikit-learn types it trusts by searching every loaded module for each of them: 1.2 s of a Rasa
worker's start on a fast day, about 3 s on a slow one (py-spy, 2026-11-30), for three arrays. And
where a file held a type skops does not trust, Rasa's `load` returned an untrained classifier with
a debug line; here a model without the file says so in the log.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import RANKING_LENGTH

from bot.nlu import model_files
from bot.nlu.linear_scores import scorer_for, sentence_features

logger = logging.getLogger(__name__)

_MODEL_FILE = "intent_classifier.pkl"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(LogisticRegressionClassifier):
    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self._scorers: Dict[Any, Any] = {}

    def persist(self) -> None:
        model_files.save(self._model_storage, self._resource, _MODEL_FILE, self.clf)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearIntentClassifier":
        component = cls(config, execution_context.node_name, model_storage, resource)
        saved = model_files.load(model_storage, resource, _MODEL_FILE)
        if saved is None:
            # Rasa's own behaviour for a model trained without data for it: every message goes to
            # the fallback (an untrained classifier predicts nothing), but not silently
            logger.error("Intent classifier not found in the model; messages get the fallback.")
        else:
            component.clf = saved
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            sparse, dense = sentence_features(message)
            scorer = scorer_for(self.clf, self._scorers, sparse, dense)
            if scorer is None:
                super().process([message])
                continue
            # as LogisticRegressionClassifier.process ranks them (the same types: numpy str and float)
            ranking = sorted(({"name": name, "confidence": confidence}
                              for name, confidence in zip(self.clf.classes_, scorer.predict_proba(sparse, dense))),
                             key=lambda entry: -entry["confidence"])
            intent = ranking[0]
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set("intent", intent, add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
