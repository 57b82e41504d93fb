"""Rasa NLU graph component: the risk verdict on every message.

Placed LAST in the pipeline so its verdict overrides every classifier before it,
FallbackClassifier included. It trains the situation classifier of the risk core
(risk/classifier.py) from risk/data/training during `rasa train`, stores it in the model, and
on every message puts a `risk` annotation (tier, situations, level, populations, language,
signal ids, scores) into the parse data, where CrisisPolicy reads it. On a clear risk it sets
the intent to `express_risk`; when only the intent classifier thought "risk" it hands the
message back to the next-best intent, so the bag-of-words intent model cannot raise alarms.
Message text is never logged or copied into the annotation.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sentence_featurizer import unit_sentence_embedding
from risk.constants import RISK_INTENT

logger = logging.getLogger(__name__)

RISK_KEY = "risk"
# What shapes the trained classifier besides its data (thresholds and patterns are read when
# serving, so they need no retraining)
_CLASSIFIER_CODE = ("risk/classifier.py", "risk/normalise.py", "risk/segment.py", "risk/constants.py",
                    "risk/data/normalisation.yml")
CLASSIFIER_FILE = "situation_classifier.pkl"  # in the model archive (tests/crisis/conftest.py reads it there too)
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class RiskDetector(GraphComponent):
    """Annotates messages with the risk verdict and forces `express_risk` on clear risk."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "risk_intent": RISK_INTENT,
            # the situation classifier's training data (JSON lines, see risk/data/training/README.md)
            "training_dir": "risk/data/training",
            # inverse regularisation of the classifier; chosen on the development split
            "c": 4.0,
            # a demoted message whose next-best intent is below this becomes nlu_fallback
            "fallback_threshold": 0.3,
            # blend the message's sentence embedding (SentenceEncoderFeaturizer, earlier in the
            # pipeline) into the n-gram gates; chosen on the development split (docs/RISK.md)
            "read_sentence_embedding": True,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Retrain when the risk training data or the code that fits the classifier changes (Rasa
        fingerprints only NLU data and config: a new model in risk/classifier.py was restored
        from Rasa's cache untrained)."""
        from risk.classifier import training_data_fingerprint

        # its benign examples come from the NLU files, the FAQ writers' included (see train)
        paths = _training_files(config) + _benign_nlu_files() + [os.path.join(_ROOT, p) for p in _CLASSIFIER_CODE]
        return hashlib.sha256(training_data_fingerprint(paths).encode()).hexdigest()[:16]

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 classifier: Any = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._risk_intent = self._config["risk_intent"]
        self._fallback_threshold = float(self._config["fallback_threshold"])
        self._classifier = classifier
        self._judge: Any = None
        if classifier is not None:
            self._build_judge()
        from bot.channels import payload_guard

        payload_guard.apply()  # typed "/intent" text is judged like any other text

    def _build_judge(self) -> None:
        from risk.judge import RiskJudge

        self._judge = RiskJudge(self._classifier)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RiskDetector":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "RiskDetector":
        from risk.classifier import SituationClassifier

        try:
            with model_storage.read_from(resource) as directory:
                classifier = SituationClassifier.load(str(directory / CLASSIFIER_FILE))
        except (ValueError, FileNotFoundError, OSError):
            # a model trained without this component's data: patterns only, loudly
            logger.error("Risk classifier not found in the model; risk recognition uses patterns only.")
            classifier = None
        component = cls(config, model_storage, resource, classifier)
        if classifier is None:
            component._build_judge()
        return component

    def train(self, training_data: TrainingData) -> Resource:
        from risk.classifier import SituationClassifier, load_examples

        examples = load_examples(_training_files(self._config))
        if not examples:
            raise ValueError(f"no risk training data in {self._config['training_dir']}")
        # The benign side: every NLU example but express_risk, the FAQ writers' questions included
        # (development split: false alarms 8.4% -> 6.3%; docs/RISK.md, second round).
        examples += benign_nlu_examples(load_nlu_data(), self._risk_intent)
        embeddings = None
        if self._config["read_sentence_embedding"]:
            from sentence_encoder.cache import encode_cached

            # training texts only, kept in var/ between trainings (sentence_encoder/cache.py); as a
            # function, so that the classifier embeds them while its n-gram models fit
            embeddings = functools.partial(encode_cached, [e.text for e in examples])
        self._classifier = SituationClassifier.train(examples, c=float(self._config["c"]), embeddings=embeddings)
        with self._model_storage.write_to(self._resource) as directory:
            self._classifier.save(str(directory / CLASSIFIER_FILE))
        self._build_judge()
        logger.info("Risk classifier trained on %d examples.", len(examples))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self._judge is None:
            self._build_judge()
        for message in messages:
            self._annotate(message)
        return messages

    def _sentence_embedding(self, message: Message) -> Optional[Any]:
        """The message's unit sentence embedding, or None: then the n-grams judge alone."""
        if not self._config["read_sentence_embedding"] or not getattr(self._classifier, "reads_embeddings", False):
            return None
        return unit_sentence_embedding(message, self._classifier.encoder_coef.shape[0], "the risk classifier")

    def _annotate(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        classifier_intent: Optional[str] = intent.get(INTENT_NAME_KEY)
        try:
            verdict = self._judge.judge(message.get(TEXT) or "", self._sentence_embedding(message))
            risk = verdict.as_dict()
        except Exception:  # a judge bug must never take the NLU down; the patterns' verdict is gone too
            logger.exception("Risk judge failed; the message is answered without a risk verdict.")
            risk = {"tier": "none", "category": None, "situations": [], "level": "none", "population": [],
                    "lang": None, "signals": ["judge_error"], "score": 0.0, "distress": 0.0}
        risk["classifier_intent"] = classifier_intent
        message.set(RISK_KEY, risk, add_to_output=True)
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get(INTENT_NAME_KEY) != self._risk_intent]
        if risk["tier"] == "clear":
            override = {INTENT_NAME_KEY: self._risk_intent, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, override, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [dict(override)] + ranking, add_to_output=True)
        elif classifier_intent == self._risk_intent:
            # only the bag-of-words intent model said "risk": answer the message as what it
            # most likely is otherwise (the risk tier decides about screening)
            fallback = {INTENT_NAME_KEY: "nlu_fallback", PREDICTED_CONFIDENCE_KEY: 1.0}
            if ranking and float(ranking[0].get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= self._fallback_threshold:
                fallback = dict(ranking[0])
            message.set(INTENT, dict(fallback), add_to_output=True)
            message.set(INTENT_RANKING_KEY, [dict(fallback)] + [r for r in ranking if r != fallback],
                        add_to_output=True)
        elif message.get(INTENT_RANKING_KEY):
            # the risk layer alone decides what is risk, also further down the ranking
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


def benign_nlu_examples(training_data: TrainingData, risk_intent: str = RISK_INTENT) -> List[Any]:
    """The assistant's own NLU examples (questions about therapy, greetings, form answers,
    idioms) as messages without risk: the risk writers wrote mostly hard cases, so without
    these the classifier had never seen an ordinary "my head hurts" or "do you take Aetna"."""
    from risk.classifier import Example

    return [Example(text=m.get(TEXT), labels=(), tier="none", source="nlu")
            for m in training_data.intent_examples if m.get(INTENT) != risk_intent and m.get(TEXT)]


def load_nlu_data(directory: str = os.path.join(_ROOT, "bot", "data")) -> TrainingData:
    """The NLU files of `directory`: the risk classifier's benign examples."""
    from rasa.shared.nlu.training_data.loading import load_data

    return TrainingData().merge(*[load_data(f) for f in _benign_nlu_files(directory)])


def _benign_nlu_files(directory: str = os.path.join(_ROOT, "bot", "data")) -> List[str]:
    """bot/data/nlu*.yml and the FAQ writers' files (bot/data/faq_writers/*.yml)."""
    import glob

    return sorted(glob.glob(os.path.join(directory, "nlu*.yml")) + glob.glob(os.path.join(directory, "faq_writers", "*.yml")))


def _training_files(config: Dict[Text, Any]) -> List[str]:
    import glob

    directory = config.get("training_dir") or RiskDetector.get_default_config()["training_dir"]
    if not os.path.isabs(directory):
        directory = os.path.join(_ROOT, directory)
    return sorted(glob.glob(os.path.join(directory, "*.jsonl")))
