"""Rasa's response generator plus the clinic profile, in the Rasa server process.

endpoints.yml names it (`nlg: type: bot.nlg.ClinicProfileNLG`); Rasa loads it by module
path and hands it the domain. Responses then say {clinic_name}, {clinic_insurance}, ...
(see clinic/profile.yml) next to the usual slot placeholders, so the answers about the
clinic are true for whichever clinic deploys the assistant, and need no action server.

It subclasses TemplatedNaturalLanguageGenerator on purpose: when a model is loaded Rasa
swaps the model's responses into generators of that class (rasa/core/agent.py).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from clinic import ClinicProfile, load_profile


def crisis_resource_variables() -> Dict[Text, Text]:
    """{crisis_<resource id>} for responses outside the crisis path (e.g. the minors FAQ), so a
    number has one home: risk/data/crisis_resources.yml."""
    from risk import resources

    return {f"crisis_{rid}": resource["en"] for rid, resource in resources.load()["resources"].items()}


class ClinicProfileNLG(TemplatedNaturalLanguageGenerator):
    """Fills domain responses from slots, the caller's values and the clinic profile."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None,
                 profile: Optional[ClinicProfile] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        # Loaded (and validated) once, when the server starts: a broken profile stops the
        # start-up with an error naming the field instead of sending half-filled answers.
        self.profile = profile or load_profile()
        self._profile_variables = {**self.profile.template_variables(), **crisis_resource_variables()}

    async def generate(self, utter_action: Text, tracker: DialogueStateTracker, output_channel: Text,
                       **kwargs: Any) -> Optional[Dict[Text, Any]]:
        # Rasa fills placeholders from slots, then the caller's values; the profile goes in
        # with the caller's values (so it beats any slot), and an action's explicit value wins.
        values = {**self._profile_variables, **kwargs}
        return await super().generate(utter_action, tracker, output_channel, **values)

    def _fill_response(self, response: Dict[Text, Any], filled_slots: Optional[Dict[Text, Any]] = None,
                       **kwargs: Any) -> Dict[Text, Any]:
        """Rasa's filling, except button payloads: they are identifiers such as
        `/inform{"concern":"grief"}`, never templates (Rasa tried to fill `{"concern":"grief"}` and
        logged an error for every button of every question that has them)."""
        held = []
        for key in ("buttons", "quick_replies"):
            for button in response.get(key) or []:
                if isinstance(button, dict) and "payload" in button:
                    held.append((button, button.pop("payload")))
        try:
            return super()._fill_response(response, filled_slots, **kwargs)
        finally:
            for button, payload in held:
                button["payload"] = payload
