"""What to ask the provider directory for, and what to let go of when nobody fits.

`search_providers(preferences)` first asks for an exact match (every preference required); with no
result it relaxes the least important preference still held and asks again, in RELAXATION_ORDER, and
reports which ones it relaxed. The requests go through actions/provider_client.py.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from actions.provider_client import DirectoryClient, ProviderSearchUnavailable

log = logging.getLogger(__name__)

TOP_N = 3
DEFAULT_MAX_MILES = 25
RELAXED_MAX_MILES = 75
# Least important first. State licence and insurance are never relaxed: a match must be able to treat the
# person legally and be paid for.
RELAXATION_ORDER = ("gender", "language", "availability", "concern", "approach", "distance", "format")
STATUS_OK, STATUS_RELAXED, STATUS_NONE, STATUS_UNAVAILABLE = "ok", "relaxed", "none", "unavailable"
NO_PREFERENCE = {"", "any", "none", "no_preference", "open", "other", "either"}
# Preferences the directory can require or merely rank by (search API names).
_SOFT_API_NAMES = {"gender": "gender", "language": "language", "availability": "availability",
                   "concern": "concerns", "approach": "approach"}


@dataclass
class SearchOutcome:
    status: str  # "ok" | "relaxed" | "none" | "unavailable"
    matches: List[Dict[str, Any]] = field(default_factory=list)  # top 3, see provider_client._match()
    relaxed: List[str] = field(default_factory=list)  # names from RELAXATION_ORDER, in the order relaxed
    total: int = 0  # how many providers the final search found
    attempts: int = 0  # HTTP requests made, retries included
    error: Optional[str] = None  # short technical reason when unavailable; for logs, not for people


def _given(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() not in NO_PREFERENCE


def _validate(preferences: Dict[str, Any]) -> None:
    """Catch what the preferences form should never send, before any network call."""
    problems = []
    state = preferences.get("state")
    if not isinstance(state, str) or not re.fullmatch(r"[A-Za-z]{2}", state.strip()):
        problems.append("state must be a two-letter state code")
    if not _given(preferences.get("insurance")):
        problems.append("insurance must be a carrier name or self_pay")
    fmt = (preferences.get("format") or "either").strip().lower()
    if fmt not in ("video", "in_person", "either"):
        problems.append("format must be video, in_person or either")
    zip_code = preferences.get("zip")
    if fmt == "in_person" and not (isinstance(zip_code, str) and re.fullmatch(r"\d{5}", zip_code.strip())):
        problems.append("zip (5 digits) is needed for in_person")
    if problems:
        raise ValueError("invalid provider search preferences: " + "; ".join(problems))


def _base_params(preferences: Dict[str, Any]) -> Dict[str, str]:
    params = {"state": preferences["state"].strip().upper(), "insurance": preferences["insurance"].strip(),
              "page_size": str(TOP_N)}
    fmt = (preferences.get("format") or "either").strip().lower()
    params["format"] = fmt
    zip_code = preferences.get("zip")
    if isinstance(zip_code, str) and re.fullmatch(r"\d{5}", zip_code.strip()):
        params["zip"] = zip_code.strip()
    if fmt == "in_person":
        params["max_miles"] = str(DEFAULT_MAX_MILES)
    for key, api_name in _SOFT_API_NAMES.items():
        if _given(preferences.get(key)):
            params[api_name] = preferences[key].strip()
    return params


def _relaxation_steps(params: Dict[str, str]) -> List[str]:
    present = {name: api in params for name, api in _SOFT_API_NAMES.items()}
    present["distance"] = present["format"] = params.get("format") == "in_person"
    return [name for name in RELAXATION_ORDER if present[name]]


def _attempt_params(params: Dict[str, str], relaxed: List[str]) -> Dict[str, str]:
    """Search parameters with every preference required except those relaxed (which still rank)."""
    query = dict(params)
    required = [api for name, api in _SOFT_API_NAMES.items() if api in params and name not in relaxed]
    if required:
        query["require"] = ",".join(required)
    if "distance" in relaxed and query.get("format") == "in_person":
        query["max_miles"] = str(RELAXED_MAX_MILES)
    if "format" in relaxed and query.get("format") == "in_person":
        query["format"] = "either"
        query.pop("max_miles", None)
    return query


async def search_providers(
    preferences: Dict[str, Any],
    base_url: Optional[str] = None,
    *,
    timeout_s: float = 3.0,
    retries: int = 2,
    backoff_s: float = 0.25,
) -> SearchOutcome:
    """Top 3 providers for `preferences` (keys: state, insurance, format, zip, gender, language, availability,
    approach, concern). Raises ValueError for preferences the form should have refused; never raises for a
    directory outage (status "unavailable")."""
    _validate(preferences)
    params = _base_params(preferences)
    relaxed: List[str] = []
    client = DirectoryClient(base_url, timeout_s=timeout_s, retries=retries, backoff_s=backoff_s)
    try:
        async with client:
            for step in [None] + _relaxation_steps(params):
                if step is not None:
                    relaxed.append(step)
                page = await client.search(_attempt_params(params, relaxed), TOP_N)
                if page is not None:
                    status = STATUS_RELAXED if relaxed else STATUS_OK
                    log.info("provider search: %s after %d request(s), relaxed=%s", status, client.attempts, relaxed)
                    return SearchOutcome(status, page.matches, list(relaxed), page.total, client.attempts)
    except ProviderSearchUnavailable as exc:
        log.warning("provider search unavailable after %d request(s): %s", client.attempts, exc)
        return SearchOutcome(STATUS_UNAVAILABLE, [], list(relaxed), 0, client.attempts, str(exc))
    log.info("provider search: no provider after %d request(s), relaxed=%s", client.attempts, relaxed)
    return SearchOutcome(STATUS_NONE, [], list(relaxed), 0, client.attempts)
