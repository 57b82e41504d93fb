"""A plain-Python re-statement of the search rules, run over the generator's records, to check the SQL against.

Kept deliberately naive (loops, no SQL, no shared code with providers.search) so a bug in the query building
cannot hide in both places at once.
"""
from __future__ import annotations

import math
from typing import Iterable, List, Optional, Sequence

from providers.geo import locate_zip
from providers.seed import ProviderRecord

MILES_PER_DEGREE_LAT = 69.09


def squared_degrees(lat0: float, lon0: float, lat: float, lon: float) -> float:
    k = math.cos(math.radians(lat0))
    dlat = lat - lat0
    dlon = (lon - lon0) * k
    return dlat * dlat + dlon * dlon


def reference_search(
    records: Iterable[ProviderRecord], *, state: str, insurance: str, format: str = "either",
    zip: Optional[str] = None, max_miles: int = 25, language: Optional[str] = None,
    gender: Optional[str] = None, approach: Optional[str] = None, concerns: Sequence[str] = (),
    availability: Sequence[str] = (), require: Sequence[str] = (),
) -> List[int]:
    """Ids of every provider the search must return, in the order it must return them."""
    location = locate_zip(zip) if zip else None
    radius = max_miles / MILES_PER_DEGREE_LAT
    keyed = []
    for r in records:
        if state not in r.licensed_states:
            continue
        if insurance == "self_pay":
            if not r.accepts_self_pay:
                continue
        elif insurance not in r.insurance:
            continue
        if format == "video" and not r.offers_video:
            continue
        d2 = None
        if location is not None and r.office is not None:
            d2 = squared_degrees(location.lat, location.lon, r.office["lat"], r.office["lon"])
        if format == "in_person" and (not r.offers_in_person or d2 is None or d2 > radius * radius):
            continue
        matched = {
            "approach": approach in r.approaches if approach else None,
            "concerns": [c for c in concerns if c in r.concerns],
            "availability": any(a in r.availability for a in availability) if availability else None,
            "language": language in r.languages if language else None,
            "gender": gender == r.gender if gender else None,
        }
        if any(not matched[name] for name in require):
            continue
        score = (1000 * bool(matched["approach"]) + 100 * len(matched["concerns"])
                 + 40 * bool(matched["availability"]) + 20 * bool(matched["language"]) + 10 * bool(matched["gender"]))
        distance_key = (1, 0.0) if d2 is None else (0, d2)
        keyed.append(((-score, r.soonest_days) + (distance_key if location else ()) + (r.id,), r.id))
    return [provider_id for _key, provider_id in sorted(keyed)]
