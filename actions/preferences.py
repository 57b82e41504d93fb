"""The care-preferences form: what a match needs, one short question at a time.

ValidatePreferencesForm reads every answer itself (button payload entity, or free text
parsed by actions.preference_parsing) instead of using from_text mappings, so that a
crisis message, an FAQ or "stop" never lands in a slot. It also handles corrections of
earlier answers ("actually I'm in Ohio"), "skip" on optional questions, the ZIP code only
for in-person sessions, and ends the form early for people it cannot search for
(under 18, outside the US) so they get an honest explanation instead of more questions.
Each accepted answer is recorded for intake staff at once, so an interrupted form (a crisis,
a pause) still reaches them with what the person said.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import intake, latest_message
from actions import preference_parsing as parsing
from actions.forms import AssistantFormValidationAction, form_slots

logger = logging.getLogger(__name__)

FORM_NAME = "preferences_form"
FIND_THERAPIST_PAYLOAD = "I want to find a therapist"

# Messages that are neither an answer nor a topic change: the question is simply asked again.
# (Topic changes, answered by the rules before the form asks again, are the form's
# ignored_intents in domain.yml.)
REASK_INTENTS = {"request_therapist", "continue_form", "greet", "thank", "change_preference"}

CORRECTION_CUE = re.compile(r"\b(actually|sorry,? i meant|i meant|correction|change (?:my|that|it)|make (?:it|that))\b",
                            re.IGNORECASE)
SKIP_TEXT = re.compile(r"^\s*(skip|pass|next|no preference|doesn'?t matter|don'?t care|rather not say)\b", re.IGNORECASE)
# What "skip" or "no" means on an optional question.
NO_PREFERENCE_ANSWERS = {"gender": parsing.NO_PREFERENCE, "language": parsing.NO_PREFERENCE,
                         "availability": parsing.NO_PREFERENCE, "approach": "open"}

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


def answers_so_far(tracker: Tracker) -> Dict[str, Any]:
    """What intake staff see while the form is still running: only the questions answered yet."""
    return {slot: value for slot, value in recorded_preferences(tracker).items()
            if tracker.get_slot(slot) is not None}


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


class ValidatePreferencesForm(AssistantFormValidationAction):
    failures_slot = "preference_failures"
    way_out_response = "utter_form_way_out"

    def name(self) -> Text:
        return f"validate_{FORM_NAME}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        questions = self.domain_slots(domain)
        if any(e.get("event") == "slot" and e.get("name") in questions and e.get("value") is not None
               for e in events):
            # kept as given: a form interrupted later (a crisis, a pause) still reaches staff
            await intake.record_preferences(tracker, answers_so_far(tracker))
        return events

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
        extracted = self.extract_answers(tracker, domain, required)
        tracker.slots.update(extracted)
        return [SlotSet(slot, value) for slot, value in extracted.items()]

    def extract_answers(self, tracker: Tracker, domain: DomainDict, required: List[str]) -> Dict[str, Any]:
        if not self.may_read_latest_message(tracker, domain):
            return {}
        questions = self.domain_slots(domain)
        intent = latest_message.intent(tracker)
        requested = tracker.get_slot("requested_slot")
        text = latest_message.text(tracker)

        # 1. Button payloads: /inform{"format":"video"}
        from_buttons = {slot: value for slot, value in latest_message.payload_entities(tracker).items()
                        if slot in questions and parsing.is_valid_value(slot, value)}
        if from_buttons:
            return from_buttons

        # 2. Corrections of earlier answers, at any point of the form.
        if intent == "correct_answer" or CORRECTION_CUE.search(text):
            corrections = {slot: value for slot, value in
                           parsing.parse_correction(text, exclude={requested} if requested else ()).items()
                           if slot in questions}
            if corrections:
                own = self.parse_answer(requested, text) if requested else {}
                return {**corrections, **{k: v for k, v in own.items() if v}}
            named = parsing.mentioned_slot(text)
            if intent == "correct_answer" and named and named != requested and named in required:
                return {named: None}  # ask that question again

        if not requested or intent in self.ignored_intents(domain):
            return {}

        # 3. An answer to the question just asked.
        answer = self.parse_answer(requested, text)
        if answer.get(requested):
            return answer
        optional_value = NO_PREFERENCE_ANSWERS.get(requested)
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

    # -- validation: every question but the concern ----------------------------------------
    def validate_answer(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> Dict[Text, Any]:
        if value is None or value == REASK:
            return {slot: None}
        if value == SKIPPED_REQUIRED:
            return self.refuse(slot, "utter_cannot_skip", dispatcher, tracker)
        if not parsing.is_valid_value(slot, value):
            return self.refuse(slot, f"utter_invalid_{slot}", dispatcher, tracker)
        requested = tracker.get_slot("requested_slot")
        if requested and slot != requested:
            dispatcher.utter_message(response="utter_preference_updated", slot_label=SLOT_LABELS[slot],
                                     value_label=parsing.label(slot, value))
        return self.accept(slot, value, tracker)

    def validate_concern(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> Dict[Text, Any]:
        result = self.validate_answer("concern", value, dispatcher, tracker, domain)
        # concern_detail is not a form slot, so the SDK drops its extracted value: set it here
        result["concern_detail"] = tracker.get_slot("concern_detail") if result.get("concern") == "other" else None
        return result


async def unanswered_questions(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[str]:
    form = ValidatePreferencesForm()
    questions = await form.required_slots(form_slots(domain, FORM_NAME), dispatcher, tracker, domain)
    return [slot for slot in questions if tracker.get_slot(slot) is None]


class ActionSummarizePreferences(Action):
    """After the form: a summary to confirm, or an honest answer when we can't search."""

    def name(self) -> Text:
        return "action_summarize_preferences"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        reason = ineligible_reason(tracker)
        if reason is None and await unanswered_questions(dispatcher, tracker, domain):
            # A form step failed (the action server was slow or restarting): never summarise
            # nothing; say so and pick the form up again where it was.
            dispatcher.utter_message(response="utter_form_step_retry")
            return [FollowupAction(FORM_NAME)]
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
        text = latest_message.text(tracker)
        chosen = latest_message.payload_entities(tracker).get("preference_slot")
        if chosen in form_slots(domain, FORM_NAME):
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
        forgotten = form_slots(domain, FORM_NAME) + ["concern_detail", ValidatePreferencesForm.failures_slot]
        return [SlotSet(slot, None) for slot in forgotten] + [SlotSet("requested_slot", None)]


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
