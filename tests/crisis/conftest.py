"""Session fixtures for the crisis end-to-end tests: the trained assistant (trained once
per content hash by tests/support/servers.py, into its own folder with a fixed model
name) served by a real Rasa server WITHOUT an action server: the action endpoint
points at a free port nothing listens on, as when the action server is down."""
from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from pathlib import Path

import pytest

from tests.support import servers

# Earlier sessions' situation classifiers (next to the cached assistant models; `make clean` empties it).
CLASSIFIER_CACHE = servers.MODEL_CACHE


@pytest.fixture(scope="session")
def crisis_model():
    return servers.trained_model_path()


@pytest.fixture(scope="session")
def rasa_without_actions(crisis_model, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("crisis_e2e")
    dead_action_port = servers.free_port()
    env = {"TWILIO_AUTH_TOKEN": "crisis-test-token", "INTAKE_DATABASE_URL": f"sqlite:///{workdir / 'intake.db'}"}
    with servers.rasa_server(crisis_model, workdir, dead_action_port, env=env) as server:
        yield server


@pytest.fixture(scope="session")
def situation_classifier():
    """The situation classifier trained on all of risk/data/training and the NLU examples, reading
    n-grams only. `rasa train` adds the sentence-embedding gates (encoding every example takes
    minutes): test_classifier.py tests them on a sample, the e2e tests through the real model."""
    from risk.classifier import SituationClassifier, load_examples

    # Training takes ~45 s: a session loads the classifier an earlier one trained from the same inputs.
    cached = CLASSIFIER_CACHE / f"situation-classifier-{classifier_inputs_hash()}.pkl"
    with contextlib.suppress(FileNotFoundError):  # none yet (or another session just replaced it)
        return SituationClassifier.load(str(cached))
    from bot.nlu.risk_detector import benign_nlu_examples, load_nlu_data  # imports Rasa (seconds)

    classifier = SituationClassifier.train(load_examples() + benign_nlu_examples(load_nlu_data()))
    CLASSIFIER_CACHE.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
    classifier.save(str(partial))
    os.replace(partial, cached)  # a rename: never half a file
    for stale in CLASSIFIER_CACHE.glob("situation-classifier-*.pkl"):
        if stale != cached:
            stale.unlink(missing_ok=True)
    return classifier


def classifier_inputs_hash() -> str:
    """What the situation_classifier fixture's classifier is made of: everything `rasa train` reads
    (bot.model_fingerprint: risk/ code and data, bot/nlu, bot/data, ...), this recipe, and the
    libraries that fit and pickle it."""
    import numpy
    import scipy
    import sklearn

    from bot.model_fingerprint import training_fingerprint

    digest = hashlib.sha256(training_fingerprint().encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(f"{sys.version} {numpy.__version__} {scipy.__version__} {sklearn.__version__}".encode())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def risk_judge(situation_classifier):
    from risk.judge import RiskJudge

    return RiskJudge(situation_classifier)
