"""Assistant-side client of the provider directory: search with the person's preferences, relax when nothing fits.

`search_providers(preferences)` calls GET {PROVIDER_SEARCH_URL}/v1/providers/search with a per-attempt timeout
and exponential-backoff retries (aiohttp-retry) on connection errors, timeouts and 5xx answers, never on 4xx.
It first asks for an exact match (every preference required); with no result it relaxes the least important
preference still held and asks again, in RELAXATION_ORDER, and reports which ones it relaxed.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import aiohttp
from aiohttp_retry import ExponentialRetry, RetryClient

log = logging.getLogger(__name__)

DEFAULT_PROVIDER_SEARCH_URL = "http://127.0.0.1:5060"
SEARCH_PATH = "/v1/providers/search"
TOP_N = 3
DEFAULT_MAX_MILES = 25
RELAXED_MAX_MILES = 75
# Least important first. State licence and insurance are never relaxed: a match must be able to treat the
# person legally and be paid for.
RELAXATION_ORDER = ("gender", "language", "availability", "concern", "approach", "distance", "format")
# Wording for telling a person what was relaxed ("I widened ...").
RELAXATION_LABELS = {
    "gender": "the therapist's gender",
    "language": "the session language",
    "availability": "the times that suit you",
    "concern": "the focus on your main concern",
    "approach": "the psychodynamic approach",
    "distance": f"the distance (now up to {RELAXED_MAX_MILES} miles)",
    "format": "in-person only (video sessions now included)",
}
STATUS_OK, STATUS_RELAXED, STATUS_NONE, STATUS_UNAVAILABLE = "ok", "relaxed", "none", "unavailable"
NO_PREFERENCE = {"", "any", "none", "no_preference", "open", "other", "either"}


class ProviderSearchUnavailable(Exception):
    """The directory could not answer (down, slow, 5xx after retries, or an answer we cannot read)."""


@dataclass
class SearchOutcome:
    status: str  # "ok" | "relaxed" | "none" | "unavailable"
    matches: List[Dict[str, Any]] = field(default_factory=list)  # top 3, see _match()
    relaxed: List[str] = field(default_factory=list)  # names from RELAXATION_ORDER, in the order relaxed
    total: int = 0  # how many providers the final search found
    attempts: int = 0  # HTTP requests made, retries included
    error: Optional[str] = None  # short technical reason when unavailable; for logs, not for people

    def relaxed_text(self) -> str:
        """Plain words for what was relaxed, e.g. "the therapist's gender and the session language"."""
        labels = [RELAXATION_LABELS.get(name, name) for name in self.relaxed]
        if len(labels) <= 1:
            return "".join(labels)
        return ", ".join(labels[:-1]) + " and " + labels[-1]


def provider_search_url() -> str:
    return (os.environ.get("PROVIDER_SEARCH_URL") or DEFAULT_PROVIDER_SEARCH_URL).rstrip("/")


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
    for key, api_name in (("gender", "gender"), ("language", "language"), ("availability", "availability"),
                          ("approach", "approach"), ("concern", "concerns")):
        if _given(preferences.get(key)):
            params[api_name] = preferences[key].strip()
    return params


def _relaxation_steps(params: Dict[str, str]) -> List[str]:
    present = {"gender": "gender" in params, "language": "language" in params,
               "availability": "availability" in params, "concern": "concerns" in params,
               "approach": "approach" in params, "distance": params.get("format") == "in_person",
               "format": params.get("format") == "in_person"}
    return [name for name in RELAXATION_ORDER if present[name]]


_SOFT_API_NAMES = {"gender": "gender", "language": "language", "availability": "availability",
                   "concern": "concerns", "approach": "approach"}


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


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def _clean(value: Any, limit: int = 120) -> str:
    """Directory text goes to people over SMS and chat: no control/bidi characters, bounded length."""
    text = _CONTROL.sub(" ", str(value if value is not None else "")).strip()
    return text[:limit]


def _labels(items: Any) -> List[str]:
    out = []
    for item in items if isinstance(items, list) else []:
        label = item.get("label") or item.get("id") if isinstance(item, dict) else item
        if label:
            out.append(_clean(label, 40))
    return out[:8]


def _match(result: Dict[str, Any]) -> Dict[str, Any]:
    """The fields the assistant shows for one provider."""
    url = result.get("booking_url")
    booking_url = _clean(url, 300) if isinstance(url, str) and re.match(r"^https?://[^\s]+$", url) else None
    distance = result.get("distance_miles")
    formats = [f for f in (result.get("formats") or []) if f in ("video", "in_person")]
    return {
        "id": result.get("id"),
        "name": _clean(result.get("name"), 80),
        "credentials": [_clean(c, 20) for c in (result.get("credentials") or [])][:4],
        "approaches": _labels(result.get("approaches")),
        "languages": [_clean(lang, 30) for lang in (result.get("languages") or [])][:8],
        "format": formats,
        "soonest_appointment": _clean(result.get("soonest_appointment"), 10) or None,
        "booking_url": booking_url,
        "distance": round(float(distance), 1) if isinstance(distance, (int, float)) else None,
        "fictional": bool(result.get("fictional")),
    }


async def _get_json(client: RetryClient, url: str, params: Dict[str, str]) -> Dict[str, Any]:
    try:
        async with client.get(url, params=params) as response:
            if response.status >= 500:
                raise ProviderSearchUnavailable(f"provider search answered {response.status}")
            if response.status >= 400:
                # our own request was refused: a bug to log, and no point retrying
                detail = await response.text()
                raise ProviderSearchUnavailable(f"provider search refused the request ({response.status}): {detail[:300]}")
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        raise ProviderSearchUnavailable(f"provider search failed: {type(exc).__name__}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise ProviderSearchUnavailable("provider search answered with an unexpected body")
    return body


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
    url = (base_url or provider_search_url()).rstrip("/") + SEARCH_PATH
    params = _base_params(preferences)
    steps = _relaxation_steps(params)
    attempts = 0

    async def count_request(_session, _ctx, _params) -> None:
        nonlocal attempts
        attempts += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(count_request)
    retry = ExponentialRetry(
        # aiohttp-retry waits start_timeout * 2**attempt with attempt counted from 1: halve it so the first
        # retry waits backoff_s, the next 2 * backoff_s, ...
        attempts=retries + 1, start_timeout=backoff_s / 2, max_timeout=max(4 * backoff_s, 0.1),
        retry_all_server_errors=True, exceptions={aiohttp.ClientError, asyncio.TimeoutError},
    )
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s), trace_configs=[trace])
    relaxed: List[str] = []
    try:
        async with RetryClient(client_session=session, retry_options=retry) as client:
            for step in [None] + steps:
                if step is not None:
                    relaxed.append(step)
                body = await _get_json(client, url, _attempt_params(params, relaxed))
                if body["results"]:
                    matches = [_match(r) for r in body["results"][:TOP_N] if isinstance(r, dict)]
                    total = body.get("total") if isinstance(body.get("total"), int) else len(matches)
                    status = STATUS_RELAXED if relaxed else STATUS_OK
                    log.info("provider search: %s after %d request(s), relaxed=%s", status, attempts, relaxed)
                    return SearchOutcome(status, matches, list(relaxed), total, attempts)
    except ProviderSearchUnavailable as exc:
        log.warning("provider search unavailable after %d request(s): %s", attempts, exc)
        return SearchOutcome(STATUS_UNAVAILABLE, [], list(relaxed), 0, attempts, str(exc))
    finally:
        if not session.closed:
            await session.close()
    log.info("provider search: no provider after %d request(s), relaxed=%s", attempts, relaxed)
    return SearchOutcome(STATUS_NONE, [], list(relaxed), 0, attempts)


FORMAT_WORDS = {("video",): "video", ("in_person",): "in person", ("video", "in_person"): "video or in person"}


def _appointment_words(iso_date: Optional[str], today: Optional[dt.date] = None) -> Optional[str]:
    if not iso_date:
        return None
    try:
        day = dt.date.fromisoformat(iso_date)
    except ValueError:
        return None
    today = today or dt.date.today()
    if day <= today:
        return "today"
    if day == today + dt.timedelta(days=1):
        return "tomorrow"
    return day.strftime("%a %b ") + str(day.day)


def format_match_for_text(match: Dict[str, Any], today: Optional[dt.date] = None) -> str:
    """One provider as short plain ASCII-friendly text for SMS, e.g.

    Dr. Avery Example (demo), PhD. Psychodynamic, CBT. English, Spanish. Video or in person (3.2 mi).
    Soonest: tomorrow. Book: https://booking.example.com/demo/providers/7
    """
    name = match.get("name") or "Provider"
    credentials = ", ".join(match.get("credentials") or [])
    parts = [f"{name}, {credentials}" if credentials else name]
    if match.get("approaches"):
        parts.append(", ".join(match["approaches"][:3]))
    if match.get("languages"):
        parts.append(", ".join(match["languages"][:3]))
    fmt = FORMAT_WORDS.get(tuple(sorted(match.get("format") or [], key=["video", "in_person"].index)))
    if fmt:
        fmt = fmt[0].upper() + fmt[1:]
        if match.get("distance") is not None and "in_person" in (match.get("format") or []):
            fmt += f" ({match['distance']:g} mi)"
        parts.append(fmt)
    when = _appointment_words(match.get("soonest_appointment"), today)
    if when:
        parts.append(f"Soonest: {when}")
    text = ". ".join(p.rstrip(".") for p in parts) + "."
    if match.get("booking_url"):
        text += f" Book: {match['booking_url']}"
    return text
