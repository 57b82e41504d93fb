"""StatesTracker resumes Rasa's `states_for_tracker_history` from where its previous call ended:
after every event of real conversations (the assistant's stories, rules and test stories, with
forms, rewinds and restarts) it must give exactly the states Rasa gives."""
import pytest
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer, TrackerFeaturizer
from rasa.core.training import load_data
from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, Restarted, SlotSet,
                                     UserUttered, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.stores.states_tracker import StatesTracker, install

DOMAIN = Domain.load("domain.yml")
STORY_FILES = ["bot/data/stories.yml", "bot/data/rules.yml", "bot/data/rules_preferences.yml",
               "tests/stories/test_faq.yml", "tests/stories/test_preferences.yml"]
RULE_ONLY = {RULE_ONLY_SLOTS: ["sms_opted_out", "discussed_comparison"], RULE_ONLY_LOOPS: ["preferences_form"]}
# the kinds of call the policies make: (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
CALLS = [(False, False, None), (True, False, None), (False, True, RULE_ONLY), (True, True, RULE_ONLY)]


@pytest.fixture(scope="module")
def conversations():
    trackers = [t for path in STORY_FILES for t in load_data(path, DOMAIN, augmentation_factor=0)]
    assert len(trackers) > 50
    stories = [list(t.events) for t in trackers]
    # in a live conversation RulePolicy marks the turns it predicted from rules only
    # (ActionExecuted.hide_rule_turn), which the ML states skip: every other action here
    return stories + [hiding_every_other_action(events) for events in stories]


def hiding_every_other_action(events):
    out, actions = [], 0
    for event in events:
        if isinstance(event, ActionExecuted) and event.action_name != "action_listen":
            actions += 1
            event = ActionExecuted(event.action_name, event.policy, event.confidence, event.timestamp,
                                   event.metadata, hide_rule_turn=actions % 2 == 1)
        out.append(event)
    return out


def rasa_states(events, call):
    plain = DialogueStateTracker.from_events("rasa", events, DOMAIN.slots)
    return DOMAIN.states_for_tracker_history(plain, *call)


def same_state(ours, theirs):
    """Everything a tracker's events set, compared between two trackers."""
    assert type(ours) is type(theirs) is DialogueStateTracker
    state = {**ours.current_state(EventVerbosity.ALL), "sender_id": theirs.sender_id}
    return (state == theirs.current_state(EventVerbosity.ALL)
            and {n: (s.value, s.has_been_set) for n, s in ours.slots.items()}
            == {n: (s.value, s.has_been_set) for n, s in theirs.slots.items()}
            and ours.active_loop == theirs.active_loop and ours.followup_action == theirs.followup_action
            and ours.latest_bot_utterance == theirs.latest_bot_utterance)


def test_a_copy_is_independent_of_the_original(conversations):
    events = max(conversations, key=len)
    tracker = StatesTracker.from_events("ours", events, DOMAIN.slots)
    duplicate = tracker.copy()
    duplicate.update(SlotSet("sms_opted_out", True))
    duplicate.update(ActiveLoop("preferences_form"))
    assert tracker.get_slot("sms_opted_out") != True and tracker.active_loop_name != "preferences_form"  # noqa: E712
    assert len(tracker.events) == len(events)


def grown(events, check, every=1, start=0):
    """Feeds the events one by one to a StatesTracker, checking after each (or after every n-th,
    so that a rewind and the events after it arrive between two checks)."""
    tracker = StatesTracker("ours", DOMAIN.slots)
    for count, event in enumerate(events, start=1):
        tracker.update(event)
        if count % every == start % every or count == len(events):
            check(tracker, events[:count])


def test_states_after_every_event_are_rasas(conversations):
    compared = 0
    for events in conversations:
        def check(tracker, so_far):
            nonlocal compared
            plain = DialogueStateTracker.from_events("rasa", so_far, DOMAIN.slots)
            assert [id(e) for e in tracker.applied_events()] == [id(e) for e in plain.applied_events()]
            assert same_state(tracker.copy(), DialogueStateTracker.copy(plain))
            for call in CALLS:
                assert tracker.past_states(DOMAIN, *call) == rasa_states(so_far, call)
                compared += 1
        grown(events, check)
    assert compared > 2000


def test_rewinds_restarts_and_undone_form_runs_start_the_replay_again():
    user = UserUttered("hello", {"name": "greet", "confidence": 1.0})
    events = [ActionExecuted("action_listen"), user, ActionExecuted("utter_greet"), ActionExecuted("action_listen"),
              UserUttered("find me a therapist", {"name": "find_therapist", "confidence": 1.0}),
              ActionExecuted("preferences_form"), ActiveLoop("preferences_form"), SlotSet("requested_slot", "state"),
              ActionExecuted("action_listen"), UserUttered("CA", {"name": "inform", "confidence": 1.0}),
              ActionExecuted("preferences_form"), SlotSet("requested_slot", "format"),
              ActionExecuted("action_listen"), UserUttered("what?", {"name": "nlu_fallback", "confidence": 1.0}),
              UserUtteranceReverted(), ActionExecuted("action_listen"), ActionReverted(),
              ActionExecuted("action_listen"), user, Restarted(), ActionExecuted("action_listen"), user,
              ActionExecuted("utter_greet")]

    def check(tracker, so_far):
        applied = DialogueStateTracker.from_events("rasa", so_far, DOMAIN.slots).applied_events()
        assert [id(e) for e in tracker.applied_events()] == [id(e) for e in applied]
        for call in CALLS:
            assert tracker.past_states(DOMAIN, *call) == rasa_states(so_far, call)

    for every in (1, 2, 3):
        for start in range(every):
            grown(events, check, every, start)


def test_what_a_featurizer_does_to_the_states_it_gets_does_not_change_the_next_call(conversations):
    featurizer = MaxHistoryTrackerFeaturizer(max_history=None)
    for events in conversations:
        tracker = StatesTracker.from_events("ours", events, DOMAIN.slots)
        for use_text in (True, False, True):
            for ignore_rule_only_turns in (False, True):
                plain = DialogueStateTracker.from_events("rasa", events, DOMAIN.slots)
                ours = featurizer.prediction_states([tracker], DOMAIN, use_text, ignore_rule_only_turns, RULE_ONLY)
                theirs = featurizer.prediction_states([plain], DOMAIN, use_text, ignore_rule_only_turns, RULE_ONLY)
                assert ours == theirs


@pytest.fixture
def featurizers_keep_states(monkeypatch):
    """states_tracker.install() for this test only (Rasa's methods are put back after it)."""
    for name in ("_create_states", "_remove_user_text_if_intent"):
        monkeypatch.setattr(TrackerFeaturizer, name, TrackerFeaturizer.__dict__[name])
    install()


def test_featurizers_give_rasas_states_after_every_event_twice_in_a_row(conversations, featurizers_keep_states):
    # RulePolicy's featurizer (no max_history) and MemoizationPolicy's (4), both ways of reading the
    # last message, both kinds of turn; each call twice, since the second reads what the first kept
    featurizers = [MaxHistoryTrackerFeaturizer(max_history=None), MaxHistoryTrackerFeaturizer(max_history=4)]
    compared = 0
    for events in conversations[::3]:
        def check(tracker, so_far):
            nonlocal compared
            plain = DialogueStateTracker.from_events("rasa", so_far, DOMAIN.slots)
            for featurizer in featurizers:
                for use_text in (True, False):
                    for ignore_rule_only_turns in (False, True):
                        call = (DOMAIN, use_text, ignore_rule_only_turns, RULE_ONLY)
                        theirs = featurizer.prediction_states([plain], *call)
                        assert featurizer.prediction_states([tracker], *call) == theirs
                        assert featurizer.prediction_states([tracker], *call) == theirs
                        compared += 1
            # and what the featurizers deleted from their states is not gone from the tracker's
            for ignore_rule_only_turns in (False, True):
                call = (False, ignore_rule_only_turns, RULE_ONLY)
                assert tracker.past_states(DOMAIN, *call) == rasa_states(so_far, call)
        grown(events, check)
    assert compared > 3000
