"""Session fixtures for the crisis end-to-end tests: the trained assistant (trained once
per content hash by tests/support/servers.py, into its own folder with a fixed model
name) served by a real Rasa server WITHOUT an action server: the action endpoint
points at a free port nothing listens on, as when the action server is down."""
from __future__ import annotations

import tarfile

import pytest

from tests.support import servers


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
def situation_classifier(crisis_model, tmp_path_factory):
    """The situation classifier of the trained assistant, reading n-grams only: `rasa train` fits it
    on all of risk/data/training and the NLU examples, and adds the sentence-embedding gates, which
    are left out here (test_classifier.py tests them on a sample, the e2e tests through the real
    model). Fitting it again here cost a clean clone two to five minutes (143 s and ~285 s measured)
    for the same weights."""
    import dataclasses

    from bot.nlu.risk_detector import CLASSIFIER_FILE
    from risk.classifier import SituationClassifier

    with tarfile.open(crisis_model) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith(f"/{CLASSIFIER_FILE}"))
        path = tmp_path_factory.mktemp("situation_classifier") / CLASSIFIER_FILE
        path.write_bytes(archive.extractfile(member).read())
    classifier = SituationClassifier.load(str(path))
    return dataclasses.replace(classifier, encoder_hidden=None, encoder_gates=None, encoder_coef=None,
                               encoder_intercept=None)


@pytest.fixture(scope="session")
def risk_judge(situation_classifier):
    from risk.judge import RiskJudge

    return RiskJudge(situation_classifier)
