"""bot/nlu/linear_scores.py gives scikit-learn's probabilities, and LinearIntentClassifier gives Rasa's
LogisticRegressionClassifier's parse data, for messages with sparse and dense sentence features."""
from __future__ import annotations

import copy
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.nlu.linear_intent_classifier import LinearIntentClassifier
from bot.nlu.linear_scores import LinearScorer, scorer_for, sentence_features, stacked_features

ROOT = Path(__file__).resolve().parents[2]
SPARSE_WIDTH, DENSE_WIDTH = 300, 16


def _message(rng: np.random.Generator, text: str, intent: str = None, dense: bool = True) -> Message:
    message = Message({TEXT: text, **({INTENT: intent} if intent else {})})
    counts = scipy.sparse.random(1, SPARSE_WIDTH, density=0.03, format="coo", random_state=rng.integers(1 << 30))
    message.add_features(Features(counts, "sentence", TEXT, "counts"))
    if dense:
        message.add_features(Features(rng.standard_normal((1, DENSE_WIDTH)).astype(np.float32), "sentence", TEXT, "encoder"))
    return message


@pytest.fixture(scope="module")
def messages():
    rng = np.random.default_rng(2026)
    return [_message(rng, f"message {i}", f"intent_{i % 5}") for i in range(200)]


@pytest.mark.parametrize("classes, solver", [(5, "lbfgs"), (2, "lbfgs"), (5, "liblinear")],
                         ids=["multinomial", "binary", "one-vs-rest"])
def test_probabilities_equal_scikit_learns(messages, classes, solver):
    X = scipy.sparse.vstack([stacked_features(m) for m in messages]).tocsr()
    y = [f"c{i % classes}" for i in range(len(messages))]
    model = LogisticRegression(solver=solver, max_iter=500, random_state=0).fit(X, y)
    scorer = LinearScorer(model, SPARSE_WIDTH)
    for message, expected in zip(messages, model.predict_proba(X)):
        got = scorer.predict_proba(*sentence_features(message))
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_features_of_another_shape_take_scikit_learns_path(messages):
    X = scipy.sparse.vstack([stacked_features(m) for m in messages]).tocsr()
    model = LogisticRegression(max_iter=200).fit(X, [i % 3 for i in range(len(messages))])
    cache: dict = {}
    rng = np.random.default_rng(1)
    assert scorer_for(model, cache, *sentence_features(messages[0])) is not None
    assert scorer_for(model, cache, *sentence_features(_message(rng, "no embedding", dense=False))) is None
    assert scorer_for(object(), cache, *sentence_features(messages[0])) is None  # not a fitted model


def _train_and_load(tmp_path, messages):
    storage, resource = LocalModelStorage(tmp_path), Resource("intents")
    config = {**LinearIntentClassifier.get_default_config(), "max_iter": 500, "random_state": 2026}
    trained = LinearIntentClassifier.create(config, storage, resource, _context())
    trained.train(TrainingData(messages[:150]))
    return trained, LinearIntentClassifier.load(config, storage, resource, _context())


def test_the_intent_classifier_loaded_from_the_model_scores_as_rasas(tmp_path, messages):
    trained, loaded = _train_and_load(tmp_path, messages)
    assert loaded.clf is not trained.clf
    np.testing.assert_array_equal(loaded.clf.coef_, trained.clf.coef_)
    assert list(loaded.clf.classes_) == list(trained.clf.classes_)
    rng = np.random.default_rng(7)
    unseen = [_message(rng, f"unseen {i}") for i in range(40)]
    ours, rasas = copy.deepcopy(unseen), copy.deepcopy(unseen)
    loaded.process(ours)
    LogisticRegressionClassifier.process(loaded, rasas)
    for mine, theirs in zip(ours, rasas):
        assert mine.get(INTENT)["name"] == theirs.get(INTENT)["name"]
        assert [r["name"] for r in mine.get("intent_ranking")] == [r["name"] for r in theirs.get("intent_ranking")]
        np.testing.assert_allclose([r["confidence"] for r in mine.get("intent_ranking")],
                                   [r["confidence"] for r in theirs.get("intent_ranking")], rtol=0, atol=1e-12)
    assert len(ours[0].get("intent_ranking")) == 5


def test_a_model_without_the_intent_classifier_says_so(tmp_path, caplog):
    storage, resource = LocalModelStorage(tmp_path), Resource("intents")
    with caplog.at_level(logging.ERROR, logger="bot.nlu.linear_intent_classifier"):
        loaded = LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(), storage, resource,
                                             _context())
    assert not hasattr(loaded.clf, "coef_")  # untrained, as Rasa's own load leaves it
    assert "Intent classifier not found in the model" in caplog.text


LOAD_IN_A_FRESH_PROCESS = """
import sys
from pathlib import Path
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from bot.nlu.linear_intent_classifier import LinearIntentClassifier
loaded = LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(), LocalModelStorage(Path(sys.argv[1])),
                                     Resource("intents"), ExecutionContext(GraphSchema({}), node_name="intents"))
print(hasattr(loaded.clf, "coef_"), "skops" in sys.modules)
"""


def test_loading_the_intent_classifier_does_not_import_skops(tmp_path, messages):
    """skops's import searches every loaded module for the types it trusts: seconds of each Rasa
    worker's start (bot/nlu/linear_intent_classifier.py). A worker loads the classifier without it."""
    _train_and_load(tmp_path, messages)
    loaded = subprocess.run([sys.executable, "-c", LOAD_IN_A_FRESH_PROCESS, str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=True)
    assert loaded.stdout.split() == ["True", "False"]  # trained, and skops not imported


def _context():
    from rasa.engine.graph import ExecutionContext, GraphSchema

    return ExecutionContext(GraphSchema({}), node_name="intents")


def test_sentence_features_are_rasas_combination_of_them():
    """Two sparse featurizers (words and characters, as config.yml has), one dense, and sequence
    features beside them: the same entries, in the same order, as Rasa's own combination."""
    rng = np.random.default_rng(11)
    message = Message({TEXT: "how long does it take"})
    for origin, width in (("words", 40), ("characters", 70)):
        message.add_features(Features(scipy.sparse.random(5, width, density=0.2, format="coo",
                                                           random_state=rng.integers(1 << 30)), "sequence", TEXT, origin))
        message.add_features(Features(scipy.sparse.random(1, width, density=0.2, format="coo",
                                                           random_state=rng.integers(1 << 30)), "sentence", TEXT, origin))
    message.add_features(Features(rng.standard_normal((1, DENSE_WIDTH)).astype(np.float32), "sentence", TEXT, "encoder"))
    sparse, dense = sentence_features(message)
    rasas_sparse = message.get_sparse_features(TEXT)[1].features.tocoo()
    assert sparse.shape == rasas_sparse.shape == (1, 110)
    np.testing.assert_array_equal(sparse.col, rasas_sparse.col)
    np.testing.assert_array_equal(sparse.data, rasas_sparse.data)
    np.testing.assert_array_equal(dense, message.get_dense_features(TEXT)[1].features)
    assert (stacked_features(message) != scipy.sparse.hstack([rasas_sparse, dense]).tocsr()).nnz == 0
