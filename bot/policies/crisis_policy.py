"""CrisisPolicy: the dialogue-layer guarantee that a risk message gets the crisis
resources first, in every dialogue state (first message, mid-FAQ, inside a form,
after a fallback).

It reads the `risk` annotation that bot.nlu.risk_detector.RiskDetector puts in each
UserUttered event's parse_data, asks risk.dialogue.decide() what to do, and walks
the resulting sequence one action per prediction, deciding each step from the events
since the latest user message:

    utter_crisis_<category> [utter_crisis_outside_us] [utter_crisis_veteran]
    [utter_crisis_lgbtq_youth] [action_deactivate_loop utter_crisis_form_paused]
    utter_crisis_keep_talking action_record_risk_event action_listen

A single weak signal ("concern") only adds utter_crisis_gentle after the other
policies' answer, then listens.

Why a policy and not only rules: rules cannot choose the response from the detector's
category or remember the population from an earlier turn, and RulePolicy's loop
predictions are "no user" predictions that beat any other policy inside a form. This
policy marks its own predictions as no-user too and has a higher priority (7 > 6), so
it wins in every state. It abstains (all zeros) whenever it has nothing to say.

Loading this policy also bounds the wait for the action server (action_timeout), so
a hung action server cannot hold back the crisis reply on REST or SMS.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.core.constants import POLICY_PRIORITY
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

from bot.policies import action_timeout
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from risk.dialogue import CrisisDecision, UserTurn, decide

logger = logging.getLogger(__name__)

CRISIS_PRIORITY = 7  # above RulePolicy (6)
RECORD_ACTION = "action_record_risk_event"
GENTLE = "utter_crisis_gentle"
GENERAL = "utter_crisis_general"
FORM_PAUSED = "utter_crisis_form_paused"
KEEP_TALKING = "utter_crisis_keep_talking"
# Crisis utterances that are not a full crisis reply on their own.
_NOT_FULL_REPLY = {GENTLE, KEEP_TALKING, FORM_PAUSED, "utter_crisis_outside_us", "utter_crisis_veteran",
                   "utter_crisis_lgbtq_youth"}
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
        if not turns:
            return None
        decision = decide(turns)
        if decision is None:
            return None
        if decision.kind == "gentle":
            return self._gentle_step(executed)
        plan = self._crisis_plan(decision, tracker, executed, domain)
        step = 0
        for name in executed:  # walk our plan; tolerate foreign actions in between
            if step < len(plan) and name == plan[step]:
                step += 1
        if step >= len(plan):
            return None
        if step == 0:
            logger.info("Crisis response: category=%s reason=%s", decision.category, decision.reason)
        return plan[step]

    @staticmethod
    def _gentle_step(executed: List[str]) -> Optional[str]:
        if not executed:
            return None  # let the other policies answer the message first
        if executed[-1] == GENTLE:
            return ACTION_LISTEN_NAME
        if GENTLE in executed or executed[-1] == ACTION_LISTEN_NAME:
            return None
        return GENTLE

    @staticmethod
    def _crisis_plan(
        decision: CrisisDecision, tracker: DialogueStateTracker, executed: List[str], domain: Domain
    ) -> List[str]:
        known = set(domain.action_names_or_texts)
        plan = [name if name in known else GENERAL for name in decision.responses()]
        plan = [name for name in plan if name in known]
        if tracker.active_loop_name or ACTION_DEACTIVATE_LOOP_NAME in executed:
            plan += [ACTION_DEACTIVATE_LOOP_NAME, FORM_PAUSED]
        plan += [KEEP_TALKING, RECORD_ACTION, ACTION_LISTEN_NAME]
        return [name for name in plan if name in known or name in (ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME)]

    @staticmethod
    def _read_events(tracker: DialogueStateTracker) -> Tuple[List[UserTurn], List[str]]:
        """User turns since the last restart (oldest first), and the actions run since
        the latest user message. Raw events are used so a message that a fallback
        reverted still counts."""
        turns: List[UserTurn] = []
        executed: List[str] = []
        pending: Optional[UserUttered] = None
        answered = False
        for event in tracker.events:
            if isinstance(event, Restarted):
                turns, executed, pending, answered = [], [], None, False
            elif isinstance(event, UserUttered):
                if pending is not None:
                    turns.append(UserTurn.from_parse_data(pending.parse_data, answered))
                pending, executed, answered = event, [], False
            elif isinstance(event, ActionExecuted) and pending is not None:
                name = event.action_name
                if name and name not in _IGNORED_ACTIONS:
                    executed.append(name)
                    if name.startswith("utter_crisis_") and name not in _NOT_FULL_REPLY:
                        answered = True
        if pending is not None:
            turns.append(UserTurn.from_parse_data(pending.parse_data, answered))
        return turns, executed
