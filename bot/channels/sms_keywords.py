"""Carrier keywords (STOP/START/HELP) and the fixed texts the SMS channel answers them with.

These replies are sent by the channel itself, without NLU or the action server, so they work
whatever else is down. The crisis lines come from risk/data/crisis_resources.yml.
"""
from __future__ import annotations

import enum
import re
from typing import Optional

from risk.resources import channel_line


class Keyword(enum.Enum):
    STOP = "stop"
    START = "start"
    HELP = "help"


# The carrier / Twilio standard keyword sets.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
# Twilio's Advanced Opt-Out also opts back in on YES; only honoured while opted out, since
# otherwise "yes" is an ordinary answer in the conversation.
START_WORDS_WHILE_OPTED_OUT = frozenset({"YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})

_KEYWORD_SHAPE = re.compile(r"^\s*([A-Za-z]+)\s*[.!?]*\s*$")

# The crisis lines come from risk/data/crisis_resources.yml, the one home of crisis facts.
_HELP_NOW = channel_line("sms_help_now")
_HELP_NOW_SHORT = channel_line("sms_help_now_short")

HELP_TEXT = (
    "This is the pre-therapy guide, an automated assistant (not a person or a therapist) that "
    "answers questions about psychodynamic therapy and helps you find a therapist. "
    f"{_HELP_NOW} "
    "Reply STOP to stop messages, START to resume. Msg & data rates may apply."
)

STOP_TEXT = (
    "You're unsubscribed and won't get more messages from this number. Reply START to resume. "
    f"{_HELP_NOW_SHORT}"
)

START_TEXT = (
    "Welcome back, you'll get messages from this number again. Say hi to start, or reply HELP for "
    f"info. {_HELP_NOW_SHORT}"
)

EMPTY_BODY_TEXT = (
    "I can only read text messages. Send me a question in words, or reply HELP for info. "
    f"{_HELP_NOW_SHORT}"
)

ERROR_TEXT = (
    "Sorry, something went wrong on our side. Please try again in a moment. "
    f"{_HELP_NOW_SHORT}"
)


def classify_keyword(body: str, opted_out: bool = False) -> Optional[Keyword]:
    """The carrier keyword a message consists of ('stop', ' Stop! '), or None.

    Only a message that is the keyword alone counts, as carriers do: "please stop asking" is text.
    """
    match = _KEYWORD_SHAPE.match(body or "")
    if not match:
        return None
    word = match.group(1).upper()
    if word in STOP_WORDS:
        return Keyword.STOP
    if word in START_WORDS or (opted_out and word in START_WORDS_WHILE_OPTED_OUT):
        return Keyword.START
    if word in HELP_WORDS:
        return Keyword.HELP
    return None
