"""Callback from intake staff: only after an explicit yes, a first name and a phone or email.

Nothing personal is stored without that yes (action_record_callback_consent runs only on
the consent rules); stopping the callback form forgets what was typed. Contact details
never appear in logs.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import intake, latest_message
from actions.forms import AssistantFormValidationAction
from actions.preference_parsing import clean_text
from privacy import contact

logger = logging.getLogger(__name__)

CONTACT_SLOTS = ["first_name", "contact_value", "contact_method"]
NAME_PREFIX = re.compile(r"^(?:hi|hello|hey)?[,! ]*(?:my name is|my name's|name is|i'm|i am|im|it's|its|this is|call me)\s+",
                         re.IGNORECASE)
NAME = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]+)*$")
NOT_NAMES = {"yes", "no", "ok", "okay", "stop", "cancel", "hi", "hello", "sure", "skip", "nope", "none"}


def parse_first_name(text: str) -> Optional[str]:
    text = NAME_PREFIX.sub("", clean_text(text)).strip(" .!,")
    if not text:
        return None
    first = text.split()[0].strip(".,!")
    if len(first) > 40 or first.lower() in NOT_NAMES or not NAME.match(first):
        return None
    return first[:1].upper() + first[1:]


def parse_contact(text: str) -> Optional[Tuple[str, str]]:
    """(method, normalised value) for an email or a phone number in the text, else None.

    privacy.contact normalises (E.164, default region from DEFAULT_PHONE_REGION); a phone number
    must also be a valid one, so a typo is asked again rather than stored.
    """
    text = clean_text(text)
    if "@" in text:
        emails = contact.find_emails(text)
        return ("email", emails[0]) if emails else None
    for number in contact.find_phone_numbers(text):
        try:
            return "phone", contact.normalize_phone(number, require_valid=True)
        except ValueError:
            continue
    return None


class ActionRecordCallbackConsent(Action):
    def name(self) -> Text:
        return "action_record_callback_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        return [SlotSet("callback_consent", True)]


class ValidateCallbackForm(AssistantFormValidationAction):
    def name(self) -> Text:
        return "validate_callback_form"

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        requested = tracker.get_slot("requested_slot")
        if (requested not in self.domain_slots(domain) or not self.may_read_latest_message(tracker, domain)
                or latest_message.intent(tracker) in self.ignored_intents(domain)):
            return []
        # the raw text goes to validation, which keeps only a clean name / contact
        value = latest_message.text(tracker) or "?"
        tracker.slots[requested] = value
        return [SlotSet(requested, value)]

    def validate_first_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> Dict[Text, Any]:
        name = parse_first_name(value) if isinstance(value, str) else None
        if not name:
            return self.refuse("first_name", "utter_invalid_first_name", dispatcher, tracker)
        return self.accept("first_name", name, tracker)

    def validate_contact_value(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        parsed = parse_contact(value) if isinstance(value, str) else None
        if not parsed:
            return self.refuse("contact_value", "utter_invalid_contact_value", dispatcher, tracker)
        method, contact = parsed
        return {**self.accept("contact_value", contact, tracker), "contact_method": method}


class ActionSaveCallback(Action):
    def name(self) -> Text:
        return "action_save_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        first_name = tracker.get_slot("first_name")
        method = tracker.get_slot("contact_method")
        contact = tracker.get_slot("contact_value")
        if tracker.get_slot("callback_consent") is not True or not (first_name and method and contact):
            dispatcher.utter_message(response="utter_callback_declined")
            return [SlotSet(slot, None) for slot in CONTACT_SLOTS]
        saved = await intake.record_callback(tracker, first_name, method, contact)
        if saved:
            phrase = "email you" if method == "email" else "call or text you"
            dispatcher.utter_message(response="utter_callback_saved", first_name=first_name, contact_phrase=phrase)
        else:
            dispatcher.utter_message(response="utter_callback_save_failed")
        # the contact details now live in the intake record only
        return [SlotSet("contact_value", None)]


class ActionCancelCallback(Action):
    def name(self) -> Text:
        return "action_cancel_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_callback_cancelled")
        return [SlotSet(slot, None) for slot in CONTACT_SLOTS] + [SlotSet("callback_consent", False)]
