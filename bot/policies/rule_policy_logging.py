"""RulePolicy's debug description of the conversation, written only when that debug line is logged.

At every prediction Rasa 3.6's RulePolicy formats each state of the conversation so far into one
string (`Policy.format_tracker_states`) for a debug log line that is dropped unless Rasa runs with
`--debug`. The string grows with the conversation: at turn 155 (about 470 states) it took 1.5 ms a
call, three or four calls a turn, on this machine (2026-11-30, a slow day). Our worker alone, turns
151-160 cost 1.46 times turns 1-10 with it and 1.27 without (docs/CAPACITY.md). It also holds every
message's text, for nothing.

`install()` (bot.rasa_cli, wherever a model is loaded, next to bot.graph_runner's) gives Rasa's
RulePolicy a `format_tracker_states` that formats the states as before when the rule policy's
logger takes DEBUG lines, and otherwise returns a short note. Its one caller is that debug line
(rasa/core/policies/rule_policy.py, `_find_action_from_rules`), so no prediction changes. A
subclass in config.yml would not do: Rasa's recipe validator looks for RulePolicy itself (`==`),
and would warn that the assistant has none and skip its domain check.
"""
from __future__ import annotations

import logging
from typing import Dict, List, Text

from rasa.core.policies import rule_policy
from rasa.core.policies.policy import Policy

NOT_FORMATTED = " (not formatted: debug logging is off)"

_logger = logging.getLogger(rule_policy.__name__)  # the logger Rasa's structlog line goes to


def format_tracker_states_when_logged(states: List[Dict]) -> Text:
    if _logger.isEnabledFor(logging.DEBUG):
        return Policy.format_tracker_states(states)
    return NOT_FORMATTED


def install() -> None:
    rule_policy.RulePolicy.format_tracker_states = staticmethod(format_tracker_states_when_logged)
