"""LinearResponseSelector writes the parse data Rasa's ResponseSelector writes (utter_faq reads it)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.linear_response_selector import LinearResponseSelector

TOPICS = {"faq/cost_insurance": 0, "faq/how_soon": 1, "faq/what_is": 2}


def _message(text: str, topic_index: int, label: str = None) -> Message:
    data = {TEXT: text}
    if label:
        data.update({INTENT: label.split("/")[0], INTENT_RESPONSE_KEY: label})
    message = Message(data)
    vector = np.zeros((1, 4), dtype=np.float32)
    vector[0, topic_index] = 1.0
    message.add_features(Features(vector, "sentence", TEXT, "encoder"))
    return message


@pytest.fixture()
def trained(tmp_path) -> LinearResponseSelector:
    examples = [_message(f"{label} {i}", index, label) for label, index in TOPICS.items() for i in range(5)]
    examples.append(_message("hello", 3, None))
    examples[-1].set(INTENT, "greet")
    data = TrainingData(examples, responses={"utter_faq/cost_insurance": [{"text": "It costs..."}],
                                             "utter_faq/how_soon": [{"text": "Soon."}],
                                             "utter_faq/what_is": [{"text": "It is..."}]})
    storage, resource = LocalModelStorage(tmp_path), Resource("faq_selector")
    LinearResponseSelector({}, storage, resource).train(data)
    return LinearResponseSelector.load({}, storage, resource, None)


def test_parse_data_has_the_response_selector_shape(trained):
    message = _message("how much is it", TOPICS["faq/cost_insurance"])
    trained.process([message])
    selector = message.get("response_selector")
    assert selector["all_retrieval_intents"] == ["faq"]
    response = selector["faq"]["response"]
    assert response["intent_response_key"] == "faq/cost_insurance"
    assert response["utter_action"] == "utter_faq/cost_insurance"
    assert response["responses"] == [{"text": "It costs..."}]
    assert 0.5 < response["confidence"] <= 1.0
    ranking = selector["faq"]["ranking"]
    assert [r["intent_response_key"] for r in ranking][0] == "faq/cost_insurance"
    assert sorted(r["intent_response_key"] for r in ranking) == sorted(TOPICS)
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_non_faq_examples_are_not_topics(trained):
    message = _message("hello", 3)
    trained.process([message])
    keys = {r["intent_response_key"] for r in message.get("response_selector")["faq"]["ranking"]}
    assert keys == set(TOPICS)


def test_untrained_component_leaves_the_message_alone(tmp_path):
    component = LinearResponseSelector.load({}, LocalModelStorage(tmp_path), Resource("missing"), None)
    message = _message("anything", 0)
    component.process([message])
    assert message.get("response_selector") is None


def _asked_only_selector(tmp_path) -> LinearResponseSelector:
    """faq/what_is stands in for faq/crisis_support: its examples point along one axis."""
    examples = [_message(f"{label} {i}", index, label) for label, index in TOPICS.items() for i in range(5)]
    data = TrainingData(examples, responses={f"utter_{label}": [{"text": label}] for label in TOPICS})
    config = {"asked_only": {"faq/what_is": 0.5}}
    storage, resource = LocalModelStorage(tmp_path), Resource("faq_selector")
    LinearResponseSelector(config, storage, resource).train(data)
    return LinearResponseSelector.load(config, storage, resource, None)


def _message_along(vector) -> Message:
    message = Message({TEXT: "a message"})
    message.add_features(Features(np.array([vector], dtype=np.float32), "sentence", TEXT, "encoder"))
    return message


def test_an_asked_only_answer_needs_an_example_close_to_the_message(tmp_path):
    selector = _asked_only_selector(tmp_path)
    close = _message_along([0.0, 0.0, 3.0, 1.0])  # cosine 0.95 to the what_is examples
    far = _message_along([0.0, 0.5, 1.0, 3.0])  # most like what_is, cosine 0.31 to its examples
    selector.process([close, far])
    assert close.get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/what_is"
    far_selection = far.get("response_selector")["faq"]
    assert far_selection["response"]["intent_response_key"] == "faq/how_soon"
    assert far_selection["response"]["responses"] == [{"text": "faq/how_soon"}]
    confidences = {r["intent_response_key"]: r["confidence"] for r in far_selection["ranking"]}
    assert confidences["faq/what_is"] == 0.0 and sum(confidences.values()) == pytest.approx(1.0)


def test_an_asked_only_answer_is_kept_when_the_message_has_no_embedding(tmp_path):
    selector = _asked_only_selector(tmp_path)
    message = Message({TEXT: "what is it"})
    message.add_features(Features(scipy.sparse.csr_matrix(np.array([[0.0, 0.0, 1.0, 0.0]], dtype=np.float32)),
                                  "sentence", TEXT, "counts"))
    selector.process([message])
    assert message.get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/what_is"


def test_an_odd_sentence_feature_keeps_the_answer_and_raises_nothing(tmp_path):
    """Another dense featurizer in the pipeline: the check cannot read the embedding, and the
    message must still reach the risk verdict after this component."""
    selector = _asked_only_selector(tmp_path)
    message = Message({TEXT: "what is it"})
    message.add_features(Features(np.array([[0.0, 0.0, 1.0, 0.0, 5.0]], dtype=np.float32), "sentence", TEXT, "other"))
    selector._model = _FixedRanking(selector._model, "faq/what_is")
    selector.process([message])
    assert message.get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/what_is"


class _FixedRanking:
    """The trained model's classes, always ranking one topic first (the odd feature has another width)."""

    def __init__(self, model, topic):
        self.classes_ = model.classes_
        self._top = list(model.classes_).index(topic)

    def predict_proba(self, features):
        probabilities = np.full((features.shape[0], len(self.classes_)), 0.1)
        probabilities[:, self._top] = 0.8
        return probabilities
