"""HTTP client of the provider directory: GET {PROVIDER_SEARCH_URL}/v1/providers/search.

A `DirectoryClient` serves one search (the exact attempt and its relaxations, see
actions/provider_relaxation.py): a per-attempt timeout and exponential-backoff retries
(aiohttp-retry) on connection errors, timeouts and 5xx answers, never on 4xx. It counts the HTTP
requests it made and hands back providers in the shape the assistant shows, their text cleaned.
"""
from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import aiohttp
from aiohttp_retry import ExponentialRetry, RetryClient

DEFAULT_PROVIDER_SEARCH_URL = "http://127.0.0.1:5060"
SEARCH_PATH = "/v1/providers/search"


class ProviderSearchUnavailable(Exception):
    """The directory could not answer (down, slow, 5xx after retries, or an answer we cannot read)."""


@dataclass
class SearchPage:
    matches: List[Dict[str, Any]]  # the first providers of the answer, see _match()
    total: int  # how many providers the directory found


def provider_search_url() -> str:
    return (os.environ.get("PROVIDER_SEARCH_URL") or DEFAULT_PROVIDER_SEARCH_URL).rstrip("/")


class DirectoryClient:
    """`async with DirectoryClient(...) as client: page = await client.search(params, limit)`."""

    def __init__(self, base_url: Optional[str] = None, *, timeout_s: float = 3.0, retries: int = 2,
                 backoff_s: float = 0.25):
        self.url = (base_url or provider_search_url()).rstrip("/") + SEARCH_PATH
        self.attempts = 0  # HTTP requests made, retries included
        self._timeout_s, self._retries, self._backoff_s = timeout_s, retries, backoff_s
        self._client: Optional[RetryClient] = None

    async def __aenter__(self) -> "DirectoryClient":
        async def count_request(_session, _ctx, _params) -> None:
            self.attempts += 1

        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(count_request)
        retry = ExponentialRetry(
            # aiohttp-retry waits start_timeout * 2**attempt with attempt counted from 1: halve it so the first
            # retry waits backoff_s, the next 2 * backoff_s, ...
            attempts=self._retries + 1, start_timeout=self._backoff_s / 2,
            max_timeout=max(4 * self._backoff_s, 0.1),
            retry_all_server_errors=True, exceptions={aiohttp.ClientError, asyncio.TimeoutError},
        )
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout_s), trace_configs=[trace])
        self._client = RetryClient(client_session=session, retry_options=retry)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._client.close()  # closes the session too

    async def search(self, params: Dict[str, str], limit: int) -> Optional[SearchPage]:
        """The first `limit` providers for `params`, or None when the directory found nobody."""
        body = await self._get_json(params)
        if not body["results"]:
            return None
        matches = [_match(r) for r in body["results"][:limit] if isinstance(r, dict)]
        total = body.get("total") if isinstance(body.get("total"), int) else len(matches)
        return SearchPage(matches, total)

    async def _get_json(self, params: Dict[str, str]) -> Dict[str, Any]:
        try:
            async with self._client.get(self.url, params=params) as response:
                if response.status >= 500:
                    raise ProviderSearchUnavailable(f"provider search answered {response.status}")
                if response.status >= 400:
                    # our own request was refused: a bug to log, and no point retrying
                    detail = await response.text()
                    raise ProviderSearchUnavailable(
                        f"provider search refused the request ({response.status}): {detail[:300]}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise ProviderSearchUnavailable(f"provider search failed: {type(exc).__name__}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise ProviderSearchUnavailable("provider search answered with an unexpected body")
        return body


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
