"""No answer repeats the source article's publisher's marketing: the assistant runs on another clinic's site.

The article (../shared/content/psychodynamic-therapy-article.txt) was published by a therapy-matching
company. Its facts about psychodynamic therapy are used; its sentences about the company itself are not.
"""
from __future__ import annotations

import re
from typing import Iterator, Tuple

import pytest

from clinic import load_profile
from tests.clinic.conftest import ROOT

ARTICLE = ROOT.parent / "shared" / "content" / "psychodynamic-therapy-article.txt"

# Distinctive sentences of the publisher about itself, word for word from the article.
PUBLISHER_PHRASES = [
    "Rula",
    "as soon as tomorrow",
    "don't have to choose between affordable care and excellent care",
    "more than 15,000 providers",
    "diverse network",
    "24/7 crisis support",
    "comprehensive behavioral health experience",
    "get back to feeling their best",
    "find a licensed therapist or psychiatric provider who accepts your insurance",
    "we're here to help you make progress",
    "wherever you are on your mental health journey",
    "editorial team",
    "science-backed mental health insights",
]
# The same claims as the domain once reworded them.
REWORDED_CLAIMS = [
    "affordable and excellent care",
    "the service I'm part of",
    "appointments can be available as soon as",
]
# Ways of speaking for "the service" without naming which one: these answers use the clinic profile.
UNNAMED_SERVICE = ["this service", "our service", "our intake team", "the service i'm part of", "our network"]


def normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip().casefold()


def response_strings(domain) -> Iterator[Tuple[str, str]]:
    """(response name, string) for every string of every variation: text, buttons, custom, all languages."""
    def walk(name, value):
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, dict):
            for item in value.values():
                yield from walk(name, item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(name, item)
    for name, variations in domain.responses.items():
        yield from walk(name, variations)


@pytest.fixture(scope="module")
def article() -> str:
    if not ARTICLE.exists():
        pytest.skip(f"source article not found at {ARTICLE}")
    return normalise(ARTICLE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("phrase", PUBLISHER_PHRASES)
def test_each_listed_phrase_is_the_publishers_own(article, phrase):
    assert normalise(phrase) in article


def test_the_scan_covers_every_response_and_language(domain):
    names = {name for name, _ in response_strings(domain)}
    assert names == set(domain.responses)
    assert any(name.endswith("_es") for name in names)  # the Spanish crisis replies too


def test_no_response_repeats_the_publishers_marketing(domain):
    found = [(name, phrase) for name, text in response_strings(domain)
             for phrase in PUBLISHER_PHRASES + REWORDED_CLAIMS if normalise(phrase) in normalise(text)]
    assert found == []


def test_no_response_speaks_for_an_unnamed_service(domain):
    found = [(name, phrase) for name, text in response_strings(domain)
             for phrase in UNNAMED_SERVICE if phrase in normalise(text)]
    assert found == []


def test_the_demo_profile_repeats_none_of_it():
    values = [str(value) for value in load_profile().dict().values()]
    found = [(value, phrase) for value in values
             for phrase in PUBLISHER_PHRASES + REWORDED_CLAIMS if normalise(phrase) in normalise(value)]
    assert found == []
