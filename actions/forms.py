"""What both forms share: which message may answer, one validation entry point, the way out.

The form definitions live in domain.yml: `required_slots` are the questions, `ignored_intents`
the messages that are about something else (an FAQ, "stop", a crisis) and are never read as an
answer. Rasa itself applies `ignored_intents` only to slot mappings, which these forms do not
use (their slots are `custom`), so the validation actions read them here.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, FrozenSet, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker, utils
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import latest_message

MAX_FAILURES_BEFORE_WAY_OUT = 2
# Actions that may run between the person's message and the form without the message having
# been answered by something else (an FAQ answer, a crisis reply, ...).
_PLUMBING_ACTIONS = frozenset({"action_listen", "action_extract_slots", None})


def form_slots(domain: DomainDict, form_name: str) -> List[str]:
    """The form's questions, in the order the domain asks them."""
    return list(domain.get("forms", {}).get(form_name, {}).get("required_slots") or [])


class AssistantFormValidationAction(FormValidationAction, ABC):
    """Validation of one form: every slot goes through `validate_answer` unless the subclass has a
    `validate_<slot>` of its own; a refused answer is counted per slot (in `failures_slot`) and,
    from the second failure on, followed by `way_out_response`."""

    # Slot holding {slot: failed answers}; None: this form does not count failures.
    failures_slot: Optional[str] = None
    way_out_response: Optional[str] = None

    @abstractmethod
    def name(self) -> Text:
        """validate_<form name>"""

    # -- which message may answer ---------------------------------------------------------
    def ignored_intents(self, domain: DomainDict) -> FrozenSet[str]:
        ignored = domain.get("forms", {}).get(self.form_name(), {}).get("ignored_intents") or []
        return frozenset([ignored] if isinstance(ignored, str) else ignored)

    def answered_just_now(self, tracker: Tracker, domain: DomainDict) -> bool:
        """True if the form runs right after the person's message (not when it resumes after an FAQ)."""
        forms = set(domain.get("forms", {}))
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                return True
            if event.get("event") == "action" and event.get("name") not in _PLUMBING_ACTIONS | forms:
                return False
        return False

    def may_read_latest_message(self, tracker: Tracker, domain: DomainDict) -> bool:
        """The latest message was sent just now and is no crisis message."""
        return self.answered_just_now(tracker, domain) and not latest_message.is_crisis(tracker)

    # -- validation -------------------------------------------------------------------------
    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        questions = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        validated = {slot: value for slot, value in tracker.slots_to_validate().items() if slot in questions}
        for slot, value in list(validated.items()):
            own = getattr(self, f"validate_{slot}", None)
            result = own(value, dispatcher, tracker, domain) if own else self.validate_answer(
                slot, value, dispatcher, tracker, domain)
            result = await utils.call_potential_coroutine(result)
            validated.update(result)
            tracker.slots.update(result)  # later slots see this one's outcome
        return [SlotSet(slot, value) for slot, value in validated.items()]

    def validate_answer(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> Dict[Text, Any]:
        """The one validation of a slot without a `validate_<slot>`; by default any value is kept."""
        return self.accept(slot, value, tracker)

    def accept(self, slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        """Keep the value; a question answered at last no longer counts its failures."""
        result: Dict[Text, Any] = {slot: value}
        if self.failures_slot:
            failures = dict(tracker.get_slot(self.failures_slot) or {})
            if failures.pop(slot, None) is not None:
                result[self.failures_slot] = failures
        return result

    def refuse(self, slot: str, response: str, dispatcher: CollectingDispatcher,
               tracker: Tracker) -> Dict[Text, Any]:
        """Say why with `response` and ask again; after repeated trouble, also offer the way out."""
        dispatcher.utter_message(response=response)
        if not self.failures_slot:
            return {slot: None}
        failures = dict(tracker.get_slot(self.failures_slot) or {})
        failures[slot] = failures.get(slot, 0) + 1
        if failures[slot] >= MAX_FAILURES_BEFORE_WAY_OUT and self.way_out_response:
            dispatcher.utter_message(response=self.way_out_response)
        return {slot: None, self.failures_slot: failures}
