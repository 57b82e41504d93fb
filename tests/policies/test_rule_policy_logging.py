"""bot/policies/rule_policy_logging.py: RulePolicy's debug text of the conversation is built only when
that debug line is logged, and is Rasa's own text when it is."""
from __future__ import annotations

import logging

import pytest
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy

from bot.policies import rule_policy_logging

STATES = [
    {},
    {"user": {"intent": "greet", "text": "hello there"}, "prev_action": {"action_name": "action_listen"}},
    {"user": {"intent": "greet", "text": "hello there"}, "prev_action": {"action_name": "utter_greet"},
     "active_loop": {"name": "preferences_form"}, "slots": {"language": (1.0,)}},
]


@pytest.fixture
def installed():
    assert "format_tracker_states" not in RulePolicy.__dict__  # Rasa's: inherited from Policy
    rule_policy_logging.install()
    yield
    del RulePolicy.format_tracker_states  # back to Policy's, for the rest of this process


@pytest.fixture
def rule_policy_logger():
    logger = logging.getLogger("rasa.core.policies.rule_policy")
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_without_debug_logging_the_states_are_not_formatted(installed, rule_policy_logger):
    rule_policy_logger.setLevel(logging.INFO)
    assert RulePolicy.format_tracker_states(STATES) == rule_policy_logging.NOT_FORMATTED
    assert "hello there" in Policy.format_tracker_states(STATES)  # other policies: Rasa's own


def test_with_debug_logging_they_are_rasas_text(installed, rule_policy_logger):
    rule_policy_logger.setLevel(logging.DEBUG)
    formatted = RulePolicy.format_tracker_states(STATES)
    assert formatted == Policy.format_tracker_states(STATES)
    assert "user intent: greet" in formatted and "preferences_form" in formatted
