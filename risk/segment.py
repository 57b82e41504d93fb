"""Sentence pieces of a long message for the risk classifier: a disclosure in the middle of a
long question ("...and how long does it take? I've been cutting again. Do you take insurance?")
is also read on its own, not only diluted in the whole. Short messages are read whole only:
on the development split, reading every clause of every message alone raised false alarms
from 9% to 45% (a clause out of context, "i'd rather die", reads like risk). Bounded: at most
MAX_PIECES sentences of at most MAX_PIECE_CHARS each, whatever the message's size.
"""
from __future__ import annotations

import re
from typing import List

MAX_PIECES = 12
MAX_PIECE_CHARS = 400
MIN_SENTENCE_WORDS = 4
LONG_MESSAGE_SENTENCES = 2  # a message with at least this many real sentences is "long"
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")


def long_message_sentences(text: str) -> List[str]:
    """The sentences of a long message (empty for a short one)."""
    sentences = [s.strip()[:MAX_PIECE_CHARS] for s in _SENTENCE.split(text or "")]
    sentences = [s for s in sentences if len(s.split()) >= MIN_SENTENCE_WORDS]
    if len(sentences) < LONG_MESSAGE_SENTENCES:
        return []
    return sentences[:MAX_PIECES]
