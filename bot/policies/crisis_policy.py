"""CrisisPolicy: the dialogue-layer guarantee that a risk message gets the crisis resources
first, in every dialogue state (first message, mid-FAQ, inside a form, after a fallback).

It reads the `risk` annotation that bot.nlu.risk_detector.RiskDetector puts in each
UserUttered event's parse_data, asks risk.dialogue.decide() what to do, and walks the plan
for that decision one action per prediction, deciding each step from the events since the
latest user message:

    crisis     utter_crisis_<situation>[_es] [utter_crisis_also_<runner-up>] [population lines]
               [action_deactivate_loop utter_crisis_form_paused] utter_crisis_keep_talking
    screen     [action_deactivate_loop utter_crisis_form_paused] utter_crisis_screen
    screen_no  utter_crisis_screen_no
    followup   utter_crisis_followup (utter_crisis_followup_emergency after an emergency reply)
               [utter_crisis_also_<situation>] [population lines]   (asked about the line)
    (each ends with action_listen)

Why a policy and not only rules: rules cannot choose the response from the risk verdict or
remember the population and language from earlier turns, and RulePolicy's loop predictions
are "no user" predictions that beat any other policy inside a form. This policy marks its own
predictions as no-user too and has the highest priority (RulePolicy's constant plus two, above
SecondQuestionPolicy's plus one), so it
wins in every state. It abstains (all zeros) whenever it has nothing to say.

The plan holds only responses the Rasa server sends itself: nothing in a crisis turn waits for
the action server. Staff hear of the crisis reply through Rasa's event broker
(bot/brokers/risk_events.py). Loading this policy also bounds the wait for the action server
(action_timeout) in every other turn, and checks action server responses with a validator built
once (action_response_validation).
"""
from __future__ import annotations

import dataclasses
import itertools
import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.core.constants import POLICY_PRIORITY, RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import (
    ACTION_DEACTIVATE_LOOP_NAME,
    ACTION_EXTRACT_SLOTS,
    ACTION_LISTEN_NAME,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Restarted, UserUttered

from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies import action_response_validation, action_timeout
from risk import resources
from risk.constants import EMERGENCY_SITUATIONS, LANGUAGES, SITUATIONS
from risk.dialogue import CrisisDecision, UserTurn, decide
from risk.resources import response_name

logger = logging.getLogger(__name__)

CRISIS_PRIORITY = RULE_POLICY_PRIORITY + 2
# The situation replies (a full crisis reply) and the screening question, in every language.
_FULL_REPLIES = {response_name(s, lang) for s in SITUATIONS + ("general",) for lang in LANGUAGES}
_SCREENS = {response_name("screen", lang) for lang in LANGUAGES}
_IGNORED_ACTIONS = {ACTION_EXTRACT_SLOTS}


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=False
)
class CrisisPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {POLICY_PRIORITY: CRISIS_PRIORITY}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        config = {**self.get_default_config(), **config}
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        action_timeout.apply()
        action_response_validation.install()

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn: the behaviour is fixed by design

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        action = self.next_action(tracker, domain)
        probabilities = self._default_predictions(domain)
        if action is None or action not in domain.action_names_or_texts:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(action)] = 1.0
        # "no user" predictions outrank all others in the ensemble, including a form's
        # own happy-path prediction; priority then makes this policy win the tie.
        return self._prediction(probabilities, is_no_user_prediction=True)

    # ------------------------------------------------------------------ decision
    def next_action(self, tracker: DialogueStateTracker, domain: Domain) -> Optional[str]:
        turns, executed = self._read_events(tracker)
        decision = decide(turns)
        if decision is None:
            return None
        plan = self._plan(decision, tracker, executed, domain)
        step = 0
        for name in executed:  # walk our plan; tolerate foreign actions in between
            if step < len(plan) and name == plan[step]:
                step += 1
        if step >= len(plan):
            return None
        if step == 0:
            logger.info("Crisis layer: %s situation=%s reason=%s lang=%s", decision.kind, decision.situation,
                        decision.reason, decision.lang)
        return plan[step]

    @staticmethod
    def _plan(decision: CrisisDecision, tracker: DialogueStateTracker, executed: List[str],
              domain: Domain) -> List[str]:
        known = set(domain.action_names_or_texts)
        lang = decision.lang

        def utter(kind: str) -> Optional[str]:
            for name in (response_name(kind, lang), response_name(kind)):
                if name in known:
                    return name
            return None

        pause: List[Optional[str]] = []
        if tracker.active_loop_name or ACTION_DEACTIVATE_LOOP_NAME in executed:
            pause = [ACTION_DEACTIVATE_LOOP_NAME, utter("form_paused")]
        if decision.kind == "crisis":
            plan = [utter(decision.situation) or utter("general")]
            plan += [utter(f"also_{decision.also}") if decision.also else None]
            plan += [utter(p) for p in decision.populations]
            plan += pause + [utter("keep_talking")]
        elif decision.kind == "screen":
            plan = pause + [utter("screen")]
        elif decision.kind == "followup":
            step = "followup_emergency" if decision.situation in EMERGENCY_SITUATIONS else "followup"
            plan = [utter(step) or utter("followup")]  # after an emergency, 911 first again
            if decision.lines_again:  # asked about the line: its number, and the populations' lines
                situation_line = decision.situation in SITUATIONS and not (
                    resources.named("also", decision.situation) <= resources.named("dialogue", step))
                plan += [utter(f"also_{decision.situation}") if situation_line else None]
                plan += [utter(p) for p in decision.populations]
        else:  # screen_no
            plan = [utter(decision.kind)]
        return [name for name in plan if name] + [ACTION_LISTEN_NAME]

    @staticmethod
    def _read_events(tracker: DialogueStateTracker) -> Tuple[List[UserTurn], List[str]]:
        """User turns since the last restart (oldest first), each with what the crisis layer
        did after it, and the actions run since the latest user message. Raw events are used
        so a message that a fallback reverted still counts.

        This runs four times a turn over the whole conversation, so the reading is kept on the
        tracker and goes on from the last event it read while events were only appended (a
        tracker read again from the database starts over)."""
        events = tracker.events
        scan: Optional[_Scan] = tracker.__dict__.get("_crisis_scan")
        if scan is None or len(events) < scan.seen or (scan.seen and events[scan.seen - 1] is not scan.last):
            scan = tracker.__dict__["_crisis_scan"] = _Scan()
        for event in itertools.islice(events, scan.seen, None):
            if isinstance(event, Restarted):
                scan.turns, scan.executed, scan.pending = [], [], None
            elif isinstance(event, UserUttered):
                if scan.pending is not None:
                    scan.turns.append(_turn(scan.pending, scan.executed))
                scan.pending, scan.executed = event, []
            elif isinstance(event, ActionExecuted) and scan.pending is not None:
                name = event.action_name
                if name and name not in _IGNORED_ACTIONS:
                    scan.executed.append(name)
        scan.seen, scan.last = len(events), (events[-1] if events else None)
        turns = list(scan.turns)
        if scan.pending is not None:
            turns.append(_turn(scan.pending, []))
        return turns, list(scan.executed)


@dataclasses.dataclass
class _Scan:
    """How far `_read_events` has read a tracker: the finished turns, the latest user message
    and the actions run since it."""

    turns: List[UserTurn] = dataclasses.field(default_factory=list)
    executed: List[str] = dataclasses.field(default_factory=list)
    pending: Optional[UserUttered] = None
    seen: int = 0
    last: Any = None


def _turn(event: UserUttered, executed_after: List[str]) -> UserTurn:
    return UserTurn.from_parse_data(
        event.parse_data, event.text,
        crisis_answered=any(name in _FULL_REPLIES for name in executed_after),
        screened=any(name in _SCREENS for name in executed_after),
    )
