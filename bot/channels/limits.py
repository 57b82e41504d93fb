"""What one message may be, on every channel: the one home for message size limits.

A person's message longer than this is not a conversation turn any more (and the NLU pipeline's
cost grows with it); the SMS channel caps at Twilio's own 1,600 characters.
"""
from __future__ import annotations

# Characters of text in one message on the REST and socket.io channels.
MAX_MESSAGE_CHARS = 4000
# Bytes of one REST request body: the message plus sender and metadata, with room for JSON escapes.
MAX_REST_BODY_BYTES = 64 * 1024
# Characters of a caller-chosen sender id (the tracker store's column holds 255 with the prefix).
MAX_SENDER_ID_CHARS = 200


def as_text(value: str) -> str:
    """The message as text every component can encode: lone surrogates (valid in JSON as
    "\\ud800") become "?" instead of an exception deep in the NLU pipeline."""
    return value.encode("utf-8", "replace").decode("utf-8")
