"""bot/policies/rule_policy_long_conversations.py: RulePolicy's debug text of the conversation is built
only when that debug line is logged, and is Rasa's own text when it is; its scan for applicable rules
reads only the newest states and finds the rules Rasa's scan of every state finds; the prediction
source of a conversation no rule applies to is Rasa's key whenever that key could be in the model's
list of rules not used in stories, and is in that list exactly when Rasa's is."""
from __future__ import annotations

import copy
import json
import logging
import random
import tarfile

import pytest
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy

from bot.policies import rule_policy_long_conversations as long_conversations

STATES = [
    {},
    {"user": {"intent": "greet", "text": "hello there"}, "prev_action": {"action_name": "action_listen"}},
    {"user": {"intent": "greet", "text": "hello there"}, "prev_action": {"action_name": "utter_greet"},
     "active_loop": {"name": "preferences_form"}, "slots": {"language": (1.0,)}},
]


@pytest.fixture
def installed():
    assert "format_tracker_states" not in RulePolicy.__dict__  # Rasa's: inherited from Policy
    assert RulePolicy._get_possible_keys is long_conversations.RASAS_GET_POSSIBLE_KEYS
    assert RulePolicy._create_feature_key is long_conversations.RASAS_CREATE_FEATURE_KEY
    long_conversations.install()
    yield
    # back to Rasa's, for the rest of this process
    del RulePolicy.format_tracker_states
    RulePolicy._get_possible_keys = long_conversations.RASAS_GET_POSSIBLE_KEYS
    RulePolicy._create_feature_key = long_conversations.RASAS_CREATE_FEATURE_KEY


@pytest.fixture
def rule_policy_logger():
    logger = logging.getLogger("rasa.core.policies.rule_policy")
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_without_debug_logging_the_states_are_not_formatted(installed, rule_policy_logger):
    rule_policy_logger.setLevel(logging.INFO)
    assert RulePolicy.format_tracker_states(STATES) == long_conversations.NOT_FORMATTED
    assert "hello there" in Policy.format_tracker_states(STATES)  # other policies: Rasa's own


def test_with_debug_logging_they_are_rasas_text(installed, rule_policy_logger):
    rule_policy_logger.setLevel(logging.DEBUG)
    formatted = RulePolicy.format_tracker_states(STATES)
    assert formatted == Policy.format_tracker_states(STATES)
    assert "user intent: greet" in formatted and "preferences_form" in formatted


@pytest.fixture(scope="module")
def rule_lookups(trained_model):
    """The rules of this assistant's trained model, as RulePolicy saved them."""
    with tarfile.open(trained_model) as archive:
        saved = next(m for m in archive.getmembers() if m.name.endswith("/rule_policy.json"))
        lookup = json.load(archive.extractfile(saved))["lookup"]
    return {name: lookup[name] for name in ("rules", "rules_for_loop_unhappy_path", "rules_not_in_stories")}


def _conversations(lookup, rng: random.Random, count: int):
    """Conversations made of the rules' own states (so that rules match) and variations of them (so
    that some do not), from a single state to several hundred, each starting as a conversation does."""
    states = [state for key in lookup for state in json.loads(key)]
    for _ in range(count):
        conversation, length = [{}], rng.choice((2, 3, 5, 8, 40, 300))
        while len(conversation) < length:
            if rng.random() < 0.5:  # a rule's states, in order
                conversation += json.loads(rng.choice(list(lookup)))
            else:  # one state, perhaps without its slots or loop
                state = copy.deepcopy(rng.choice(states))
                for part in ("slots", "active_loop"):
                    if rng.random() < 0.3:
                        state.pop(part, None)
                conversation.append(state)
        yield conversation[rng.randrange(len(conversation)):] if rng.random() < 0.2 else conversation


def test_the_scan_of_the_newest_states_finds_the_rules_rasas_scan_finds(installed, rule_lookups):
    policy = RulePolicy.__new__(RulePolicy)  # the scan reads the lookup and states, nothing of the instance
    rng = random.Random(2026)
    longest, found, longer = 0, 0, 0
    for name in ("rules", "rules_for_loop_unhappy_path"):
        lookup = rule_lookups[name]
        assert lookup, name
        longest = max(longest, max(len(json.loads(key)) for key in lookup))
        for states in _conversations(lookup, rng, 1500):
            ours = policy._get_possible_keys(lookup, states)
            assert ours == long_conversations.RASAS_GET_POSSIBLE_KEYS(policy, lookup, states), (name, states)
            found += bool(ours)
            longer += len(states) > 100
    assert 2 <= longest < 100  # every rule is shorter than the long conversations
    assert longer > 300  # many conversations were far longer than any rule
    assert found > 300  # and many of them had rules that apply


def test_the_source_of_a_conversation_is_in_the_list_of_rules_not_in_stories_exactly_when_rasas_is(
        installed, rule_lookups):
    policy = RulePolicy.__new__(RulePolicy)
    policy.lookup = dict(rule_lookups)
    listed = rule_lookups["rules_not_in_stories"]
    keys = [json.loads(key) for key in listed if key.startswith("[")]
    assert keys and any(not key.startswith("[") for key in listed)  # rules' keys and default actions' texts
    longest = max(len(key) for key in keys)
    rng = random.Random(2027)
    conversations = list(_conversations(rule_lookups["rules"], rng, 2000))
    conversations += [copy.deepcopy(key) for key in keys]  # a conversation that is a listed rule's states
    conversations += [[{}] * rng.randrange(50) + key for key in keys]  # those states after others
    snippet = {"prev_action": {"action_name": "..."}}  # rule data's "anything before" (never in a conversation)
    conversations += [[{}] * 200 + [snippet] + key for key in keys]
    in_list, shortened = 0, 0
    for states in conversations:
        ours = policy._create_feature_key(states)
        rasas = long_conversations.RASAS_CREATE_FEATURE_KEY(policy, states)
        assert (ours in listed) == (rasas in listed), states
        if ours == long_conversations.LONGER_THAN_EVERY_LISTED_RULE:
            shortened += 1
            assert len(json.loads(rasas)) > longest
        else:
            assert ours == rasas
        in_list += ours in listed
    assert in_list >= len(keys) and shortened > 500
    # while RulePolicy trains, the list does not exist yet: Rasa's key, however long the conversation
    training = RulePolicy.__new__(RulePolicy)
    training.lookup = {"rules": rule_lookups["rules"]}
    long_one = max(conversations, key=len)
    assert training._create_feature_key(long_one) == long_conversations.RASAS_CREATE_FEATURE_KEY(training, long_one)
