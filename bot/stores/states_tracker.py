"""A dialogue state tracker whose past states are worked out once per event, not once per call.

Every policy call asks the tracker for the states of the whole conversation
(`DialogueStateTracker.past_states` -> `Domain.states_for_tracker_history`), which replays every
event from the start: RulePolicy, MemoizationPolicy and the crisis policy each ask several times a
turn, so turn 160 of a conversation cost about twice turn 10 (scripts/bench_latency.py). The states
of the turns already seen do not change when events are added at the end, so this tracker keeps,
per kind of call, the replayed tracker, the states so far and the loop's two variables, and goes on
from there. When the applied events are not the old ones plus new ones (a rewind, a restart, a form
that undoes its previous run) it starts again from the first event, as Rasa does. The events
those states are built from (`applied_events`, asked for by Rasa many times a turn) are folded the
same way: resumed while events are only appended. Rasa's featurizers get the states through
`featurizer_states`, which also keeps them as the featurizer leaves them (without the text of a
message whose intent is there), so that a call no longer copies the whole conversation's states.

The two loops are Rasa 3.6's `Domain.states_for_tracker_history` and
`DialogueStateTracker.applied_events`, split so that they can resume (Rasa has no hook for either);
tests/stores/test_states_tracker.py checks they give Rasa's results on real conversations.
"""
from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Text

from rasa.shared.core.constants import ACTION_UNLIKELY_INTENT_NAME, PREVIOUS_ACTION, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, Event, Restarted,
                                     SessionStarted, UserUttered, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, TEXT


@dataclass
class _Applied:
    loop_names: Set[Text]
    applied: List[Event] = field(default_factory=list)
    seen: int = 0  # how many of the tracker's events the fold has taken
    first: Optional[Event] = None
    last: Optional[Event] = None
    edits: int = 0  # changes to `applied` other than appending (a restart, a rewind, an undone loop run)


@dataclass
class _Replay:
    domain: Domain
    rule_only_data: Optional[Dict[Text, Any]]
    tracker: DialogueStateTracker  # has applied `events`, in order
    events: List[Event] = field(default_factory=list)
    states: List[State] = field(default_factory=list)
    last_ml_action_sub_state: Any = None
    turn_was_hidden: bool = False
    # the fold and its edit count when `events` was last checked against it: while both are the
    # same, the fold has only appended, and `events` is still the start of its applied events
    fold: Optional[_Applied] = None
    fold_edits: int = 0
    # `featurizer_states`: the states above as a featurizer leaves them, and whether any follows
    # action_unlikely_intent (which a featurizer may drop)
    without_text: List[State] = field(default_factory=list)
    unlikely_intent: bool = False


class StatesTracker(DialogueStateTracker):
    """`DialogueStateTracker` with `past_states` and `applied_events` resumed from where the
    previous call ended."""

    def copy(self) -> DialogueStateTracker:
        """What Rasa's `copy` gives (a plain tracker in the state its events lead to), without
        replaying every event: Rasa's processor copies the tracker before each action it runs."""
        tracker = self.init_copy()
        tracker.events.extend(self.events)
        tracker.slots = {name: copy.copy(slot) for name, slot in self.slots.items()}
        tracker._paused = self._paused
        tracker.followup_action = self.followup_action
        tracker.latest_action = dict(self.latest_action) if self.latest_action is not None else None
        tracker.latest_message = self.latest_message
        tracker.latest_bot_utterance = self.latest_bot_utterance
        tracker.active_loop = copy.copy(self.active_loop)
        return tracker

    def applied_events(self) -> List[Event]:
        # Rasa's fold over all events, resumed while events were only appended and named no new
        # loop (the loop names decide how every earlier loop action is read)
        events = self.events
        fold = self.__dict__.get("_applied")
        if (
            fold is None
            or len(events) < fold.seen
            or (fold.seen and events[fold.seen - 1] is not fold.last)
            or (fold.seen and events[0] is not fold.first)
            or any(isinstance(e, ActiveLoop) and e.name and e.name not in fold.loop_names
                   for e in itertools.islice(events, fold.seen, None))
        ):
            fold = self.__dict__["_applied"] = _Applied(
                {e.name for e in events if isinstance(e, ActiveLoop) and e.name})
        for event in itertools.islice(events, fold.seen, None):
            self._apply(event, fold)
        fold.seen = len(events)
        fold.first, fold.last = (events[0], events[-1]) if events else (None, None)
        return list(fold.applied)

    def _apply(self, event: Event, fold: "_Applied") -> None:
        applied = fold.applied
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            self._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            self._undo_till_previous(UserUttered, applied)
            self._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in fold.loop_names
            and not self._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            self._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
            return
        fold.edits += 1

    def past_states(
        self,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: Optional[Dict[Text, Any]] = None,
    ) -> List[State]:
        replay = self._replayed(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        # the states go out with their own user parts, which featurizers edit (Rasa's
        # `_choose_last_user_input` and `_remove_user_text_if_intent` delete the text or intent)
        states = [_own_user_part(state) for state in replay.states]
        return self._with_the_state_now(replay, domain, omit_unset_slots, ignore_rule_only_turns,
                                        rule_only_data, states)

    def featurizer_states(
        self,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: Optional[Dict[Text, Any]] = None,
    ) -> List[State]:
        """`past_states` as a featurizer leaves them: the states of the turns already seen without
        the user's text where the intent is there, as Rasa's `_remove_user_text_if_intent` makes it.
        Those states are kept and handed out again, not copied per call: the copies that
        `past_states` makes of a long conversation's user parts, and the featurizer's pass deleting
        the text from them, were the share of a late turn that still grew with the conversation.
        What featurizers edit (the last state's user part, which the newest states may share) is
        still a copy.
        `install()` has Rasa's featurizers call this for a StatesTracker;
        tests/stores/test_states_tracker.py checks their results against Rasa's."""
        replay = self._replayed(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        if replay.unlikely_intent:
            # a featurizer that drops action_unlikely_intent's states may make one of the kept
            # states the last, whose user part it edits: Rasa's way, with copies
            return self.past_states(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        kept, past = replay.without_text, replay.states
        for state in past[len(kept):]:
            kept.append(_without_text_if_intent(state))
        # The newest states that share the last one's user part (Rasa substitutes the previous user
        # input into a turn's state as the same dict) share one copy of it, as in Rasa's list: what
        # a featurizer deletes from the last state's user part is gone from all of them.
        tail = max(len(past) - 1, 0)
        user = past[-1].get(USER) if past else None
        if user is not None:
            while tail and past[tail - 1].get(USER) is user:
                tail -= 1
            user = dict(user)
        states = _FeaturizerStates(kept[:tail])
        states.settled = tail
        states.extend({**state, USER: user} if USER in state else state for state in past[tail:])
        return self._with_the_state_now(replay, domain, omit_unset_slots, ignore_rule_only_turns,
                                        rule_only_data, states)

    def _replayed(self, domain: Domain, omit_unset_slots: bool, ignore_rule_only_turns: bool,
                  rule_only_data: Optional[Dict[Text, Any]]) -> "_Replay":
        """The replay of this kind of call, brought up to the applied events."""
        applied = self.applied_events()
        fold = self.__dict__["_applied"]
        replays = self.__dict__.setdefault("_replays", {})
        key = (omit_unset_slots, ignore_rule_only_turns)
        replay = replays.get(key)
        if (
            replay is None
            or replay.domain is not domain
            or replay.rule_only_data != rule_only_data  # RulePolicy builds it anew for each call
            or len(replay.events) > len(applied)
            or ((replay.fold is not fold or replay.fold_edits != fold.edits)
                and any(old is not new for old, new in zip(replay.events, applied)))
        ):
            replay = replays[key] = _Replay(domain, rule_only_data, self.init_copy())
        replay.fold, replay.fold_edits = fold, fold.edits

        step = _Step(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        for event in applied[len(replay.events):]:
            if isinstance(event, ActionExecuted):
                step.take(replay, replay.tracker, event.hide_rule_turn, replay.states)
                replay.unlikely_intent = replay.unlikely_intent or event.action_name == ACTION_UNLIKELY_INTENT_NAME
            replay.tracker.update(event)
            replay.events.append(event)
        return replay

    @staticmethod
    def _with_the_state_now(replay: "_Replay", domain: Domain, omit_unset_slots: bool, ignore_rule_only_turns: bool,
                            rule_only_data: Optional[Dict[Text, Any]], states: List[State]) -> List[State]:
        # the state of the tracker as it is now is computed apart, since the next event may change it
        step = _Step(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        now = _Replay(domain, rule_only_data, replay.tracker, [], states,
                      replay.last_ml_action_sub_state, replay.turn_was_hidden)
        step.take(now, replay.tracker, False, states)
        return states


def _own_user_part(state: State) -> State:
    return {**state, USER: dict(state[USER])} if USER in state else state


def _without_text_if_intent(state: State) -> State:
    """Rasa's `TrackerFeaturizer._remove_user_text_if_intent` on one state, on a copy."""
    user = state.get(USER, {})
    if user.get(INTENT) and user.get(TEXT):
        return {**state, USER: {key: value for key, value in user.items() if key != TEXT}}
    return state


class _FeaturizerStates(list):
    """`featurizer_states`' list: its first `settled` states are already as Rasa's
    `_remove_user_text_if_intent` leaves them, so that pass skips them."""

    settled = 0


def install() -> None:
    """Rasa's featurizers read a StatesTracker's states through `featurizer_states` and delete the
    text only where it may still be; other trackers (training's, for one) as before. The tracker
    store that makes StatesTrackers calls it."""
    from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer

    global _rasas_remove_user_text_if_intent
    if TrackerFeaturizer._remove_user_text_if_intent is not _remove_user_text_if_intent:
        _rasas_remove_user_text_if_intent = TrackerFeaturizer._remove_user_text_if_intent
        TrackerFeaturizer._remove_user_text_if_intent = staticmethod(_remove_user_text_if_intent)
    TrackerFeaturizer._create_states = staticmethod(_create_states)


_rasas_remove_user_text_if_intent = None


def _remove_user_text_if_intent(trackers_as_states: List[List[State]]) -> None:
    # Rasa's pass edits the states' user parts in place, so a slice of the list reaches the same ones
    _rasas_remove_user_text_if_intent(
        [states[states.settled:] if isinstance(states, _FeaturizerStates) else states for states in trackers_as_states])


def _create_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Optional[Dict[Text, Any]] = None,
) -> List[State]:
    states = tracker.featurizer_states if isinstance(tracker, StatesTracker) else tracker.past_states
    return states(domain, omit_unset_slots=omit_unset_slots, ignore_rule_only_turns=ignore_rule_only_turns,
                  rule_only_data=rule_only_data)


class _Step:
    """One iteration of Rasa's `states_for_tracker_history` loop."""

    def __init__(self, domain: Domain, omit_unset_slots: bool, ignore_rule_only_turns: bool,
                 rule_only_data: Optional[Dict[Text, Any]]) -> None:
        self.domain, self.omit_unset_slots = domain, omit_unset_slots
        self.ignore_rule_only_turns, self.rule_only_data = ignore_rule_only_turns, rule_only_data

    def take(self, replay: _Replay, tr: DialogueStateTracker, hide_rule_turn: bool, states: List[State]) -> None:
        domain = self.domain
        if self.ignore_rule_only_turns:
            if not replay.turn_was_hidden:
                replay.last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
            if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
                replay.turn_was_hidden = hide_rule_turn
            if replay.turn_was_hidden:
                return

        state = domain.get_active_state(tr, omit_unset_slots=self.omit_unset_slots)

        if self.ignore_rule_only_turns:
            domain._remove_rule_only_features(state, self.rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if replay.last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = replay.last_ml_action_sub_state

        states.append(domain._clean_state(state))
