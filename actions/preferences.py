"""The care-preferences form: what a match needs, one short question at a time.

ValidatePreferencesForm reads every answer itself (button payload entity, or free text
parsed by actions.preference_parsing) instead of using from_text mappings, so that a
crisis message, an FAQ or "stop" never lands in a slot. It also handles corrections of
earlier answers ("actually I'm in Ohio"), "skip" on optional questions, the ZIP code only
for in-person sessions, and ends the form early for people it cannot search for
(under 18, outside the US) so they get an honest explanation instead of more questions.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import intake
from actions import preference_parsing as parsing

logger = logging.getLogger(__name__)

FORM_NAME = "preferences_form"
PREFERENCE_SLOTS = ["concern", "age_range", "state", "insurance", "format", "zip",
                    "gender", "language", "availability", "approach"]
REQUIRED_ANSWERS = ("concern", "age_range", "state", "insurance", "format", "zip")
MAX_FAILURES_BEFORE_WAY_OUT = 2
FIND_THERAPIST_PAYLOAD = "I want to find a therapist"

# Messages that are about something else: the form lets the rules answer them
# (FAQ mid-form, stop, start over, crisis) and then asks the same question again.
INTERRUPT_INTENTS = {
    "faq", "compare_psychoanalysis", "ask_frequency_duration", "ask_right_for_me",
    "bot_challenge", "show_topics", "stop_form", "restart_form", "goodbye", "express_risk",
}
# Messages that are neither an answer nor a topic change: the question is simply asked again.
REASK_INTENTS = {"request_therapist", "continue_form", "greet", "thank", "change_preference"}
NEVER_AN_ANSWER = {"express_risk"}

CORRECTION_CUE = re.compile(r"\b(actually|sorry,? i meant|i meant|correction|change (?:my|that|it)|make (?:it|that))\b",
                            re.IGNORECASE)
SKIP_TEXT = re.compile(r"^\s*(skip|pass|next|no preference|doesn'?t matter|don'?t care|rather not say)\b", re.IGNORECASE)

# Not sent straight to the search: stop the form early with an honest answer.
INELIGIBLE = {"age_range": "under_18", "state": parsing.OUTSIDE_US}

SLOT_LABELS = {
    "concern": "reason for therapy", "age_range": "age", "state": "state", "insurance": "insurance",
    "format": "session format", "zip": "ZIP code", "gender": "therapist gender preference",
    "language": "language preference", "availability": "availability", "approach": "approach",
}
INVALID = "?invalid"
SKIPPED_REQUIRED = "?skip"
REASK = "?reask"


def ineligible_reason(tracker: Tracker) -> Optional[str]:
    for slot, value in INELIGIBLE.items():
        if tracker.get_slot(slot) == value:
            return slot
    return None


def search_preferences(tracker: Tracker) -> Dict[str, Any]:
    """The preferences as the provider search expects them ("no preference" -> None)."""
    def optional(slot: str) -> Optional[str]:
        value = tracker.get_slot(slot)
        return None if value in (None, parsing.NO_PREFERENCE) else value

    preferences: Dict[str, Any] = {
        "state": tracker.get_slot("state"),
        "insurance": tracker.get_slot("insurance"),
        "format": tracker.get_slot("format"),
        "zip": tracker.get_slot("zip") if tracker.get_slot("format") == "in_person" else None,
        "gender": optional("gender"),
        "language": optional("language"),
        "availability": optional("availability"),
        "approach": tracker.get_slot("approach") or "open",
        "concern": tracker.get_slot("concern"),
    }
    return preferences


def recorded_preferences(tracker: Tracker) -> Dict[str, Any]:
    """What intake staff see. The person's own words (concern_detail) stay in the conversation only."""
    return {**search_preferences(tracker), "age_range": tracker.get_slot("age_range")}


def summary_text(tracker: Tracker) -> str:
    def line(title: str, slot: str) -> str:
        return f"- {title}: {parsing.label(slot, tracker.get_slot(slot))}"

    fmt = parsing.label("format", tracker.get_slot("format"))
    if tracker.get_slot("format") == "in_person" and tracker.get_slot("zip"):
        fmt += f" (near {tracker.get_slot('zip')})"
    concern = parsing.label("concern", tracker.get_slot("concern"))
    if tracker.get_slot("concern") == "other" and tracker.get_slot("concern_detail"):
        concern += " (in your own words)"
    lines = [
        f"- What brings you: {concern}",
        line("Age", "age_range"),
        line("State", "state"),
        line("Insurance", "insurance"),
        f"- Sessions: {fmt}",
        line("Therapist gender", "gender"),
        line("Language", "language"),
        line("Availability", "availability"),
        line("Approach", "approach"),
    ]
    return "\n".join(lines)


def answered_just_now(tracker: Tracker) -> bool:
    """True if the form runs right after the person's message (not when it resumes after an FAQ)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in (
            FORM_NAME, "callback_form", "action_listen", "action_extract_slots", None,
        ):
            return False
    return False


def is_risk_message(tracker: Tracker) -> bool:
    """Never take a crisis message (or one the crisis layer screens) as an answer. Reads the
    NLU's risk verdict, so this server needs no model of its own."""
    if latest_intent(tracker) in NEVER_AN_ANSWER:
        return True
    risk = tracker.latest_message.get("risk") or {}
    return risk.get("tier") in ("clear", "uncertain")


def payload_entities(tracker: Tracker) -> Dict[str, Any]:
    return {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities", []) or []
            if isinstance(e, dict)}


def latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def latest_text(tracker: Tracker) -> str:
    return parsing.clean_text(tracker.latest_message.get("text") or "")


class ValidatePreferencesForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_preferences_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        slots = [s for s in domain_slots if s != "zip" or tracker.get_slot("format") == "in_person"]
        for slot, value in INELIGIBLE.items():
            if tracker.get_slot(slot) == value and slot in slots:
                # nothing more to ask: the summary explains why we can't search
                slots = slots[: slots.index(slot) + 1]
        return slots

    # -- extraction: one place decides what the latest message answers -------------------
    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        extracted = self.extract_answers(tracker, required)
        tracker.slots.update(extracted)
        return [SlotSet(slot, value) for slot, value in extracted.items()]

    def extract_answers(self, tracker: Tracker, required: List[str]) -> Dict[str, Any]:
        intent = latest_intent(tracker)
        if not answered_just_now(tracker) or is_risk_message(tracker):
            return {}
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)

        # 1. Button payloads: /inform{"format":"video"}
        from_buttons = {slot: value for slot, value in payload_entities(tracker).items()
                        if slot in PREFERENCE_SLOTS and parsing.is_valid_value(slot, value)}
        if from_buttons:
            return from_buttons

        # 2. Corrections of earlier answers, at any point of the form.
        if intent == "correct_answer" or CORRECTION_CUE.search(text):
            corrections = {slot: value for slot, value in
                           parsing.parse_correction(text, exclude={requested} if requested else ()).items()
                           if slot in PREFERENCE_SLOTS}
            if corrections:
                own = self.parse_answer(requested, text) if requested else {}
                return {**corrections, **{k: v for k, v in own.items() if v}}
            named = parsing.mentioned_slot(text)
            if intent == "correct_answer" and named and named != requested and named in required:
                return {named: None}  # ask that question again

        if not requested or intent in INTERRUPT_INTENTS:
            return {}

        # 3. An answer to the question just asked.
        answer = self.parse_answer(requested, text)
        if answer.get(requested):
            return answer
        optional_value = {"gender": parsing.NO_PREFERENCE, "language": parsing.NO_PREFERENCE,
                          "availability": parsing.NO_PREFERENCE, "approach": "open"}.get(requested)
        if intent == "skip" or SKIP_TEXT.search(text):
            return {requested: optional_value or SKIPPED_REQUIRED}
        if intent == "deny":
            # "no" to an optional question means no preference; otherwise it means "not now"
            return {requested: optional_value} if optional_value else {}
        if intent in REASK_INTENTS:
            return {requested: REASK}
        return {requested: INVALID}

    @staticmethod
    def parse_answer(slot: str, text: str) -> Dict[str, Any]:
        if slot == "concern":
            category, detail = parsing.parse_concern(text)
            # detail first: the SDK drops non-form slots in order, validate_concern re-adds it
            return {"concern_detail": detail, "concern": category} if category else {}
        value = parsing.parse_value(slot, text)
        return {slot: value} if value else {}

    # -- validation: one method per slot ----------------------------------------------
    def _validate(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                  tracker: Tracker) -> Dict[Text, Any]:
        failures = dict(tracker.get_slot("preference_failures") or {})
        if value is None or value == REASK:
            return {slot: None}
        if value == SKIPPED_REQUIRED or not parsing.is_valid_value(slot, value):
            failures[slot] = failures.get(slot, 0) + 1
            dispatcher.utter_message(response="utter_cannot_skip" if value == SKIPPED_REQUIRED
                                     else f"utter_invalid_{slot}")
            if failures[slot] >= MAX_FAILURES_BEFORE_WAY_OUT:
                dispatcher.utter_message(response="utter_form_way_out")
            return {slot: None, "preference_failures": failures}
        result: Dict[Text, Any] = {slot: value}
        if failures.pop(slot, None) is not None:
            result["preference_failures"] = failures
        if slot != tracker.get_slot("requested_slot") and tracker.get_slot("requested_slot"):
            dispatcher.utter_message(response="utter_preference_updated", slot_label=SLOT_LABELS[slot],
                                     value_label=parsing.label(slot, value))
        return result

    def validate_concern(self, value, dispatcher, tracker, domain):
        result = self._validate("concern", value, dispatcher, tracker)
        # concern_detail is not a form slot, so the SDK drops its extracted value: set it here
        result["concern_detail"] = tracker.get_slot("concern_detail") if result.get("concern") == "other" else None
        return result

    def validate_age_range(self, value, dispatcher, tracker, domain):
        return self._validate("age_range", value, dispatcher, tracker)

    def validate_state(self, value, dispatcher, tracker, domain):
        return self._validate("state", value, dispatcher, tracker)

    def validate_insurance(self, value, dispatcher, tracker, domain):
        return self._validate("insurance", value, dispatcher, tracker)

    def validate_format(self, value, dispatcher, tracker, domain):
        return self._validate("format", value, dispatcher, tracker)

    def validate_zip(self, value, dispatcher, tracker, domain):
        return self._validate("zip", value, dispatcher, tracker)

    def validate_gender(self, value, dispatcher, tracker, domain):
        return self._validate("gender", value, dispatcher, tracker)

    def validate_language(self, value, dispatcher, tracker, domain):
        return self._validate("language", value, dispatcher, tracker)

    def validate_availability(self, value, dispatcher, tracker, domain):
        return self._validate("availability", value, dispatcher, tracker)

    def validate_approach(self, value, dispatcher, tracker, domain):
        return self._validate("approach", value, dispatcher, tracker)


class ActionSummarizePreferences(Action):
    """After the form: a summary to confirm, or an honest answer when we can't search."""

    def name(self) -> Text:
        return "action_summarize_preferences"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        reason = ineligible_reason(tracker)
        if reason == "age_range":
            dispatcher.utter_message(response="utter_under_18")
        elif reason == "state":
            dispatcher.utter_message(response="utter_outside_us")
        else:
            dispatcher.utter_message(response="utter_preferences_summary", summary=summary_text(tracker))
        await intake.record_preferences(tracker, recorded_preferences(tracker))
        return []


class ActionCorrectPreference(Action):
    """A correction outside the form ("actually I'm in Ohio", "change my insurance")."""

    def name(self) -> Text:
        return "action_correct_preference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        text = latest_text(tracker)
        chosen = payload_entities(tracker).get("preference_slot")
        if chosen in PREFERENCE_SLOTS:
            return self._reask(chosen)
        corrections = parsing.parse_correction(text)
        if corrections:
            events: List[EventType] = []
            for slot, value in corrections.items():
                dispatcher.utter_message(response="utter_preference_updated", slot_label=SLOT_LABELS[slot],
                                         value_label=parsing.label(slot, value))
                events.append(SlotSet(slot, value))
            return events + [FollowupAction(FORM_NAME)]
        named = parsing.mentioned_slot(text)
        if named:
            return self._reask(named)
        dispatcher.utter_message(response="utter_ask_what_to_change")
        return []

    @staticmethod
    def _reask(slot: str) -> List[EventType]:
        events: List[EventType] = [SlotSet(slot, None)]
        if slot == "concern":
            events.append(SlotSet("concern_detail", None))
        return events + [FollowupAction(FORM_NAME)]


class ActionRestartPreferences(Action):
    """"Start over": forget every answer (the rule then starts the form again)."""

    def name(self) -> Text:
        return "action_restart_preferences"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_start_over")
        return [SlotSet(slot, None) for slot in PREFERENCE_SLOTS + ["concern_detail", "preference_failures"]] + [
            SlotSet("requested_slot", None)]


class ActionAcceptSearchOffer(Action):
    """"Yes" after an answer: start the search only if that answer offered one (its button)."""

    def name(self) -> Text:
        return "action_accept_search_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        if offered_search(tracker):
            return [FollowupAction(FORM_NAME)]
        dispatcher.utter_message(response="utter_anything_else")
        return []


def offered_search(tracker: Tracker) -> bool:
    """Did the bot's reply just before the latest message carry the "find a therapist" button?"""
    seen_latest_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest_user:
                return False
            seen_latest_user = True
        elif kind == "bot" and seen_latest_user:
            buttons = (event.get("data") or {}).get("buttons") or []
            if any(isinstance(b, dict) and b.get("payload") == FIND_THERAPIST_PAYLOAD for b in buttons):
                return True
    return False
