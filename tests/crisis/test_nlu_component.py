"""The RiskDetector NLU component: a verdict on every message, the intent set on clear risk,
the bag-of-words intent model's own "risk" guess handed back to the next-best intent."""
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.risk_detector import RiskDetector


@pytest.fixture(scope="module")
def component(situation_classifier, tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("risk_component"))
    return RiskDetector(RiskDetector.get_default_config(), storage, Resource("risk"), situation_classifier)


def _message(text, intent="nlu_fallback", confidence=0.7, runner_up=("express_risk", 0.2)):
    ranking = [{"name": intent, "confidence": confidence}, {"name": runner_up[0], "confidence": runner_up[1]}]
    return Message(data={TEXT: text, INTENT: {"name": intent, "confidence": confidence}, INTENT_RANKING_KEY: ranking})


def test_clear_risk_overrides_the_intent_and_is_in_the_output(component):
    message = _message("i wanna unalive myself")
    component.process([message])
    output = message.as_dict(only_output_properties=True)
    assert output[INTENT] == {"name": "express_risk", "confidence": 1.0}
    assert [r["name"] for r in output[INTENT_RANKING_KEY]].count("express_risk") == 1
    risk = output["risk"]
    assert risk["tier"] == "clear" and risk["category"] == "suicidal" and risk["level"] == "high"
    assert risk["classifier_intent"] == "nlu_fallback"
    assert all("unalive" not in signal for signal in risk["signals"])  # ids, never text


def test_no_risk_keeps_the_intent_but_still_annotates(component):
    message = _message("what is transference", intent="faq")
    component.process([message])
    assert message.get(INTENT)["name"] == "faq"
    risk = message.as_dict(only_output_properties=True)["risk"]
    assert risk["tier"] == "none" and risk["classifier_intent"] == "faq"


def test_distress_is_annotated_as_uncertain_without_overriding(component):
    message = _message("I am depressed", intent="out_of_scope")
    component.process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get("risk")["tier"] == "uncertain"


def test_empty_message(component):
    message = Message(data={TEXT: ""})
    component.process([message])
    assert message.get("risk")["tier"] == "none"


def test_intent_model_alone_cannot_raise_an_alarm(component):
    message = _message("do you have appointments on saturdays", intent="express_risk", confidence=0.95,
                       runner_up=("out_of_scope", 0.4))
    component.process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "out_of_scope"
    assert message.get("risk")["classifier_intent"] == "express_risk"  # what it said stays visible


def test_a_demoted_message_with_no_good_runner_up_falls_back(component):
    message = _message("zzq blorp", intent="express_risk", confidence=0.9, runner_up=("faq", 0.05))
    component.process([message])
    assert message.get(INTENT)["name"] == "nlu_fallback"


def test_a_judge_failure_never_takes_the_nlu_down(component, monkeypatch):
    def broken(text):
        raise RuntimeError("boom")

    monkeypatch.setattr(component._judge, "judge", broken)
    message = _message("what is transference", intent="faq")
    component.process([message])
    assert message.get(INTENT)["name"] == "faq"
    assert message.get("risk")["signals"] == ["judge_error"]


def test_retrains_when_the_risk_training_data_changes(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "x", "labels": [], "tier": "none"}\n')
    config = {**RiskDetector.get_default_config(), "training_dir": str(tmp_path)}
    before = RiskDetector.fingerprint_addon(config)
    (tmp_path / "a.jsonl").write_text('{"text": "y", "labels": [], "tier": "none"}\n')
    assert RiskDetector.fingerprint_addon(config) != before


def test_retrains_when_the_code_that_fits_the_classifier_changes(tmp_path, monkeypatch):
    """A new model in risk/classifier.py must not be restored untrained from Rasa's cache."""
    import bot.nlu.risk_detector as risk_detector

    code = tmp_path / "risk" / "classifier.py"
    code.parent.mkdir()
    code.write_text("# one version\n")
    monkeypatch.setattr(risk_detector, "_ROOT", str(tmp_path))
    monkeypatch.setattr(risk_detector, "_CLASSIFIER_CODE", ("risk/classifier.py",))
    config = RiskDetector.get_default_config()
    before = RiskDetector.fingerprint_addon(config)
    code.write_text("# another version\n")
    assert RiskDetector.fingerprint_addon(config) != before
