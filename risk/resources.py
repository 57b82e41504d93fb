"""The crisis facts and replies of risk/data/crisis_resources.yml, rendered per language.

One home for every crisis number: the domain's crisis responses are generated from here
(scripts/build_crisis_responses.py), the SMS keyword texts read from here, and the widget's
offline panel is checked against here (tests/crisis/test_crisis_resources.py).
"""
from __future__ import annotations

import functools
import os
import re
from typing import Any, Dict, List, Set, Tuple

import yaml

from risk.constants import LANGUAGES, POPULATIONS, SITUATIONS

DATA_FILE = os.path.join(os.path.dirname(__file__), "data", "crisis_resources.yml")
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
DIALOGUE_STEPS = ("screen", "screen_no", "followup", "followup_emergency", "keep_talking", "form_paused")


@functools.lru_cache(maxsize=1)
def load() -> Dict[str, Any]:
    with open(DATA_FILE, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    missing = [s for s in SITUATIONS + ("general",) if s not in data["replies"]]
    missing += [f"also.{s}" for s in SITUATIONS if s not in data["also"]]
    if missing:
        raise ValueError(f"crisis_resources.yml has no reply for {missing}")
    return data


def render(template: str, lang: str) -> str:
    """Expand `{resource_id}` with that resource's wording in `lang`."""
    resources = load()["resources"]

    def expand(match: "re.Match[str]") -> str:
        resource = resources.get(match.group(1))
        if resource is None:
            raise KeyError(f"unknown crisis resource {match.group(1)!r}")
        return resource[lang]

    return _PLACEHOLDER.sub(expand, template)


def response_name(kind: str, lang: str = "en") -> str:
    """Domain response name for a situation, population or dialogue step."""
    return f"utter_crisis_{kind}" + ("" if lang == "en" else f"_{lang}")


def primary_resource(situation: str) -> Dict[str, Any]:
    data = load()
    return data["resources"][data["replies"][situation]["primary"]]


def channel_line(name: str) -> str:
    return load()["channel_lines"][name]


def all_responses() -> List[Tuple[str, str, str, str]]:
    """(response name, kind, key, lang) for every generated crisis response."""
    data = load()
    rows = []
    for lang in LANGUAGES:
        for situation in list(SITUATIONS) + ["general"]:
            rows.append((response_name(situation, lang), "reply", situation, lang))
        for situation in SITUATIONS:
            rows.append((response_name(f"also_{situation}", lang), "also", situation, lang))
        for population in POPULATIONS:
            if population in data["populations"]:
                rows.append((response_name(population, lang), "population", population, lang))
        for step in DIALOGUE_STEPS:
            rows.append((response_name(step, lang), "dialogue", step, lang))
    return rows


# the kinds of line and their sections in crisis_resources.yml
_SECTIONS = {"reply": "replies", "also": "also", "population": "populations", "dialogue": "dialogue"}


def text_of(kind: str, key: str, lang: str) -> str:
    return render(load()[_SECTIONS[kind]][key][lang], lang)


def named(kind: str, key: str) -> Set[str]:
    """The resources a line names (`{lifeline_988}`, `{childhelp}`, ...): two lines naming the same
    ones say the same thing, and the reply gives it once."""
    line = load()[_SECTIONS[kind]].get(key)
    return set(_PLACEHOLDER.findall(line["en"])) if line else set()
