"""Only button payloads the assistant sent are payloads; everything else a person types is text.

Rasa 3.6 unpacks any message that starts with "/" (`/intent@0.9{"slot": "value"} ...`) after
the NLU pipeline has run (RegexMessageHandler is the NLU graph's last node), so the risk
annotation is dropped and whatever was typed is believed: `/greet I want to kill myself
tonight` skipped the crisis reply, and `/inform{...}` filled nine form slots at once. Channels
cannot tell a typed slash from a tapped button, but the tracker can: it holds the buttons
the assistant sent in this conversation. So message parsing is wrapped, for every channel:

- the text is exactly a payload of a button (or quick reply) the assistant sent in this
  conversation, and it parses cleanly -> parsed the Rasa way, as a payload;
- anything else that starts with "/" -> the NLU pipeline reads it as text, without the leading
  slashes, and the event keeps what the person typed.

A wrapper around MessageProcessor.parse_message is the one place that sees both the text and
the tracker on every channel (REST, socket.io, SMS, rasa shell); `apply()` is idempotent and is
called when the RiskDetector component loads, i.e. in every process that parses messages.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Dict, Iterable, Optional, Set

from rasa.core.channels.channel import UserMessage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import TEXT

logger = logging.getLogger(__name__)

_APPLIED_FLAG = "_typed_payload_guard"


def sent_payloads(events: Iterable[Any]) -> Set[str]:
    """Payloads of every button and quick reply the assistant sent in these events."""
    payloads: Set[str] = set()
    for event in events:
        if isinstance(event, BotUttered):
            data = event.data or {}
            for key in ("buttons", "quick_replies"):
                for button in data.get(key) or []:
                    payload = button.get("payload") if isinstance(button, dict) else None
                    if isinstance(payload, str):
                        payloads.add(payload.strip())
    return payloads


def is_honoured_payload(text: Optional[str], events: Iterable[Any]) -> bool:
    """Whether `text` is a valid payload of a button the assistant sent in this conversation."""
    if not isinstance(text, str):
        return False
    stripped = text.strip()
    if not stripped.startswith(INTENT_MESSAGE_PREFIX):
        return False
    if stripped not in sent_payloads(events):
        return False
    match = YAMLStoryReader._regex_message_pattern().match(stripped)
    return bool(match) and not match.group("rest")


def as_text(text: str) -> str:
    """What the NLU reads for a typed message that looks like a payload."""
    return text.lstrip().lstrip(INTENT_MESSAGE_PREFIX).lstrip() or text


def apply() -> None:
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.parse_message
    if getattr(original, _APPLIED_FLAG, False):
        return

    @functools.wraps(original)
    async def parse_message(self: MessageProcessor, message: UserMessage, tracker: Any = None,
                            only_output_properties: bool = True) -> Dict[str, Any]:
        text = message.text
        if isinstance(text, str) and text.lstrip().startswith(INTENT_MESSAGE_PREFIX):
            events = tracker.events if tracker is not None else ()
            if not is_honoured_payload(text, events):
                logger.info("A typed message that looks like a payload is read as text.")
                as_typed = UserMessage(
                    text=as_text(text), output_channel=message.output_channel, sender_id=message.sender_id,
                    parse_data=message.parse_data, input_channel=message.input_channel,
                    message_id=message.message_id, metadata=message.metadata,
                )
                parse_data = await original(self, as_typed, tracker, only_output_properties)
                parse_data[TEXT] = text  # the event keeps what the person typed
                return parse_data
        return await original(self, message, tracker, only_output_properties)

    setattr(parse_message, _APPLIED_FLAG, True)
    MessageProcessor.parse_message = parse_message
