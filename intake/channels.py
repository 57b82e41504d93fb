"""Input channels: the names the assistant records and the words staff see, in one place.

The assistant records Rasa's input channel names (`tracker.get_latest_input_channel()`):
`socketio` for the web widget, `rest` for REST integrations and `sms` for text messages.
Staff see them as web, API and SMS. A filter accepts either word, in any case, so
`?channel=web` and `?channel=socketio` mean the same.
"""
from __future__ import annotations

from privacy.identifiers import REST_PREFIX, SMS_PREFIX, WEB_PREFIX

SOCKETIO = "socketio"
SMS = "sms"
REST = "rest"

# Rasa's name -> the word staff see; the order is the order of the console's filter
CHANNEL_LABELS = {SOCKETIO: "web", SMS: "SMS", REST: "API"}
CHANNELS = tuple(CHANNEL_LABELS)
# conversation id namespace (privacy.identifiers) -> the channel that issues such ids
CHANNEL_OF_PREFIX = {WEB_PREFIX: SOCKETIO, SMS_PREFIX: SMS, REST_PREFIX: REST}

_BY_WORD = {**{label.lower(): name for name, label in CHANNEL_LABELS.items()}, **{name: name for name in CHANNELS}}


def channel_label(name: str | None) -> str:
    """'socketio' -> 'web'; a name outside the vocabulary is shown as it is."""
    if not name:
        return "unknown"
    return CHANNEL_LABELS.get(name, name)


def parse_channel(word: str) -> str:
    """The recorded name for a filter word ('web', 'SMS', 'api', 'socketio', ...); ValueError otherwise."""
    name = _BY_WORD.get((word or "").strip().lower())
    if name is None:
        raise ValueError("unknown channel; use " + ", ".join(CHANNEL_LABELS.values()))
    return name


def channel_of_conversation(conversation_id: str | None) -> str | None:
    """The channel a namespaced conversation id comes from, or None for an id without a namespace."""
    for prefix, name in CHANNEL_OF_PREFIX.items():
        if (conversation_id or "").startswith(prefix):
            return name
    return None
