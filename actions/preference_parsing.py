"""Turn a person's free-text answer into a preference value (no Rasa needed here).

Why hand-written: the pipeline has no entity extractor, and SMS users answer in
free text ("columbus oh", "BCBS", "2"), so each answer is parsed against the
vocabulary in actions/data/*.yml (the states: the provider directory's vocabulary,
providers/data/vocabulary.json). Every parser returns a canonical value or None
and never raises on odd input (empty, huge, non-English, markup).
"""
from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import yaml

from providers.vocabulary import vocabulary

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_TEXT_CHARS = 500  # answers are short; a huge message is cut before any regex work
MAX_DETAIL_CHARS = 200

OUTSIDE_US = "outside_us"
NO_PREFERENCE = "any"
CHOICE_SLOTS = ("concern", "age_range", "insurance", "format", "gender", "language", "availability", "approach")

# Two-letter state codes that are also everyday words: only trusted when typed in
# capitals ("OH") or right after a city/comma ("columbus, oh").
_WORDLIKE_CODES = {"IN", "ME", "OR", "OH", "HI", "OK", "DE", "ID", "AL", "LA", "PA", "MA", "MO", "NE", "CO", "WA", "GA"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@functools.lru_cache(maxsize=None)
def _load(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def options() -> dict:
    return _load("preference_options.yml")


def places() -> dict:
    """Aliases, cities and places outside the directory's coverage (actions/data/us_places.yml)."""
    return _load("us_places.yml")


def states() -> Dict[str, str]:
    """{code: name} of the states the provider directory covers: its vocabulary is their one home."""
    return vocabulary()["states"]


def clean_text(text: Optional[str]) -> str:
    """Cut to a sane size, drop control characters, collapse whitespace."""
    if not isinstance(text, str):
        return ""
    text = _CONTROL.sub(" ", text[:MAX_TEXT_CHARS])
    return re.sub(r"\s+", " ", text).strip()


def _norm(text: str) -> str:
    text = clean_text(text).lower().replace("’", "'")
    return re.sub(r"[!?;:()\[\]\"<>]", " ", text).strip()


def _find(phrase: str, text: str) -> Optional[int]:
    """Position of `phrase` as whole words in `text`, or None."""
    match = re.search(r"(?<![\w'])" + re.escape(phrase) + r"(?![\w'])", text)
    return match.start() if match else None


def label(slot: str, value: Optional[str]) -> str:
    if value is None:
        return "not given"
    if slot == "state":
        return "outside the US" if value == OUTSIDE_US else states().get(value, value)
    if slot == "zip":
        return value
    entry = options().get(slot, {}).get(value)
    return entry["label"] if entry else str(value)


def choice_values(slot: str) -> List[str]:
    return list(options().get(slot, {}).keys())


def is_valid_value(slot: str, value) -> bool:
    if not isinstance(value, str):
        return False
    if slot == "state":
        return value in states() or value == OUTSIDE_US
    if slot == "zip":
        return bool(re.fullmatch(r"\d{5}", value))
    return value in options().get(slot, {})


def _option_by_number(slot: str, text: str) -> Optional[str]:
    """SMS replies to a numbered button list: "2" or "2." picks the second choice."""
    match = re.fullmatch(r"#?(\d{1,2})\.?", text.strip())
    if not match:
        return None
    values = choice_values(slot)
    index = int(match.group(1)) - 1
    return values[index] if 0 <= index < len(values) else None


def _best_alias(slot: str, text: str) -> Optional[str]:
    """The value whose longest alias occurs in the text (ties: the earliest)."""
    best: Tuple[int, int, Optional[str]] = (0, 0, None)
    for value, entry in options().get(slot, {}).items():
        for alias in entry.get("aliases", []):
            alias = str(alias).lower()
            if len(alias) == 1 and text != alias:
                continue  # "f"/"m" only as a whole answer
            position = _find(alias, text)
            if position is None:
                continue
            score = (len(alias), -position)
            if score > best[:2]:
                best = (len(alias), -position, value)
    return best[2]


def parse_choice(slot: str, text: str, allow_number: bool = True) -> Optional[str]:
    normalized = _norm(text)
    if not normalized:
        return None
    if allow_number:
        by_number = _option_by_number(slot, normalized)
        if by_number:
            return by_number
    return _best_alias(slot, normalized)


def parse_concern(text: str) -> Tuple[Optional[str], Optional[str]]:
    """(category, detail). Anything non-empty is accepted: unknown words are 'other' + the words kept."""
    cleaned = clean_text(text)
    if not re.search(r"\w", cleaned):
        return None, None
    value = parse_choice("concern", cleaned)
    if value and value != "other":
        return value, None
    detail = cleaned[:MAX_DETAIL_CHARS]
    if value == "other" and _norm(cleaned) in {"other", "something else", "7"}:
        detail = None
    return "other", detail


def age_range_for(age: int) -> Optional[str]:
    if age < 5 or age > 120:
        return None
    if age < 18:
        return "under_18"
    if age <= 24:
        return "18_24"
    if age <= 44:
        return "25_44"
    if age <= 64:
        return "45_64"
    return "65_plus"


def parse_age_range(text: str) -> Optional[str]:
    normalized = _norm(text)
    if not normalized:
        return None
    by_number = _option_by_number("age_range", normalized)
    if by_number and int(re.sub(r"\D", "", normalized)) <= len(choice_values("age_range")):
        return by_number
    alias = _best_alias("age_range", normalized)
    if alias:
        return alias
    number = re.search(r"(?<!\d)(\d{1,3})(?!\d)", normalized)
    return age_range_for(int(number.group(1))) if number else None


def parse_zip(text: str) -> Optional[str]:
    match = re.search(r"(?<!\d)(\d{5})(?:-\d{4})?(?!\d)", clean_text(text))
    return match.group(1) if match else None


def _mask(text: str, phrase: str) -> str:
    return re.sub(r"(?<![\w'])" + re.escape(phrase) + r"(?![\w'])", " # ", text)


def parse_state(text: str) -> Optional[str]:
    """Two-letter code, OUTSIDE_US, or None. Accepts names, codes, aliases, cities, typos."""
    original = clean_text(text)
    normalized = _norm(original)
    if not normalized:
        return None
    data = places()
    names = {name.lower(): code for code, name in states().items()}

    # 1. Cities first (so "Kansas City" is not read as Kansas), remembered and masked out.
    city_code = None
    for city in sorted(data["cities"], key=len, reverse=True):
        if _find(city, normalized) is not None:
            city_code = city_code or data["cities"][city]
            normalized = _mask(normalized, city)
    # 2. Aliases with punctuation ("washington d.c.") and full names, longest first
    #    ("west virginia" before "virginia").
    for phrase, code in sorted(list(data["state_aliases"].items()) + list(names.items()),
                               key=lambda item: len(item[0]), reverse=True):
        if _find(phrase, normalized) is not None:
            return code
    # 3. Two-letter codes.
    tokens = re.findall(r"[A-Za-z]+(?:\.[A-Za-z]\.?)?", original)
    code = _state_code_from_tokens(original, tokens, city_code is not None)
    if code:
        return code
    # 4. Outside the directory's coverage.
    for place in data["outside_us"]:
        if _find(place.lower(), _norm(original)) is not None:
            return OUTSIDE_US
    if city_code:
        return city_code
    # 5. Typos of full state names ("pensylvania", "californa").
    words = re.findall(r"[a-z]+", normalized)
    candidates = [" ".join(words[i:i + n]) for n in (1, 2) for i in range(len(words) - n + 1)]
    for candidate in candidates:
        if len(candidate) < 5:
            continue
        close = difflib.get_close_matches(candidate, names.keys(), n=1, cutoff=0.84)
        if close:
            return names[close[0]]
    return None


def _state_code_from_tokens(original: str, tokens: List[str], after_city: bool) -> Optional[str]:
    codes = states()
    plain = [t.replace(".", "") for t in tokens]
    for index, token in enumerate(plain):
        code = token.upper()
        if len(token) != 2 or code not in codes:
            continue
        is_sole = len(plain) == 1
        is_last = index == len(plain) - 1
        typed_upper = token.isupper()
        after_comma = bool(re.search(r",\s*" + re.escape(tokens[index]) + r"\W*$", original))
        if code in _WORDLIKE_CODES:
            trusted = typed_upper or (is_last and (after_comma or after_city))
        else:
            trusted = typed_upper or is_sole or (is_last and (after_comma or after_city or len(plain) <= 3))
        if trusted:
            return code
    return None


def parse_value(slot: str, text: str) -> Optional[str]:
    """One entry point for every form slot (concern returns only the category)."""
    if slot == "state":
        return parse_state(text)
    if slot == "zip":
        return parse_zip(text)
    if slot == "age_range":
        return parse_age_range(text)
    if slot == "concern":
        return parse_concern(text)[0]
    if slot in CHOICE_SLOTS:
        return parse_choice(slot, text)
    return None


# Slots whose values are distinctive enough to recognise in a correction
# ("actually I'm in Ohio", "make that video instead") without being asked.
CORRECTABLE_SLOTS = ("state", "insurance", "format", "zip", "language", "age_range")


def parse_correction(text: str, exclude: Iterable[str] = ()) -> Dict[str, str]:
    found: Dict[str, str] = {}
    for slot in CORRECTABLE_SLOTS:
        if slot in exclude:
            continue
        if slot == "age_range":
            value = _best_alias("age_range", _norm(text))
        elif slot == "format":
            value = _best_alias("format", _norm(text))
            value = value if value in ("video", "in_person") else None
        elif slot == "language":
            value = _best_alias("language", _norm(text))
            value = value if value != NO_PREFERENCE else None
        elif slot == "insurance":
            value = _best_alias("insurance", _norm(text))
            value = value if value != "self_pay" or "pay" in _norm(text) or "insurance" in _norm(text) else None
        else:
            value = parse_value(slot, text)
        if value and value != OUTSIDE_US:
            found[slot] = value
    return found


def mentioned_slot(text: str) -> Optional[str]:
    """Which question a person names ("change my insurance" -> insurance)."""
    normalized = _norm(text)
    best: Tuple[int, Optional[str]] = (0, None)
    for slot, words in options()["slot_names"].items():
        for word in words:
            if _find(word, normalized) is not None and len(word) > best[0]:
                best = (len(word), slot)
    return best[1]
