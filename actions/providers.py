"""action_search_providers: search the provider directory with the confirmed preferences.

Shows the top 3 matches as text with a booking link, says which preference was relaxed,
and always ends with a way forward (a callback offer), also when the search is down or
finds nobody. The matches shown are recorded for intake staff (never blocking).
"""
from __future__ import annotations

import logging
import os
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import intake, provider_relaxation, provider_wording
from actions.preferences import ineligible_reason, search_preferences

logger = logging.getLogger(__name__)

MATCHES_SHOWN = 3
# Per-attempt timeout of the directory call (the client retries with backoff on top).
SEARCH_TIMEOUT_S = float(os.environ.get("PROVIDER_SEARCH_TIMEOUT_S", "3"))


class ActionSearchProviders(Action):
    def name(self) -> Text:
        return "action_search_providers"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[EventType]:
        if ineligible_reason(tracker):
            dispatcher.utter_message(response="utter_search_not_possible")
            return []
        try:
            outcome = await provider_relaxation.search_providers(search_preferences(tracker),
                                                                 timeout_s=SEARCH_TIMEOUT_S)
        except ValueError:
            # the form should never let this through; say so honestly and offer a person instead
            logger.error("provider search refused incomplete preferences")
            outcome = provider_relaxation.SearchOutcome(status=provider_relaxation.STATUS_UNAVAILABLE)
        except Exception as exc:  # noqa: BLE001 - a broken search must not break the conversation
            logger.error("provider search crashed (%s)", type(exc).__name__)
            outcome = provider_relaxation.SearchOutcome(status=provider_relaxation.STATUS_UNAVAILABLE)

        matches = list(outcome.matches or [])[:MATCHES_SHOWN]
        if outcome.status == provider_relaxation.STATUS_UNAVAILABLE:
            dispatcher.utter_message(response="utter_search_unavailable")
        elif not matches:
            dispatcher.utter_message(response="utter_no_matches")
            await intake.record_matches(tracker, [], list(outcome.relaxed or []))
        else:
            if outcome.relaxed:
                dispatcher.utter_message(response="utter_match_relaxed",
                                         relaxed=provider_wording.relaxed_text(outcome.relaxed))
            dispatcher.utter_message(response="utter_matches_intro", count=len(matches))
            for match in matches:
                dispatcher.utter_message(**provider_wording.match_message(match))
            await intake.record_matches(tracker, matches, list(outcome.relaxed or []))
        dispatcher.utter_message(response="utter_offer_callback")
        return []
