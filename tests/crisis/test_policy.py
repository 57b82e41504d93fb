"""CrisisPolicy with real Rasa trackers and the project's domain, in every dialogue state.

Each turn is driven like Rasa's processor does it: ask the policy for the next action;
when it abstains, the "other policies" answer (we play them with a given action); log
the ActionExecuted (and ActiveLoop(None) for action_deactivate_loop) and go on until
action_listen. User messages are annotated by the real RiskDetector NLU component (with the
situation classifier trained on risk/data/training), or, where a test is about the dialogue
mechanics rather than recognition, with a given verdict.
"""
from typing import Any, Dict, List, Optional

import pytest
from rasa.core.constants import RULE_POLICY_PRIORITY
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
TAIL = ["utter_crisis_keep_talking", "action_listen"]


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
def nlu(situation_classifier, tmp_path_factory) -> RiskDetector:
    storage = LocalModelStorage(tmp_path_factory.mktemp("risk_detector"))
    return RiskDetector(RiskDetector.get_default_config(), storage, Resource("risk"), situation_classifier)


def verdict(tier: str, situation: Optional[str] = None, lang: Optional[str] = "en",
            populations: tuple = (), score: float = 0.0, distress: float = 0.0) -> Dict[str, Any]:
    """A risk annotation as the NLU component writes it."""
    return {"tier": tier, "category": situation, "situations": [situation] if situation else [],
            "level": {"clear": "high", "uncertain": "concern"}.get(tier, "none"), "population": list(populations),
            "lang": lang, "signals": [], "score": score, "distress": distress}


class Conversation:
    def __init__(self, policy: CrisisPolicy, domain: Domain, nlu: RiskDetector) -> None:
        self.policy, self.domain, self.nlu = policy, domain, nlu
        self.tracker = DialogueStateTracker.from_events(
            "test-user",
            [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
            slots=domain.slots,
        )

    def user(self, text: str, intent: str = "out_of_scope", risk: Optional[Dict[str, Any]] = None) -> None:
        message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 0.9},
                                INTENT_RANKING_KEY: [{"name": intent, "confidence": 0.9}]})
        if risk is None:
            self.nlu.process([message])
            assert "risk" in message.as_dict(only_output_properties=True)  # what Rasa keeps in parse_data
        else:
            message.set("risk", risk, add_to_output=True)
        parse_data = {INTENT: message.get(INTENT), INTENT_RANKING_KEY: message.get(INTENT_RANKING_KEY),
                      "risk": message.get("risk"), TEXT: text}
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
    "situation",
    ["suicidal", "method", "self_harm", "imminent_danger", "overdose", "medical_emergency", "domestic_violence",
     "sexual_assault", "child_abuse", "child_exploitation", "intimate_images", "trafficking", "harm_others",
     "other_at_risk", "eating_disorder", "elder_abuse"],
)
def test_each_situation_gets_its_own_response(chat, situation):
    chat.user("(a message)", risk=verdict("clear", situation))
    assert chat.bot_turn() == [f"utter_crisis_{situation}"] + TAIL


def test_spanish_gets_the_spanish_reply_and_keeps_it_for_short_answers(chat):
    chat.user("(mensaje)", risk=verdict("clear", "suicidal", lang="es"))
    assert chat.bot_turn() == ["utter_crisis_suicidal_es", "utter_crisis_keep_talking_es", "action_listen"]
    chat.user("ok", intent="affirm", risk=verdict("none", lang=None))
    assert chat.bot_turn() == ["utter_crisis_followup_es", "action_listen"]


def test_mid_faq(chat):
    chat.user("what is psychodynamic therapy", intent="faq", risk=verdict("none"))
    assert chat.bot_turn(["utter_faq", "action_listen"]) == ["utter_faq", "action_listen"]
    chat.user("(a disclosure inside a question)", intent="faq", risk=verdict("clear", "suicidal"))
    assert chat.bot_turn(["utter_faq", "action_listen"]) == ["utter_crisis_suicidal"] + TAIL


def test_inside_an_active_form_the_form_is_paused_not_continued(chat):
    chat.user("find me a therapist", intent="request_therapist", risk=verdict("none"))
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
    chat.user("kms", intent="inform", risk=verdict("clear", "suicidal"))
    ours = policy.predict_action_probabilities(chat.tracker, domain)
    form = [0.0] * domain.num_actions
    form[domain.index_for_action(TEST_FORM)] = 1.0
    rule = PolicyPrediction(form, "RulePolicy", RULE_POLICY_PRIORITY, is_no_user_prediction=True)
    memo = PolicyPrediction(form, "MemoizationPolicy", RULE_POLICY_PRIORITY - 1)
    best = DefaultPolicyPredictionEnsemble._pick_best_policy([rule, memo, ours])
    assert best.policy_name == "CrisisPolicy"
    assert domain.action_names_or_texts[best.max_confidence_index] == "utter_crisis_suicidal"


def test_after_a_fallback(chat):
    chat.user("blorp zzz", intent="nlu_fallback", risk=verdict("none"))
    chat.log("action_default_fallback")
    chat.tracker.update(UserUtteranceReverted())
    chat.log("action_listen")
    chat.user("(partner violence)", intent="nlu_fallback", risk=verdict("clear", "domestic_violence"))
    assert chat.bot_turn() == ["utter_crisis_domestic_violence"] + TAIL


def test_crisis_button_gives_the_general_response(chat):
    chat.user("/express_risk", intent="express_risk", risk=verdict("none"))
    assert chat.bot_turn() == ["utter_crisis_general"] + TAIL


def test_population_remembered_from_an_earlier_message(chat):
    chat.user("(I'm a veteran)", risk=verdict("none", populations=("veteran",)))
    chat.bot_turn(["utter_out_of_scope", "action_listen"])
    chat.user("(I'm in Canada)", risk=verdict("none", populations=("outside_us",)))
    chat.bot_turn(["utter_out_of_scope", "action_listen"])
    chat.user("(I want to end my life)", risk=verdict("clear", "suicidal"))
    assert chat.bot_turn() == ["utter_crisis_suicidal", "utter_crisis_veteran", "utter_crisis_outside_us"] + TAIL


def test_minor_and_lgbtq_youth_resources(chat):
    chat.user("(15, gay, want to die)", risk=verdict("clear", "suicidal", populations=("lgbtq_youth", "minor")))
    assert chat.crisis_replies(chat.bot_turn()) == [
        "utter_crisis_suicidal", "utter_crisis_lgbtq_youth", "utter_crisis_minor", "utter_crisis_keep_talking"]


# ---------------------------------------------------------------- the uncertain tier: ask directly
def test_distress_asks_the_screening_question_and_a_yes_gets_the_crisis_reply(chat):
    chat.user("(I feel like a burden)", risk=verdict("uncertain", distress=0.8))
    assert chat.bot_turn(["utter_out_of_scope", "action_listen"]) == ["utter_crisis_screen", "action_listen"]
    chat.user("/affirm", intent="affirm", risk=verdict("none", lang=None))
    assert chat.bot_turn() == ["utter_crisis_suicidal"] + TAIL


@pytest.mark.parametrize("answer, intent", [("idk", "nlu_fallback"), ("maybe sometimes", "affirm"),
                                             ("how long is therapy", "faq")])
def test_an_unclear_answer_to_the_screening_question_gets_the_crisis_reply(chat, answer, intent):
    chat.user("(nothing matters)", risk=verdict("uncertain", distress=0.7))
    chat.bot_turn(["utter_out_of_scope", "action_listen"])
    chat.user(answer, intent=intent, risk=verdict("none", lang=None))
    assert chat.bot_turn(["utter_faq", "action_listen"])[0] == "utter_crisis_suicidal"


def test_a_no_is_acknowledged_and_the_conversation_goes_back_to_normal(chat):
    chat.user("(I am depressed)", risk=verdict("uncertain", distress=0.9))
    chat.bot_turn()
    chat.user("/deny", intent="deny", risk=verdict("none", lang=None))
    assert chat.bot_turn() == ["utter_crisis_screen_no", "action_listen"]
    chat.user("(still feel low)", risk=verdict("uncertain", distress=0.7))  # asked once, not again
    assert chat.bot_turn(["utter_out_of_scope", "action_listen"]) == ["utter_out_of_scope", "action_listen"]
    chat.user("(a clear risk)", risk=verdict("clear", "suicidal"))
    assert chat.bot_turn()[0] == "utter_crisis_suicidal"


@pytest.mark.parametrize("answer, intent", [
    ("no not like that, just burnt out from work", "inform"),
    ("nope. i just miss my friends", "nlu_fallback"),
    ("No, never. I want to feel like myself again", "faq"),
    ("para nada, solo estoy cansada", "nlu_fallback"),
    ("Oh no, nothing like that. Just a long week.", "inform"),
    ("Nothing of the sort, I am simply tired.", "nlu_fallback"),
])
def test_a_no_in_the_persons_own_words_is_a_no(chat, answer, intent):
    chat.user("(I am depressed)", risk=verdict("uncertain", distress=0.9))
    chat.bot_turn()
    chat.user(answer, intent=intent, risk=verdict("none"))
    assert chat.bot_turn() == ["utter_crisis_screen_no", "action_listen"]


def test_a_no_is_a_no_even_when_the_rest_reads_as_distress(chat):
    chat.user("(I've been really low)", risk=verdict("uncertain", distress=0.9))
    chat.bot_turn()
    chat.user("no no not like that, I'm not going to hurt myself, I just mean I'm in a rut", intent="inform",
              risk=verdict("uncertain", distress=0.7))
    assert chat.bot_turn() == ["utter_crisis_screen_no", "action_listen"]


@pytest.mark.parametrize("answer", ["no... well sometimes", "no but I've thought about it", "nah idk",
                                    "Yes, passively. No plan.", "no, not yet"])
def test_a_hedged_no_is_unclear_and_gets_the_crisis_reply(chat, answer):
    chat.user("(I am depressed)", risk=verdict("uncertain", distress=0.9))
    chat.bot_turn()
    chat.user(answer, intent="deny", risk=verdict("none"))
    assert chat.bot_turn()[0] == "utter_crisis_suicidal"


def test_a_no_that_carries_risk_gets_the_crisis_reply(chat):
    chat.user("(I am depressed)", risk=verdict("uncertain", distress=0.9))
    chat.bot_turn()
    chat.user("no... i already have the pills counted out", intent="deny", risk=verdict("clear", "suicidal"))
    assert chat.bot_turn()[0] == "utter_crisis_suicidal"


def test_screening_inside_a_form_pauses_the_form_first(chat):
    chat.tracker.update(ActiveLoop(TEST_FORM))
    chat.user("(I can't do this anymore)", intent="inform", risk=verdict("uncertain", distress=0.8))
    assert chat.bot_turn() == ["action_deactivate_loop", "utter_crisis_form_paused", "utter_crisis_screen",
                               "action_listen"]


def test_risk_that_builds_over_several_messages_is_asked_about(chat):
    chat.user("(work is hard)", risk=verdict("none", score=0.1, distress=0.3))
    assert chat.bot_turn(["utter_out_of_scope", "action_listen"]) == ["utter_out_of_scope", "action_listen"]
    chat.user("(I gave my dog to my sister)", risk=verdict("none", score=0.25, distress=0.4))
    assert chat.bot_turn(["utter_out_of_scope", "action_listen"]) == ["utter_crisis_screen", "action_listen"]


# ---------------------------------------------------------------- after a crisis reply
def _answer_after_a_crisis_reply(chat, situation, answer, intent, **answer_risk):
    """A clear risk message of `situation` and its crisis reply, then `answer` without risk."""
    chat.user(f"(a message about {situation})", risk=verdict("clear", situation))
    chat.bot_turn()
    chat.user(answer, intent=intent, risk=verdict("none", **answer_risk))


@pytest.mark.parametrize("answer, intent", [("ok", "affirm"), ("idk", "nlu_fallback"), ("no", "deny"),
                                             ("2", "inform"), ("hi", "greet")])
def test_short_answers_after_a_crisis_reply_continue_the_support(chat, answer, intent):
    _answer_after_a_crisis_reply(chat, "suicidal", answer, intent, lang=None)
    assert chat.bot_turn(["utter_default", "action_listen"]) == ["utter_crisis_followup", "action_listen"]


@pytest.mark.parametrize("answer, intent", [("I gave him the narcan", "nlu_fallback"),
                                             ("ok im calling his sister now", "inform"),
                                             ("gracias, ya llegó la ambulancia", "thank")])
def test_longer_answers_that_ask_nothing_continue_the_support(chat, answer, intent):
    _answer_after_a_crisis_reply(chat, "medical_emergency", answer, intent)
    # after an emergency reply the follow-up puts 911 first again
    assert chat.bot_turn(["utter_default", "action_listen"]) == ["utter_crisis_followup_emergency", "action_listen"]


@pytest.mark.parametrize("answer, intent", [("ok ill write the number down", "faq"),
                                             ("I rang my sister and she's on her way", "faq"),
                                             ("its fine, used to it by now", "ask_right_for_me"),
                                             ("It's for a story. Honestly.", "faq")])
def test_an_answer_the_faq_model_reads_as_a_question_but_that_asks_nothing_continues_the_support(
        chat, answer, intent):
    """The FAQ model finds some topic in almost any sentence; after a crisis reply only words that
    ask get the FAQ's answer."""
    _answer_after_a_crisis_reply(chat, "domestic_violence", answer, intent)
    assert chat.bot_turn(["utter_faq", "action_listen"]) == ["utter_crisis_followup", "action_listen"]


@pytest.mark.parametrize("command, intent", [("continue", "continue_form"), ("start over", "restart_form"),
                                              ("find me a therapist", "request_therapist")])
def test_a_typed_command_after_a_crisis_reply_is_carried_out(chat, command, intent):
    """A command asks for itself; only the question intents need words that ask."""
    _answer_after_a_crisis_reply(chat, "suicidal", command, intent)
    assert chat.bot_turn(["preferences_form", "action_listen"]) == ["preferences_form", "action_listen"]


@pytest.mark.parametrize("question, intent", [("what's the veterans line number again", "faq"),
                                               ("Does that veterans line have real people on it at night", "bot_challenge"),
                                               ("can i text instead", "faq"),
                                               ("I am a veteran, this hotline is ok for me?", "faq")])
def test_a_question_about_the_line_after_a_crisis_reply_gets_the_lines_again(chat, question, intent):
    """A question about the crisis line belongs to the crisis conversation: not the FAQ answer the
    intent model finds in it (the confidentiality or the cost answer), but the follow-up with the
    situation's line and the population's."""
    chat.user("(a veteran's message about the nights)", risk=verdict("clear", "domestic_violence",
                                                                    populations=("veteran",)))
    assert chat.bot_turn() == ["utter_crisis_domestic_violence", "utter_crisis_veteran"] + TAIL
    chat.user(question, intent=intent, risk=verdict("none"))
    assert chat.bot_turn(["utter_faq", "action_listen"]) == [
        "utter_crisis_followup", "utter_crisis_also_domestic_violence", "utter_crisis_veteran", "action_listen"]


def test_a_question_about_988_after_a_suicide_reply_gets_the_follow_up_without_a_second_988_line(chat):
    _answer_after_a_crisis_reply(chat, "suicidal", "can I call them from another country?", "faq")
    assert chat.bot_turn(["utter_faq", "action_listen"]) == ["utter_crisis_followup", "action_listen"]


def test_a_runner_up_line_that_a_population_line_already_names_is_given_once(chat):
    """A minor's line names Childhelp: a runner-up child-abuse line would say it twice."""
    risk = verdict("clear", "suicidal", populations=("minor",))
    risk["situations"] = ["suicidal", "child_abuse"]
    chat.user("(a 15-year-old's message)", risk=risk)
    assert chat.bot_turn() == ["utter_crisis_suicidal", "utter_crisis_minor"] + TAIL
    chat.tracker.update(Restarted())
    chat.log("action_listen")
    adult = verdict("clear", "suicidal")
    adult["situations"] = ["suicidal", "child_abuse"]
    chat.user("(an adult's message)", risk=adult)
    assert chat.bot_turn() == ["utter_crisis_suicidal", "utter_crisis_also_child_abuse"] + TAIL


def test_a_real_question_after_a_crisis_reply_is_answered(chat):
    _answer_after_a_crisis_reply(chat, "suicidal", "how long does psychodynamic therapy usually take", "faq")
    assert chat.bot_turn(["utter_faq", "action_listen"]) == ["utter_faq", "action_listen"]


def test_a_crisis_turn_runs_no_custom_action(chat):
    """Nothing in a crisis turn waits for the action server: the plan holds only responses the
    Rasa server sends itself (risk events reach staff through the event broker)."""
    chat.user("(I want to die)", risk=verdict("clear", "suicidal"))
    plan = chat.bot_turn()
    assert plan == ["utter_crisis_suicidal"] + TAIL
    assert all(name.startswith("utter_") or name == "action_listen" for name in plan)


def test_no_risk_abstains_and_adds_nothing(chat):
    chat.user("this traffic is killing me")
    prediction = chat.policy.predict_action_probabilities(chat.tracker, chat.domain)
    assert max(prediction.probabilities) == 0.0
    assert chat.bot_turn(["utter_out_of_scope", "action_listen"]) == ["utter_out_of_scope", "action_listen"]


def test_restart_forgets_population(chat):
    chat.user("(I'm a veteran)", risk=verdict("none", populations=("veteran",)))
    chat.bot_turn(["utter_out_of_scope", "action_listen"])
    chat.tracker.update(Restarted())
    chat.log("action_listen")
    chat.user("(I want to kill myself)", risk=verdict("clear", "suicidal"))
    assert "utter_crisis_veteran" not in chat.bot_turn()


def test_message_without_risk_annotation_is_ignored(chat, domain, policy):
    chat.tracker.update(UserUttered("/greet", {"name": "greet", "confidence": 1.0}))
    prediction = policy.predict_action_probabilities(chat.tracker, domain)
    assert max(prediction.probabilities) == 0.0


def test_priority_is_above_rule_policy_and_the_second_question_policy(policy):
    from bot.policies.second_question_policy import SecondQuestionPolicy

    second = SecondQuestionPolicy.get_default_config()["priority"]
    assert policy.priority == RULE_POLICY_PRIORITY + 2 and RULE_POLICY_PRIORITY < second < policy.priority


def test_reading_the_events_goes_on_from_where_it_stopped_and_gives_what_a_fresh_reading_gives(domain):
    """CrisisPolicy reads the conversation four times a turn; it keeps its reading on the tracker
    and goes on from the last event it read. After every event it must equal a fresh reading."""
    def said(text, tier="none", situation=None):
        return UserUttered(text, {"name": "faq", "confidence": 0.9},
                           parse_data={"text": text, "intent": {"name": "faq", "confidence": 0.9},
                                       "risk": verdict(tier, situation)})
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
              said("what is psychodynamic therapy"), ActionExecuted("utter_faq"), ActionExecuted("action_listen"),
              said("i cant do this anymore", "uncertain"), ActionExecuted("utter_crisis_screen"),
              ActionExecuted("action_listen"), said("yes", "none"), ActionExecuted("utter_crisis_suicidal"),
              ActionExecuted("utter_crisis_keep_talking"), ActionExecuted("action_listen"), said("ok"),
              UserUtteranceReverted(), Restarted(), ActionExecuted("action_listen"),
              said("i took all my pills", "clear", "overdose"), ActionExecuted("utter_crisis_overdose")]
    growing = DialogueStateTracker("reader", domain.slots)
    for count, event in enumerate(events, start=1):
        growing.update(event)
        fresh = DialogueStateTracker.from_events("reader", events[:count], domain.slots)
        assert CrisisPolicy._read_events(growing) == CrisisPolicy._read_events(fresh)
    turns, executed = CrisisPolicy._read_events(growing)
    assert [t.tier for t in turns] == ["clear"] and executed == ["utter_crisis_overdose"]
    # a tracker whose events were replaced (read again from the database) is read from the start
    growing.events.clear()
    assert CrisisPolicy._read_events(growing) == ([], [])
