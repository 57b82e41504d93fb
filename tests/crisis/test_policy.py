"""CrisisPolicy with real Rasa trackers and the project's domain, in every dialogue state.

Each turn is driven like Rasa's processor does it: ask the policy for the next action;
when it abstains, the "other policies" answer (we play them with a given action); log
the ActionExecuted (and ActiveLoop(None) for action_deactivate_loop) and go on until
action_listen. The user messages are annotated by the real RiskDetector NLU component.
"""
from typing import List, Optional

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.risk_detector import RiskDetector
from bot.policies.crisis_policy import CrisisPolicy

TEST_FORM = "crisis_test_form"  # any form: the policy must not depend on a particular one
TAIL = ["utter_crisis_keep_talking", "action_record_risk_event", "action_listen"]


@pytest.fixture(scope="module")
def domain() -> Domain:
    project = Domain.load("domain.yml")
    extra = Domain.from_dict({"forms": {TEST_FORM: {"required_slots": []}}})
    return project.merge(extra)


@pytest.fixture(scope="module")
def policy(tmp_path_factory) -> CrisisPolicy:
    storage = LocalModelStorage(tmp_path_factory.mktemp("crisis_policy"))
    context = ExecutionContext(GraphSchema({}), "test")
    return CrisisPolicy.create(CrisisPolicy.get_default_config(), storage, Resource("crisis"), context)


@pytest.fixture(scope="module")
def nlu() -> RiskDetector:
    return RiskDetector(RiskDetector.get_default_config())


class Conversation:
    def __init__(self, policy: CrisisPolicy, domain: Domain, nlu: RiskDetector) -> None:
        self.policy, self.domain, self.nlu = policy, domain, nlu
        self.tracker = DialogueStateTracker.from_events(
            "test-user",
            [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
            slots=domain.slots,
        )

    def user(self, text: str, intent: str = "out_of_scope") -> None:
        message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 0.9},
                                INTENT_RANKING_KEY: [{"name": intent, "confidence": 0.9}]})
        self.nlu.process([message])
        assert "risk" in message.as_dict(only_output_properties=True)  # what Rasa keeps in parse_data
        parse_data = {INTENT: message.get(INTENT), INTENT_RANKING_KEY: message.get(INTENT_RANKING_KEY),
                      "risk": message.get("risk")}
        self.tracker.update(UserUttered(text, parse_data[INTENT], [], parse_data))

    def log(self, action: str) -> None:
        self.tracker.update(ActionExecuted(action))
        if action == "action_deactivate_loop":
            self.tracker.update(ActiveLoop(None))
            self.tracker.update(SlotSet("requested_slot", None))

    def bot_turn(self, others: Optional[List[str]] = None) -> List[str]:
        """Actions run until action_listen; `others` answer whenever CrisisPolicy abstains."""
        others = list(others or ["action_listen"])
        ran: List[str] = []
        for _ in range(12):
            prediction = self.policy.predict_action_probabilities(self.tracker, self.domain)
            if max(prediction.probabilities) == 0.0:
                action = others.pop(0)
            else:
                assert prediction.max_confidence == 1.0
                assert prediction.is_no_user_prediction
                action = self.domain.action_names_or_texts[prediction.max_confidence_index]
            ran.append(action)
            self.log(action)
            if action == "action_listen":
                return ran
        raise AssertionError(f"no action_listen: {ran}")

    def crisis_replies(self, ran: List[str]) -> List[str]:
        return [a for a in ran if a.startswith("utter_crisis_")]


@pytest.fixture
def chat(policy, domain, nlu) -> Conversation:
    return Conversation(policy, domain, nlu)


def test_first_message(chat):
    chat.user("I want to kill myself")
    assert chat.bot_turn() == ["utter_crisis_suicidal"] + TAIL


@pytest.mark.parametrize(
    "text, response",
    [
        ("I've been cutting myself again", "utter_crisis_self_harm"),
        ("I just swallowed a whole bottle of pills", "utter_crisis_imminent_danger"),
        ("my husband hits me", "utter_crisis_domestic_violence"),
        ("I was raped last night", "utter_crisis_sexual_assault"),
        ("I want to hurt my roommate", "utter_crisis_harm_others"),
    ],
)
def test_each_category_gets_its_own_response(chat, text, response):
    chat.user(text)
    assert chat.bot_turn() == [response] + TAIL


def test_mid_faq(chat):
    chat.user("what is psychodynamic therapy", intent="faq")
    assert chat.bot_turn(["utter_faq", "action_listen"]) == ["utter_faq", "action_listen"]
    chat.user("honestly everyone would be better off without me", intent="faq")
    assert chat.bot_turn(["utter_faq", "action_listen"]) == ["utter_crisis_suicidal"] + TAIL


def test_inside_an_active_form_the_form_is_paused_not_continued(chat):
    chat.user("find me a therapist", intent="request_therapist")
    chat.log(TEST_FORM)
    chat.tracker.update(ActiveLoop(TEST_FORM))
    chat.log("action_listen")
    chat.user("I just want to die", intent="inform")
    ran = chat.bot_turn()
    assert ran == ["utter_crisis_suicidal", "action_deactivate_loop", "utter_crisis_form_paused"] + TAIL
    assert TEST_FORM not in ran
    assert chat.tracker.active_loop_name is None


def test_policy_beats_rule_policy_loop_prediction_in_the_ensemble(chat, domain, policy):
    """RulePolicy predicts the active form as a 'no user' prediction; ours must still win."""
    chat.tracker.update(ActiveLoop(TEST_FORM))
    chat.user("kms", intent="inform")
    ours = policy.predict_action_probabilities(chat.tracker, domain)
    form = [0.0] * domain.num_actions
    form[domain.index_for_action(TEST_FORM)] = 1.0
    rule = PolicyPrediction(form, "RulePolicy", 6, is_no_user_prediction=True)
    memo = PolicyPrediction(form, "MemoizationPolicy", 3)
    best = DefaultPolicyPredictionEnsemble._pick_best_policy([rule, memo, ours])
    assert best.policy_name == "CrisisPolicy"
    assert domain.action_names_or_texts[best.max_confidence_index] == "utter_crisis_suicidal"


def test_after_a_fallback(chat):
    chat.user("blorp zzz", intent="nlu_fallback")
    chat.log("action_default_fallback")
    chat.tracker.update(UserUtteranceReverted())
    chat.log("action_listen")
    chat.user("my boyfriend chokes me", intent="nlu_fallback")
    assert chat.bot_turn() == ["utter_crisis_domestic_violence"] + TAIL


def test_after_a_provider_handoff(chat):
    chat.user("yes search for me", intent="affirm")
    assert chat.bot_turn(["action_search_providers", "action_listen"])[0] == "action_search_providers"
    chat.user("I have the pills right here and I'm going to take them", intent="affirm")
    assert chat.bot_turn()[0] == "utter_crisis_imminent_danger"


def test_intent_alone_gives_the_general_response(chat):
    chat.user("please just help me", intent="express_risk")
    assert chat.tracker.latest_message.parse_data["risk"]["level"] == "none"
    assert chat.bot_turn() == ["utter_crisis_general"] + TAIL


def test_intent_with_weak_detector_category_uses_that_category(chat):
    chat.user("I'm scared of my husband when he drinks", intent="express_risk")
    assert chat.bot_turn()[0] == "utter_crisis_domestic_violence"


def test_population_remembered_from_an_earlier_message(chat):
    chat.user("I'm a veteran looking for a therapist")
    chat.bot_turn(["utter_out_of_scope", "action_listen"])
    chat.user("I'm in Canada btw")
    chat.bot_turn(["utter_out_of_scope", "action_listen"])
    chat.user("I want to end my life")
    assert chat.bot_turn() == [
        "utter_crisis_suicidal", "utter_crisis_outside_us", "utter_crisis_veteran"] + TAIL


def test_lgbtq_youth_resource(chat):
    chat.user("im 15 and gay and i want to die")
    assert chat.crisis_replies(chat.bot_turn()) == [
        "utter_crisis_suicidal", "utter_crisis_lgbtq_youth", "utter_crisis_keep_talking"]


def test_single_concern_is_a_gentle_touch_after_the_normal_answer(chat):
    chat.user("how long does it take? I feel kind of hopeless", intent="faq")
    ran = chat.bot_turn(["utter_faq", "action_listen"])
    assert ran == ["utter_faq", "utter_crisis_gentle", "action_listen"]


def test_gentle_touch_inside_a_form_keeps_the_form(chat):
    chat.tracker.update(ActiveLoop(TEST_FORM))
    chat.user("I feel hopeless but ok, Ohio", intent="inform")
    ran = chat.bot_turn([TEST_FORM, "action_listen"])
    assert ran == [TEST_FORM, "utter_crisis_gentle", "action_listen"]
    assert chat.tracker.active_loop_name == TEST_FORM


def test_escalation_over_turns_without_an_explicit_message(chat):
    chat.user("I've been feeling really low")
    assert "utter_crisis_gentle" in chat.bot_turn(["utter_out_of_scope", "action_listen"])
    chat.user("what is transference", intent="faq")
    assert chat.crisis_replies(chat.bot_turn(["utter_faq", "action_listen"])) == []
    chat.user("nothing matters anymore")
    assert chat.bot_turn(["utter_out_of_scope", "action_listen"]) == ["utter_crisis_suicidal"] + TAIL


def test_no_repeat_escalation_right_after_crisis_resources(chat):
    chat.user("I feel hopeless")
    chat.bot_turn(["utter_out_of_scope", "action_listen"])
    chat.user("I can't go on like this")
    assert chat.bot_turn()[0] == "utter_crisis_suicidal"
    chat.user("I just feel so alone")
    assert chat.bot_turn(["utter_out_of_scope", "action_listen"]) == [
        "utter_out_of_scope", "utter_crisis_gentle", "action_listen"]


def test_failed_record_action_still_ends_with_listen(chat):
    """Rasa logs ActionExecuted even when a custom action raised; the sequence goes on."""
    chat.user("I want to die")
    for expected in ["utter_crisis_suicidal", "utter_crisis_keep_talking", "action_record_risk_event"]:
        prediction = chat.policy.predict_action_probabilities(chat.tracker, chat.domain)
        assert chat.domain.action_names_or_texts[prediction.max_confidence_index] == expected
        chat.log(expected)  # no events from the failed action, just the ActionExecuted
    prediction = chat.policy.predict_action_probabilities(chat.tracker, chat.domain)
    assert chat.domain.action_names_or_texts[prediction.max_confidence_index] == "action_listen"


def test_no_risk_abstains(chat):
    chat.user("this traffic is killing me")
    prediction = chat.policy.predict_action_probabilities(chat.tracker, chat.domain)
    assert max(prediction.probabilities) == 0.0
    assert chat.bot_turn(["utter_out_of_scope", "action_listen"]) == ["utter_out_of_scope", "action_listen"]


def test_restart_forgets_population(chat):
    chat.user("I'm a veteran")
    chat.bot_turn(["utter_out_of_scope", "action_listen"])
    chat.tracker.update(Restarted())
    chat.log("action_listen")
    chat.user("I want to kill myself")
    assert "utter_crisis_veteran" not in chat.bot_turn()


def test_message_without_risk_annotation_is_ignored(chat, domain, policy):
    chat.tracker.update(UserUttered("/greet", {"name": "greet", "confidence": 1.0}))
    prediction = policy.predict_action_probabilities(chat.tracker, domain)
    assert max(prediction.probabilities) == 0.0
