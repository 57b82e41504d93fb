"""Rasa NLU graph component that runs the rule-based risk detector on every message.

Placed LAST in the pipeline so its verdict overrides every classifier before it,
FallbackClassifier included. Every message gets a `risk` annotation (category,
level, population, signal ids, the intent the classifiers chose) that Rasa keeps in
the UserUttered event's parse_data, where CrisisPolicy and the crisis action read it.
Message text is never logged or copied into the annotation.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from risk.constants import RISK_INTENT

logger = logging.getLogger(__name__)

RISK_KEY = "risk"
_OVERRIDE_LEVELS = ("high", "imminent")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RiskDetector(GraphComponent):
    """Annotates messages with risk and forces `express_risk` on high/imminent risk."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "risk_intent": RISK_INTENT,
            # The bag-of-words classifier alone also fires on "I'm not suicidal, just
            # stressed" or "I hurt myself at the gym" (16.8% false alarms on the
            # evaluation set). Without the detector's agreement its verdict needs this
            # confidence and no cancelled risk pattern to count as a crisis; otherwise
            # it becomes a weak signal (a gentle offer, and it counts towards escalation).
            "intent_only_min_confidence": 0.9,
            # a demoted message whose next-best intent is below this becomes nlu_fallback
            # (same default as FallbackClassifier)
            "fallback_threshold": 0.3,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self._risk_intent = config["risk_intent"]
        self._intent_only_min = float(config["intent_only_min_confidence"])
        self._fallback_threshold = float(config["fallback_threshold"])
        from risk.detector import get_detector

        self._detector = get_detector()  # load patterns once, at model load, not per message

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RiskDetector":
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._annotate(message)
        return messages

    def _risk_confidence(self, message: Message) -> float:
        for entry in message.get(INTENT_RANKING_KEY) or []:
            if entry.get(INTENT_NAME_KEY) == self._risk_intent:
                return round(float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0), 4)
        return 0.0

    def _annotate(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        classifier_intent: Optional[str] = intent.get(INTENT_NAME_KEY)
        try:
            assessment = self._detector.assess(message.get(TEXT) or "")
        except Exception:  # a detector bug must never take the NLU down; the intent still works
            logger.exception("Risk detector failed; continuing with the classifier's intent only.")
            risk = {"category": None, "level": "none", "population": [], "signals": ["detector_error"],
                    "classifier_intent": classifier_intent}
            message.set(RISK_KEY, risk, add_to_output=True)
            return
        risk = assessment.as_dict()
        risk["classifier_intent"] = classifier_intent
        risk["classifier_risk_confidence"] = self._risk_confidence(message)
        message.set(RISK_KEY, risk, add_to_output=True)
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get(INTENT_NAME_KEY) != self._risk_intent]
        if assessment.level in _OVERRIDE_LEVELS:
            override = {INTENT_NAME_KEY: self._risk_intent, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, override, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [dict(override)] + ranking, add_to_output=True)
            logger.debug("Risk detector: %s/%s signals=%s", assessment.category, assessment.level, assessment.signals)
        elif classifier_intent == self._risk_intent and (
            risk["classifier_risk_confidence"] < self._intent_only_min or assessment.suppressed
        ):
            # unconfirmed classifier verdict: answer the message normally, offer help gently
            fallback = {INTENT_NAME_KEY: "nlu_fallback", PREDICTED_CONFIDENCE_KEY: 1.0}
            if ranking and float(ranking[0].get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= self._fallback_threshold:
                fallback = dict(ranking[0])
            message.set(INTENT, dict(fallback), add_to_output=True)
            message.set(INTENT_RANKING_KEY, [dict(fallback)] + [r for r in ranking if r != fallback], add_to_output=True)
            risk["level"] = "concern" if risk["level"] == "none" else risk["level"]
            risk["signals"] = list(risk["signals"]) + ["intent.unconfirmed"]
            message.set(RISK_KEY, risk, add_to_output=True)
