"""The answers about the clinic, rendered the way the Rasa server renders them (bot/nlg.py).

Rasa builds the generator from the `nlg:` block of the endpoints file, with the domain, and
calls it with the conversation's tracker; these tests do the same with domain.yml and a
DialogueStateTracker, for the demo clinic and for a second clinic.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.core.nlg import NaturalLanguageGenerator, TemplatedNaturalLanguageGenerator
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.nlg import ClinicProfileNLG
from clinic import ProfileError, load_profile
from tests.clinic.conftest import OTHER_CLINIC, ROOT, write_profile

PLACEHOLDER = re.compile(r"\{([^{}\n]+)\}")
CLINIC_PLACEHOLDER = re.compile(r"\{clinic_([a-z_]+)\}")
# The answers that must speak for the clinic from its profile (and not from the article's publisher).
SERVICE_RESPONSES = {
    "utter_greet", "utter_iamabot", "utter_faq/find_therapist", "utter_faq/cost_insurance",
    "utter_faq/how_soon", "utter_faq/crisis_support", "utter_form_way_out", "utter_search_unavailable",
    "utter_offer_callback", "utter_callback_saved",
}
# What actions/callback.py passes with utter_callback_saved; the Rasa server fills them in.
ACTION_VALUES = {"first_name": "Sam", "contact_phrase": "email you"}
ENDPOINT_FILES = ["endpoints.yml", "endpoints.scale.yml"]


def nlg_endpoint(endpoints_file: str) -> EndpointConfig:
    """The `nlg:` block of a committed endpoints file (read as YAML: the scale file names env variables)."""
    content = yaml.safe_load((ROOT / endpoints_file).read_text(encoding="utf-8"))
    return EndpointConfig.from_dict(content["nlg"])


def service_variations(domain) -> List[tuple]:
    """(response name, variation) for every variation that uses the clinic profile."""
    return [(name, variation) for name, variations in domain.responses.items() for variation in variations
            if CLINIC_PLACEHOLDER.search(variation.get("text") or "")]


def tracker_for(domain, variation: Dict[str, Any], **slots: Any) -> DialogueStateTracker:
    """A conversation whose slots meet the variation's condition (and any extra slots)."""
    wanted = {c["name"]: c["value"] for c in variation.get("condition") or []}
    wanted.update(slots)
    events = [SlotSet(name, value) for name, value in wanted.items()]
    return DialogueStateTracker.from_events("clinic-test", events, slots=domain.slots)


async def render(nlg: ClinicProfileNLG, domain, name: str, variation: Dict[str, Any], **slots: Any):
    """One variation, through the generator's public path (as the agent does, via `responses`)."""
    nlg.responses = {name: [copy.deepcopy(variation)]}
    try:
        return await nlg.generate(name, tracker_for(domain, variation, **slots), "rest", **ACTION_VALUES)
    finally:
        nlg.responses = domain.responses


@pytest.fixture(params=["demo", "other"])
def clinic(request, monkeypatch, tmp_path):
    """The demo clinic, or a second clinic chosen with CLINIC_PROFILE as a deployment would."""
    if request.param == "other":
        monkeypatch.setenv("CLINIC_PROFILE", str(write_profile(tmp_path / "riverside.yml", OTHER_CLINIC)))
    return load_profile()


def test_the_service_answers_use_the_profile(domain):
    assert SERVICE_RESPONSES <= {name for name, _ in service_variations(domain)}


@pytest.mark.parametrize("endpoints_file", ENDPOINT_FILES)
def test_rasa_builds_the_generator_from_the_endpoints_file(domain, endpoints_file):
    nlg = NaturalLanguageGenerator.create(nlg_endpoint(endpoints_file), domain)
    assert type(nlg) is ClinicProfileNLG
    # Rasa swaps a loaded model's responses only into generators of this class (rasa/core/agent.py)
    assert isinstance(nlg, TemplatedNaturalLanguageGenerator)
    assert nlg.responses is domain.responses


def test_the_agent_builds_the_generator_before_a_model_is_loaded(domain):
    agent = Agent(generator=nlg_endpoint("endpoints.yml"))  # before a model is loaded: no domain yet
    assert isinstance(agent.nlg, ClinicProfileNLG) and agent.nlg.responses == {}


async def test_every_service_answer_is_filled_from_the_profile(domain, clinic, monkeypatch):
    nlg = NaturalLanguageGenerator.create(nlg_endpoint("endpoints.yml"), domain)  # reads CLINIC_PROFILE
    values = clinic.template_variables()
    variations = service_variations(domain)
    assert variations
    for name, variation in variations:
        message = await render(nlg, domain, name, variation)
        text = message["text"]
        assert PLACEHOLDER.findall(text) == [], f"{name}: unfilled placeholder in {text!r}"
        for field in CLINIC_PLACEHOLDER.findall(variation["text"]):
            assert values[f"clinic_{field}"] in text, f"{name}: {field} missing from {text!r}"
        # the buttons the answer had are still there, unchanged
        assert message.get("buttons") == variation.get("buttons"), name


async def test_the_second_clinic_never_sees_the_demo_clinic(domain, monkeypatch, other_clinic_file):
    monkeypatch.setenv("CLINIC_PROFILE", str(other_clinic_file))
    nlg = ClinicProfileNLG(domain=domain)
    for name, variation in service_variations(domain):
        text = (await render(nlg, domain, name, variation))["text"]
        assert "Example Counseling Center" not in text and "(demo" not in text, name


async def test_cost_answer_states_the_clinics_terms_and_keeps_its_buttons(domain, other_clinic_file):
    nlg = ClinicProfileNLG(domain=domain, profile=load_profile(other_clinic_file))
    tracker = DialogueStateTracker.from_events("clinic-test", [], slots=domain.slots)
    message = await nlg.generate("utter_faq/cost_insurance", tracker, "rest")
    assert "Riverside Therapy Collective" in message["text"]
    assert "Insurance: in network with Aetna, Medicaid and Tricare" in message["text"]
    assert "Self-pay: $145 per 50-minute session" in message["text"]
    assert "Sliding scale: from $40 per session" in message["text"]
    assert [b["title"] for b in message["buttons"]] == ["Yes, find a therapist", "Not now"]


async def test_a_slot_named_like_a_field_does_not_change_the_clinics_answer(domain):
    nlg = ClinicProfileNLG(domain=domain)
    variation = domain.responses["utter_faq/cost_insurance"][0]
    text = (await render(nlg, domain, "utter_faq/cost_insurance", variation, insurance="Cigna"))["text"]
    assert f"Insurance: {load_profile().insurance}." in text and "Cigna" not in text


async def test_the_callback_confirmation_says_when_and_from_whom(domain, other_clinic_file):
    nlg = ClinicProfileNLG(domain=domain, profile=load_profile(other_clinic_file))
    tracker = DialogueStateTracker.from_events("clinic-test", [], slots=domain.slots)
    # as the action server asks for it: the response name plus the values it computed
    message = await nlg.generate("utter_callback_saved", tracker, "rest", first_name="Sam",
                                 contact_phrase="call or text you", text=None, buttons=[], custom={})
    assert message["text"].startswith("Thank you, Sam. Someone from the Riverside Therapy Collective intake "
                                      "team will call or text you by the end of the next business day")
    assert "(555) 010-0199, shown as Riverside Intake" in message["text"]


async def test_the_callback_offer_links_the_privacy_notice(domain, other_clinic_file):
    nlg = ClinicProfileNLG(domain=domain, profile=load_profile(other_clinic_file))
    tracker = DialogueStateTracker.from_events("clinic-test", [], slots=domain.slots)
    message = await nlg.generate("utter_offer_callback", tracker, "rest")
    assert "privacy notice: https://riverside.example.com/notice-of-privacy-practices" in message["text"]


async def test_answers_about_therapy_itself_are_unchanged(domain):
    """Responses without clinic placeholders render exactly as Rasa's own generator renders them."""
    ours = ClinicProfileNLG(domain=domain)
    rasas = TemplatedNaturalLanguageGenerator(domain.responses)
    tracker = DialogueStateTracker.from_events("clinic-test", [], slots=domain.slots)
    for name in ("utter_faq/what_is", "utter_faq/misconception_couch", "utter_crisis_suicidal_es"):
        assert await ours.generate(name, tracker, "rest") == await rasas.generate(name, tracker, "rest")


def test_a_broken_profile_stops_the_generator_from_being_built(domain, monkeypatch, tmp_path):
    broken = write_profile(tmp_path / "broken.yml", {k: v for k, v in OTHER_CLINIC.items() if k != "name"})
    monkeypatch.setenv("CLINIC_PROFILE", str(broken))
    with pytest.raises(ProfileError, match="field 'name' is missing"):
        NaturalLanguageGenerator.create(nlg_endpoint("endpoints.yml"), domain)


def test_the_couch_answer_is_not_a_reply_to_a_yes_no_question(domain):
    text = domain.responses["utter_faq/misconception_couch"][0]["text"]
    assert not re.match(r"(not anymore|no|yes|nope)\b", text, re.IGNORECASE)
    assert "outdated" in text  # what tests/e2e look for
