"""Bound how long the Rasa server waits for the action server.

Rasa 3.6 waits up to 300 s for a custom action (rasa.core.actions.action uses
DEFAULT_REQUEST_TIMEOUT for every call), and the REST and SMS channels return a
turn's replies only when the turn ends. A hung — not crashed — action server would
therefore hold back a crisis reply that the server itself already produced (Twilio
gives up on a webhook after 15 s). Rasa reads the constant at call time, so setting
it here bounds every action call; a call that times out is logged by Rasa and the
turn goes on, exactly like a refused connection. 12 s leaves room for the provider
search action's own retries (3 attempts of 3 s) and stays under Twilio's limit.
Set ACTION_REQUEST_TIMEOUT_S to change it.
"""
from __future__ import annotations

import logging
import os

import rasa.core.actions.action as rasa_actions

logger = logging.getLogger(__name__)

DEFAULT_ACTION_REQUEST_TIMEOUT_S = 12.0


def apply() -> float:
    try:
        seconds = float(os.environ.get("ACTION_REQUEST_TIMEOUT_S", DEFAULT_ACTION_REQUEST_TIMEOUT_S))
    except ValueError:
        seconds = DEFAULT_ACTION_REQUEST_TIMEOUT_S
    if seconds <= 0:
        seconds = DEFAULT_ACTION_REQUEST_TIMEOUT_S
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = seconds
    return seconds
