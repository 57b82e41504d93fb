"""ZIP code placement and distances for in-person searches (data: data/zip_centroids.json, shipped, no downloads)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Optional, Tuple

from providers.vocabulary import load_data_file

MILES_PER_DEGREE_LAT = 69.09
ZIP_RE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class ZipLocation:
    zip: str
    lat: float
    lon: float
    state: str
    resolution: str  # "exact": the ZIP's own centroid; "approximate": centroid of its 3-digit ZIP area


@lru_cache(maxsize=None)
def _tables() -> Tuple[Dict[str, dict], Dict[str, dict]]:
    data = load_data_file("zip_centroids.json")
    return {o["zip"]: o for o in data["offices"]}, data["prefixes"]


def office_zips() -> list:
    """The ZIPs where the demo generator places offices (a few per state)."""
    return list(_tables()[0].values())


def locate_zip(zip_code: str) -> Optional[ZipLocation]:
    """Place a 5-digit ZIP: exactly if it is in the table, else by its 3-digit area, else None (unknown area)."""
    if not isinstance(zip_code, str) or not ZIP_RE.match(zip_code):
        return None
    exact, prefixes = _tables()
    if zip_code in exact:
        o = exact[zip_code]
        return ZipLocation(zip_code, o["lat"], o["lon"], o["state"], "exact")
    area = prefixes.get(zip_code[:3])
    if area is None:
        return None
    return ZipLocation(zip_code, area["lat"], area["lon"], area["state"], "approximate")


def lon_scale(lat: float) -> float:
    """Degrees of longitude shrink with latitude; this factor makes them comparable with degrees of latitude."""
    return math.cos(math.radians(lat))


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: within 0.5% of great-circle distance at the <200 mile range searched here,
    and the same formula the SQL filter uses, so a provider shown "within 25 miles" is within 25 miles."""
    dlat = lat2 - lat1
    dlon = (lon2 - lon1) * lon_scale(lat1)
    return MILES_PER_DEGREE_LAT * math.sqrt(dlat * dlat + dlon * dlon)
