"""Turning the search query string into a validated SearchQuery, with one clear message per bad parameter.

Hand-written rather than a schema library because each parameter needs vocabulary aliases ("Blue Cross Blue
Shield" or "blue_cross_blue_shield"), ZIP placement and cross-parameter rules (in-person needs a ZIP), and the
messages must name what is expected without echoing what was sent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from providers import geo
from providers.vocabulary import canonical

SOFT_PREFERENCES = ("approach", "concerns", "availability", "language", "gender")
DEFAULT_MAX_MILES = 25
MAX_MAX_MILES = 200
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
MAX_PAGE = 1000
MAX_CONCERNS = 5
KNOWN_PARAMETERS = (
    "state", "insurance", "format", "zip", "max_miles", "language", "gender", "approach", "concerns",
    "availability", "require", "page", "page_size",
)


@dataclass(frozen=True)
class SearchQuery:
    state: str
    insurance: str  # carrier slug or "self_pay"
    format: str = "either"  # video | in_person | either
    location: Optional[geo.ZipLocation] = None
    max_miles: int = DEFAULT_MAX_MILES
    language: Optional[str] = None
    gender: Optional[str] = None
    approach: Optional[str] = None
    concerns: Tuple[str, ...] = ()
    availability: Tuple[str, ...] = ()
    require: FrozenSet[str] = field(default_factory=frozenset)
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


class InvalidSearch(ValueError):
    def __init__(self, problems: List[Dict[str, str]]):
        super().__init__("; ".join(f"{p['parameter']}: {p['message']}" for p in problems))
        self.problems = problems


# ASCII digits only: str.isdigit() also takes "²" (which int() refuses: a 500) and "٣" (which it reads as 3)
_DIGITS = re.compile(r"[0-9]+")


def whole_number(raw: str, max_digits: int) -> Optional[int]:
    """`raw` as a whole number if it is 1 to `max_digits` ASCII digits, else None."""
    if len(raw) > max_digits or not _DIGITS.fullmatch(raw):
        return None
    return int(raw)


def _int(raw: str, low: int, high: int) -> Optional[int]:
    value = whole_number(raw.strip(), 6)
    return value if value is not None and low <= value <= high else None


def _list(raw: str) -> List[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_search_params(params: Mapping[str, str], repeated: Sequence[str] = ()) -> SearchQuery:
    """Validate query-string parameters; raise InvalidSearch listing every problem at once."""
    problems: List[Dict[str, str]] = []

    def bad(parameter: str, message: str) -> None:
        problems.append({"parameter": parameter[:40], "message": message})

    for name in params:
        if name not in KNOWN_PARAMETERS:
            bad(name, "unknown parameter; known parameters are " + ", ".join(KNOWN_PARAMETERS))
    for name in repeated:
        if name in KNOWN_PARAMETERS:
            bad(name, "give this parameter once (use a comma-separated list where a list is allowed)")

    def get(name: str) -> Optional[str]:
        value = params.get(name)
        if value is None or not value.strip():
            return None
        return value

    state = None
    if get("state") is None:
        bad("state", "required: the two-letter code of the US state the person is in, e.g. NY")
    else:
        state = canonical("state", get("state"))
        if state is None:
            bad("state", "must be a two-letter US state code (50 states and DC), e.g. NY")

    insurance = None
    if get("insurance") is None:
        bad("insurance", "required: an insurance carrier (e.g. aetna, cigna, medicaid) or self_pay")
    else:
        insurance = canonical("insurance", get("insurance"))
        if insurance is None:
            bad("insurance", "unknown carrier; see /openapi.json for the list, or use self_pay")

    fmt = "either"
    if get("format") is not None:
        fmt = canonical("format", get("format"))
        if fmt is None:
            bad("format", "must be one of video, in_person, either")
            fmt = "either"

    location = None
    if get("zip") is not None:
        zip_code = get("zip").strip()
        if not geo.ZIP_RE.match(zip_code):
            bad("zip", "must be a 5-digit US ZIP code")
        else:
            location = geo.locate_zip(zip_code)
            if location is None:
                bad("zip", "is not a ZIP code area this directory can place; check it, or search by video")
    elif fmt == "in_person":
        bad("zip", "required when format is in_person, to find offices nearby")

    max_miles = DEFAULT_MAX_MILES
    if get("max_miles") is not None:
        parsed = _int(get("max_miles"), 1, MAX_MAX_MILES)
        if parsed is None:
            bad("max_miles", f"must be a whole number of miles from 1 to {MAX_MAX_MILES}")
        else:
            max_miles = parsed

    def vocab_value(name: str, kind: str, message: str) -> Optional[str]:
        raw = get(name)
        if raw is None or raw.strip().lower() in ("any", "open", "no_preference", "none"):
            return None
        value = canonical(kind, raw)
        if value is None:
            bad(name, message)
        return value

    language = vocab_value("language", "language", "unknown language; give its English name, e.g. Spanish")
    gender = vocab_value("gender", "gender", "must be one of female, male, nonbinary (or leave it out)")
    approach = vocab_value("approach", "approach", "unknown approach; e.g. psychodynamic, cbt, dbt, emdr (or open)")

    concerns: List[str] = []
    if get("concerns") is not None:
        raw_items = [c for c in _list(get("concerns")) if c.lower() not in ("other", "none", "any")]
        if len(raw_items) > MAX_CONCERNS:
            bad("concerns", f"give at most {MAX_CONCERNS} concerns")
        else:
            for raw in raw_items:
                value = canonical("concern", raw)
                if value is None:
                    bad("concerns", "unknown concern; e.g. depression, anxiety, relationships, trauma, grief, stress")
                    break
                if value not in concerns:
                    concerns.append(value)

    availability: List[str] = []
    if get("availability") is not None:
        for raw in _list(get("availability")):
            if raw.lower() in ("any", "none"):
                continue
            value = canonical("availability", raw)
            if value is None:
                bad("availability", "must be weekday_daytime, evenings or weekends (comma-separated for any of them)")
                break
            if value not in availability:
                availability.append(value)

    require: set = set()
    if get("require") is not None:
        for raw in _list(get("require")):
            name = raw.lower()
            if name not in SOFT_PREFERENCES:
                bad("require", "may list only " + ", ".join(SOFT_PREFERENCES))
                break
            require.add(name)

    page = _int(get("page") or "1", 1, MAX_PAGE)
    if page is None:
        bad("page", f"must be a whole number from 1 to {MAX_PAGE}")
    page_size = _int(get("page_size") or str(DEFAULT_PAGE_SIZE), 1, MAX_PAGE_SIZE)
    if page_size is None:
        bad("page_size", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")

    query_values = {"language": language, "gender": gender, "approach": approach,
                    "concerns": concerns, "availability": availability}
    for name in sorted(require):
        if not query_values[name] and not any(p["parameter"] == name for p in problems):
            bad("require", f"lists {name} but no {name} preference was given")

    if problems:
        raise InvalidSearch(problems)
    return SearchQuery(
        state=state, insurance=insurance, format=fmt, location=location, max_miles=max_miles,
        language=language, gender=gender, approach=approach, concerns=tuple(concerns),
        availability=tuple(availability), require=frozenset(require), page=page, page_size=page_size,
    )
