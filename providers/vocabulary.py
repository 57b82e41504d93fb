"""The directory's controlled vocabulary (states, carriers, approaches, ...) read from data/vocabulary.json.

Every module that needs to know what a valid state or carrier is asks here, so the API, the generator and the
OpenAPI description cannot drift apart silently (a test cross-checks the OpenAPI file against this module).
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Dict, Optional

SELF_PAY = "self_pay"
FORMATS = ("video", "in_person")
SEARCH_FORMATS = ("video", "in_person", "either")
GENDERS = ("female", "male", "nonbinary")


@lru_cache(maxsize=None)
def load_data_file(name: str) -> Dict[str, Any]:
    return json.loads(resources.files("providers.data").joinpath(name).read_text(encoding="utf-8"))


def vocabulary() -> Dict[str, Any]:
    return load_data_file("vocabulary.json")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


@lru_cache(maxsize=None)
def _lookup(kind: str) -> Dict[str, str]:
    """Map every accepted spelling (slug, label, case-insensitive) of a term to its canonical identifier."""
    vocab = vocabulary()
    table: Dict[str, str] = {}
    if kind == "state":
        for code, name in vocab["states"].items():
            table[_slug(code)] = code
            table[_slug(name)] = code
    elif kind == "insurance":
        for slug, label in vocab["carriers"].items():
            table[slug] = slug
            table[_slug(label)] = slug
        for alias in ("self_pay", "selfpay", "self", "cash", "out_of_pocket", "none", "uninsured", "private_pay"):
            table[alias] = SELF_PAY
        table["bcbs"] = "blue_cross_blue_shield"
        table["united"] = table["united_healthcare"] = table["uhc"] = "unitedhealthcare"
        table["kaiser"] = "kaiser_permanente"
    elif kind == "language":
        for name in vocab["languages"]:
            table[_slug(name)] = name
        table["asl"] = "American Sign Language"
        table["chinese"] = "Mandarin"
        table["espanol"] = "Spanish"
    elif kind in ("approach", "concern", "availability"):
        key = {"approach": "approaches", "concern": "concerns", "availability": "availability"}[kind]
        for slug, entry in vocab[key].items():
            table[slug] = slug
            table[_slug(entry["label"])] = slug
        if kind == "availability":
            table.update({"weekdays": "weekday_daytime", "daytime": "weekday_daytime", "evening": "evenings",
                          "weekend": "weekends"})
    elif kind == "gender":
        table = {g: g for g in GENDERS}
        table.update({"woman": "female", "man": "male", "non_binary": "nonbinary", "f": "female", "m": "male"})
    elif kind == "format":
        table = {f: f for f in SEARCH_FORMATS}
        table.update({"inperson": "in_person", "in_office": "in_person", "office": "in_person",
                      "online": "video", "telehealth": "video", "any": "either", "both": "either"})
    else:  # pragma: no cover - programming error
        raise KeyError(kind)
    return table


def canonical(kind: str, value: str) -> Optional[str]:
    """The canonical identifier for `value` of vocabulary `kind`, or None if it is not a known term."""
    if not isinstance(value, str) or len(value) > 60:
        return None
    return _lookup(kind).get(_slug(value))


def state_codes() -> list:
    return list(vocabulary()["states"])


def carrier_label(slug: str) -> str:
    if slug == SELF_PAY:
        return vocabulary()["self_pay"]["label"]
    return vocabulary()["carriers"].get(slug, slug)


def label(kind: str, slug: str) -> str:
    key = {"approach": "approaches", "concern": "concerns", "availability": "availability"}[kind]
    entry = vocabulary()[key].get(slug)
    return entry["label"] if entry else slug


def credential_label(code: str) -> str:
    entry = vocabulary()["credentials"].get(code)
    return entry["label"] if entry else code
