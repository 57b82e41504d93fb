"""The RiskDetector NLU component: annotation on every message, intent override on risk."""
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.risk_detector import RiskDetector


def _message(text, intent="nlu_fallback"):
    ranking = [{"name": intent, "confidence": 0.7}, {"name": "express_risk", "confidence": 0.2}]
    return Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 0.7}, INTENT_RANKING_KEY: ranking})


def test_risk_overrides_intent_and_is_in_the_output():
    message = _message("i wanna unalive myself")
    RiskDetector(RiskDetector.get_default_config()).process([message])
    output = message.as_dict(only_output_properties=True)
    assert output[INTENT] == {"name": "express_risk", "confidence": 1.0}
    assert output[INTENT_RANKING_KEY][0]["name"] == "express_risk"
    assert [r["name"] for r in output[INTENT_RANKING_KEY]].count("express_risk") == 1
    risk = output["risk"]
    assert risk["category"] == "suicidal" and risk["level"] == "high"
    assert risk["classifier_intent"] == "nlu_fallback"
    assert "unalive" not in " ".join(risk["signals"]).replace("sui.", "")  # ids, not text


def test_no_risk_keeps_the_intent_but_still_annotates():
    message = _message("what is transference", intent="faq")
    RiskDetector(RiskDetector.get_default_config()).process([message])
    output = message.as_dict(only_output_properties=True)
    assert message.get(INTENT)["name"] == "faq"
    assert output["risk"]["level"] == "none"
    assert output["risk"]["classifier_intent"] == "faq"


def test_concern_does_not_override():
    message = _message("I feel hopeless", intent="out_of_scope")
    RiskDetector(RiskDetector.get_default_config()).process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"
    assert message.get("risk")["level"] == "concern"


def test_empty_message():
    message = Message(data={TEXT: ""})
    RiskDetector(RiskDetector.get_default_config()).process([message])
    assert message.get("risk")["level"] == "none"


def _classifier_says_risk(text, confidence, runner_up=("faq", 0.5)):
    ranking = [{"name": "express_risk", "confidence": confidence},
               {"name": runner_up[0], "confidence": runner_up[1]}]
    return Message(data={TEXT: text, INTENT: {"name": "express_risk", "confidence": confidence},
                         INTENT_RANKING_KEY: ranking})


def test_confident_classifier_alone_keeps_express_risk():
    message = _classifier_says_risk("please, I need someone right now", 0.97, ("greet", 0.02))
    RiskDetector(RiskDetector.get_default_config()).process([message])
    assert message.get(INTENT)["name"] == "express_risk"
    assert message.get("risk")["classifier_intent"] == "express_risk"
    assert message.get("risk")["classifier_risk_confidence"] == 0.97


def test_unsure_classifier_alone_is_demoted_to_a_weak_signal():
    message = _classifier_says_risk("can I bring my partner to a session", 0.7)
    RiskDetector(RiskDetector.get_default_config()).process([message])
    assert message.get(INTENT)["name"] == "faq"
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "faq"
    risk = message.get("risk")
    assert risk["level"] == "concern" and "intent.unconfirmed" in risk["signals"]
    assert risk["classifier_intent"] == "express_risk"  # what the classifier said stays visible


def test_classifier_is_overruled_when_the_detector_saw_a_negation():
    message = _classifier_says_risk("I'm not suicidal, just stressed", 0.99, ("out_of_scope", 0.1))
    RiskDetector(RiskDetector.get_default_config()).process([message])
    assert message.get(INTENT)["name"] == "nlu_fallback"  # runner-up too unsure to answer with
    assert message.get("risk")["level"] == "concern"
