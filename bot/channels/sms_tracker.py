"""What the SMS channel reads from (and writes to) a conversation's tracker.

All per-number state lives in the tracker store, never in process memory, so any of several
Rasa servers behind a load balancer can answer the next message of a conversation.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

OPT_OUT_SLOT = "sms_opted_out"
# Key in SlotSet metadata naming the MessageSid of the STOP/START that set it (retry detection).
MESSAGE_SID_KEY = "sms_message_sid"


def is_opted_out(tracker: Optional[DialogueStateTracker]) -> bool:
    if tracker is None or OPT_OUT_SLOT not in tracker.slots:
        return False
    return bool(tracker.get_slot(OPT_OUT_SLOT))


def opt_out_event(opted_out: bool, message_sid: str) -> SlotSet:
    return SlotSet(OPT_OUT_SLOT, opted_out, metadata={MESSAGE_SID_KEY: message_sid})


def bot_message(event: BotUttered) -> Dict[str, Any]:
    """A BotUttered event in the shape a CollectingOutputChannel collects."""
    message: Dict[str, Any] = {"text": event.text}
    for key, value in (event.data or {}).items():
        if value:
            message[key] = value
    return message


def last_turn_messages(tracker: Optional[DialogueStateTracker]) -> List[Dict[str, Any]]:
    """The bot messages sent since the person's last message (the ones its numbered options came from)."""
    if tracker is None:
        return []
    messages: List[Dict[str, Any]] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            messages.append(bot_message(event))
    messages.reverse()
    return messages


def replies_to_message(tracker: Optional[DialogueStateTracker], message_id: str) -> Optional[List[Dict[str, Any]]]:
    """The bot's replies to the user message with this id, or None if no such message was processed."""
    if tracker is None:
        return None
    events: List[Event] = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, UserUttered) and event.message_id == message_id:
            replies = []
            for later in events[index + 1:]:
                if isinstance(later, UserUttered):
                    break
                if isinstance(later, BotUttered):
                    replies.append(bot_message(later))
            return replies
    return None


def keyword_was_recorded(tracker: Optional[DialogueStateTracker], message_id: str) -> bool:
    """True if a STOP/START with this MessageSid already changed the opt-out state."""
    if tracker is None:
        return False
    return any(
        isinstance(event, SlotSet)
        and event.key == OPT_OUT_SLOT
        and (event.metadata or {}).get(MESSAGE_SID_KEY) == message_id
        for event in tracker.events
    )
