"""SentenceEncoderFeaturizer: the encoder's sentence embedding as a dense Rasa feature."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sentence_featurizer import SentenceEncoderFeaturizer
from sentence_encoder import EMBEDDING_DIM, get_encoder


@pytest.fixture(scope="module")
def featurizer() -> SentenceEncoderFeaturizer:
    return SentenceEncoderFeaturizer({**SentenceEncoderFeaturizer.get_default_config(), "scale": 8.0}, "encoder")


def _sentence(message: Message) -> np.ndarray:
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None  # whole-message features only
    return sentence.features


def test_message_gets_the_scaled_embedding(featurizer):
    message = Message({TEXT: "How long does therapy take?"})
    featurizer.process([message])
    feature = _sentence(message)
    assert feature.shape == (1, EMBEDDING_DIM)
    expected = get_encoder().encode(["How long does therapy take?"])[0] * 8.0
    np.testing.assert_allclose(feature[0], expected, rtol=1e-5, atol=1e-5)


def test_training_data_is_featurized_in_batches_like_single_messages(featurizer):
    texts = ["what is psychodynamic therapy", "do you take aetna", "is it like freud?"]
    data = TrainingData([Message({TEXT: t, "intent": "faq"}) for t in texts])
    featurizer.process_training_data(data)
    single = Message({TEXT: texts[1]})
    featurizer.process([single])
    np.testing.assert_allclose(_sentence(data.training_examples[1]), _sentence(single), atol=1e-4)


def test_training_texts_embedded_once_are_read_from_the_cache(featurizer, monkeypatch):
    """`rasa train` embeds every NLU example for this featurizer and again for the risk classifier's
    benign side: the second time comes from var/sentence_embeddings.npz."""
    texts = ["can I see someone on a saturday morning", "what happens in the first session exactly"]
    first = TrainingData([Message({TEXT: t, "intent": "faq"}) for t in texts])
    featurizer.process_training_data(first)

    def no_encoder(*_args, **_kwargs):
        raise AssertionError("embedded again")

    monkeypatch.setattr(get_encoder(), "encode", no_encoder)
    again = TrainingData([Message({TEXT: t, "intent": "faq"}) for t in texts])
    featurizer.process_training_data(again)
    for before, after in zip(first.training_examples, again.training_examples):
        np.testing.assert_array_equal(_sentence(before), _sentence(after))


def test_paraphrases_are_closer_than_unrelated_questions(featurizer):
    messages = [Message({TEXT: t}) for t in ("how much does a session cost", "what's the price per visit",
                                             "do I have to lie on a couch")]
    featurizer.process(messages)
    a, b, c = (_sentence(m)[0] / 8.0 for m in messages)
    assert float(a @ b) > float(a @ c) + 0.2


def test_empty_text_gets_a_zero_feature(featurizer):
    message = Message({TEXT: "   "})
    featurizer.process([message])
    assert not _sentence(message).any()


def test_a_failing_encoder_leaves_a_zero_feature_and_the_parse_goes_on(featurizer, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("onnxruntime: cannot allocate")

    monkeypatch.setattr(featurizer._encoder, "encode", broken)
    message = Message({TEXT: "I took all my pills"})
    featurizer.process([message])
    assert _sentence(message).shape == (1, EMBEDDING_DIM) and not _sentence(message).any()


@pytest.mark.parametrize("bad", [{"batch_size": 0}, {"scale": 0}, {"scale": -1}])
def test_bad_config_is_refused(bad):
    with pytest.raises(ValueError):
        SentenceEncoderFeaturizer({**SentenceEncoderFeaturizer.get_default_config(), **bad}, "encoder")
