"""One home for crisis facts: risk/data/crisis_resources.yml agrees with the verified
../shared/content/crisis-resources.md, the domain's crisis responses are generated from it,
and the SMS keyword texts and the widget's offline panel state nothing it does not."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.channels import sms_keywords
from risk import resources
from risk.constants import LANGUAGES, POPULATIONS, SITUATIONS

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "content" / "crisis-resources.md"
_NUMBER = re.compile(r"\b(?:1-\d{3}-[\dA-Z]{3}-[\dA-Z]{4}|\d{6}|988|911|711)\b")


@pytest.fixture(scope="module")
def verified() -> str:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not beside this checkout")
    return SHARED.read_text(encoding="utf-8")


def test_every_fact_is_in_the_verified_file(verified):
    for resource_id, resource in resources.load()["resources"].items():
        for fact in resource["facts"]:
            assert fact in verified, f"{resource_id}: {fact!r} is not in crisis-resources.md"


def test_every_verified_number_has_a_home(verified):
    facts = {fact for r in resources.load()["resources"].values() for fact in r["facts"]}
    numbers = set(_NUMBER.findall(verified)) - {"1-800-273-8255"}  # the old Lifeline number: give 988
    numbers -= {"1-800-662-4357"}  # SAMHSA's treatment referral line: not a crisis line
    assert numbers - facts == set()


def test_replies_state_only_numbers_of_the_data_file():
    facts = {fact for r in resources.load()["resources"].values() for fact in r["facts"]}
    for name, kind, key, lang in resources.all_responses():
        for number in _NUMBER.findall(resources.text_of(kind, key, lang)):
            assert number in facts, f"{name} states {number}"


def test_each_situation_names_its_primary_resource_in_every_language():
    for situation in SITUATIONS:
        primary = resources.primary_resource(situation)["facts"][0]
        for lang in LANGUAGES:
            text = resources.text_of("reply", situation, lang)
            assert primary in text, (situation, lang)
            assert ("automated assistant" in text) if lang == "en" else ("asistente automático" in text)


def test_spanish_replies_give_988_in_spanish():
    for situation in ("suicidal", "self_harm", "general", "method"):
        text = resources.text_of("reply", situation, "es")
        assert "marca 2" in text and "AYUDA" in text


def test_domain_responses_are_generated_from_the_data_file():
    result = subprocess.run([sys.executable, "scripts/build_crisis_responses.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, kind, key, lang in resources.all_responses():
        assert domain["responses"][name][0]["text"] == resources.text_of(kind, key, lang)
    for situation in SITUATIONS:
        marker = domain["responses"][f"utter_crisis_{situation}"][0]["custom"]["data"]["crisis"]
        assert marker == {"kind": "reply", "situation": situation, "lang": "en"}
    for population in POPULATIONS:
        assert f"utter_crisis_{population}" in domain["responses"]


def test_sms_keyword_texts_use_the_data_file():
    assert resources.channel_line("sms_help_now") in sms_keywords.HELP_TEXT
    for text in (sms_keywords.STOP_TEXT, sms_keywords.START_TEXT, sms_keywords.ERROR_TEXT,
                 sms_keywords.EMPTY_BODY_TEXT):
        assert resources.channel_line("sms_help_now_short") in text


def test_widget_offline_panel_states_only_facts_of_the_data_file():
    script = (ROOT / "widget" / "static" / "widget.js").read_text(encoding="utf-8")
    panel = script[script.index("function buildCrisisPanel"):]
    panel = panel[:panel.index("\n  }\n")]
    facts = {fact for r in resources.load()["resources"].values() for fact in r["facts"]}
    stated = set(_NUMBER.findall(panel))
    assert stated and stated <= facts
