"""Three pieces of Rasa 3.6 RulePolicy's work at each prediction that grew with the conversation.

RulePolicy reads the states of the whole conversation at every prediction (it has no max_history),
three or four predictions a turn. Three things it does with them cost time in proportion to the
conversation's length, for results that do not depend on it:

- **The debug text.** `_find_action_from_rules` formats every state into one string
  (`Policy.format_tracker_states`) for a debug line that is dropped unless Rasa runs with
  `--debug`: 1.5 ms a call at turn 155 (about 470 states) on 2026-11-30, a slow day. It also holds
  every message's text, for nothing. It is now built only when the rule policy's logger takes DEBUG
  lines; otherwise the line says it was not formatted. Its one caller is that debug line.
- **The scan for matching rules.** `_get_possible_keys` walks every state of the conversation from
  the newest back, and at each one keeps the rules still applicable. A rule of n states is always
  applicable at the n-th state back and beyond (`_is_rule_applicable` returns True there before
  looking at the state), so no state older than the longest rule can remove a rule: walking the
  newest `longest` states gives the same set. 8% of a turn's samples at turns 100-160 under py-spy
  (2026-12-01).
- **The feature key of a conversation no rule applies to.** `_find_action_from_rules` then returns
  the JSON of every state as the prediction's source, and at serving time that source is only
  looked up in the model's list of rules not used in stories (whether the turn is hidden from the
  other policies). Every key in that list is a rule's key, of as many states as that rule has, so
  a conversation longer than all of them cannot be in it: the source is then a fixed text that is
  not in the list either. 3.3% of a late turn (py-spy, 2026-12-01). While RulePolicy trains, the
  list does not exist yet and Rasa's key is made as before: training reads these sources.

`install()` (bot.rasa_cli, for the commands that answer with a model: run, shell, test and
interactive; next to bot.graph_runner's) gives Rasa's RulePolicy all three.
tests/policies/test_rule_policy_long_conversations.py checks the scan against Rasa's own on every
rule of this assistant's model. A subclass in config.yml would not do: Rasa's recipe validator
looks for RulePolicy itself (`==`) and would warn that the assistant has none and skip its domain
check, and the policy ensemble recognises a rule prediction by the name ending in `_RulePolicy`.
"""
from __future__ import annotations

import logging
from typing import Dict, List, Optional, Set, Text

from rasa.core.policies import rule_policy
from rasa.core.policies.policy import Policy
from rasa.shared.core.domain import State

NOT_FORMATTED = " (not formatted: debug logging is off)"
# the prediction source of a conversation longer than every rule in the model's list of rules not
# used in stories; not JSON, so never a rule's key
LONGER_THAN_EVERY_LISTED_RULE = "(no rule: the conversation is longer than every rule not in stories)"

_logger = logging.getLogger(rule_policy.__name__)  # the logger Rasa's structlog line goes to
# Rasa's methods, before install() replaces them
RASAS_GET_POSSIBLE_KEYS = rule_policy.RulePolicy._get_possible_keys
RASAS_CREATE_FEATURE_KEY = rule_policy.RulePolicy._create_feature_key


def format_tracker_states_when_logged(states: List[Dict]) -> Text:
    if _logger.isEnabledFor(logging.DEBUG):
        return Policy.format_tracker_states(states)
    return NOT_FORMATTED


def get_possible_keys_within_the_longest_rule(
    self: rule_policy.RulePolicy, lookup: Dict[Text, Text], states: List[State]
) -> Set[Text]:
    """Rasa's `_get_possible_keys` over the newest states only, as many as the longest rule has."""
    if not lookup:
        return set()
    # _rule_key_to_state is Rasa's own parse of a rule key, cached (lru_cache)
    longest = max(len(self._rule_key_to_state(key)) for key in lookup)
    return RASAS_GET_POSSIBLE_KEYS(self, lookup, states[-longest:])


def feature_key_unless_longer_than_every_listed_rule(self: rule_policy.RulePolicy, states: List[State]) -> Optional[Text]:
    """Rasa's `_create_feature_key`, or LONGER_THAN_EVERY_LISTED_RULE when the key could not be in
    the model's list of rules not used in stories (its one use at serving time)."""
    longest = _longest_rule_not_in_stories(self)
    # Rasa's key keeps the states after the last rule snippet ("..."), which only rule data has:
    # with none among the newest longest + 1 states, the key has more states than any listed rule
    if longest is not None and len(states) > longest and not any(
            self._is_rule_snippet_state(state) for state in states[-(longest + 1):]):
        return LONGER_THAN_EVERY_LISTED_RULE
    return RASAS_CREATE_FEATURE_KEY(self, states)


def _longest_rule_not_in_stories(policy: rule_policy.RulePolicy) -> Optional[int]:
    """States in the longest key of the list (None while training, before the list exists)."""
    listed = policy.lookup.get(rule_policy.RULES_NOT_IN_STORIES)
    if listed is None:
        return None
    cached = policy.__dict__.get("_longest_rule_not_in_stories")
    if cached is None or cached[0] is not listed:
        # the list also names default actions and loops by text (DEFAULT_RULES, LOOP_RULES): not keys
        keys = [key for key in listed if key.startswith("[")]
        cached = (listed, max((len(policy._rule_key_to_state(key)) for key in keys), default=0))
        policy.__dict__["_longest_rule_not_in_stories"] = cached
    return cached[1]


def install() -> None:
    policy = rule_policy.RulePolicy
    policy.format_tracker_states = staticmethod(format_tracker_states_when_logged)
    policy._get_possible_keys = get_possible_keys_within_the_longest_rule
    policy._create_feature_key = feature_key_unless_longer_than_every_listed_rule
