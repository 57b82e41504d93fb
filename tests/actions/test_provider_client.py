"""The provider search (client + relaxation policy) against the real provider service, and against broken
ones; and how its results are worded."""
from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from typing import List

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa_sdk.executor import CollectingDispatcher

from actions.provider_relaxation import RELAXATION_ORDER, search_providers
from actions.provider_wording import MATCH_RESPONSES, match_message, relaxed_text
from providers.geo import _tables as zip_tables
from providers.seed import ProviderRecord, generate_providers
from providers.settings import DEFAULT_DEMO_COUNT, DEFAULT_DEMO_SEED
from tests.actions.conftest import rendered
from tests.providers.reference import reference_search
from tests.support import servers


@pytest.fixture(scope="session")
def provider_service(tmp_path_factory):
    """The real service as `python -m providers serve` runs it: an empty database gets the default demo."""
    workdir = tmp_path_factory.mktemp("provider-service")
    with servers.provider_service(workdir, database_url=f"sqlite:///{workdir / 'providers.db'}") as server:
        yield server


@pytest.fixture(scope="session")
def records() -> List[ProviderRecord]:
    return list(generate_providers(DEFAULT_DEMO_COUNT, DEFAULT_DEMO_SEED))


def by_id(records):
    return {r.id: r for r in records}


def busiest_state(records):
    return Counter(s for r in records for s in r.licensed_states).most_common(1)[0][0]


async def test_exact_match_returns_top_three_with_everything_to_show(provider_service, records):
    state = busiest_state(records)
    prefs = {"state": state, "insurance": "Aetna", "format": "video", "zip": None, "gender": None,
             "language": "English", "availability": "evenings", "approach": "psychodynamic", "concern": "depression"}
    outcome = await search_providers(prefs, provider_service.url)
    assert outcome.status == "ok" and outcome.relaxed == [] and outcome.attempts == 1
    assert len(outcome.matches) == 3
    expected = reference_search(records, state=state, insurance="aetna", format="video", language="English",
                                availability=["evenings"], approach="psychodynamic", concerns=["depression"],
                                require=["language", "availability", "approach", "concerns"])
    assert [m["id"] for m in outcome.matches] == expected[:3]
    assert outcome.total == len(expected)
    for match in outcome.matches:
        record = by_id(records)[match["id"]]
        assert match["name"] == record.name and match["credentials"] == record.credentials
        assert "Psychodynamic" in match["approaches"] and "English" in match["languages"]
        assert "video" in match["format"] and match["booking_url"] == record.booking_url
        assert dt.date.fromisoformat(match["soonest_appointment"]) >= dt.date.today()
        assert set(match) >= {"name", "credentials", "approaches", "languages", "format", "soonest_appointment",
                              "booking_url", "distance"}


def find_relaxation_case(records, relaxed_count: int):
    """A state and language where gender (and, for 2, language too) must be dropped to find anyone."""
    for state in sorted({s for r in records for s in r.licensed_states}):
        for language in ("Korean", "Tagalog", "Polish", "Haitian Creole", "Russian", "French"):
            kwargs = dict(state=state, insurance="self_pay", format="video", language=language, gender="nonbinary")
            if reference_search(records, require=["gender", "language"], **kwargs):
                continue
            with_language = reference_search(records, require=["language"], **kwargs)
            if relaxed_count == 1 and with_language:
                return state, language, with_language
            if relaxed_count == 2 and not with_language and reference_search(records, **kwargs):
                return state, language, reference_search(records, **kwargs)
    raise AssertionError("the demo directory has no such case")


@pytest.mark.parametrize("relaxed_count,expected_relaxed", [(1, ["gender"]), (2, ["gender", "language"])])
async def test_relaxes_least_important_preferences_first_and_says_which(
        provider_service, records, relaxed_count, expected_relaxed):
    state, language, expected = find_relaxation_case(records, relaxed_count)
    prefs = {"state": state, "insurance": "self_pay", "format": "video", "gender": "nonbinary",
             "language": language, "availability": None, "approach": "open", "concern": "other"}
    outcome = await search_providers(prefs, provider_service.url)
    assert outcome.status == "relaxed"
    assert outcome.relaxed == expected_relaxed
    assert outcome.attempts == relaxed_count + 1
    assert [m["id"] for m in outcome.matches] == expected[:3]
    if relaxed_count == 1:
        assert all(language in m["languages"] for m in outcome.matches), "language was kept"
    assert "gender" in relaxed_text(outcome.relaxed)


def in_person_case(records, want: str):
    """A ZIP area with no office within 25 miles, but one within 75 (want=distance) or only video (format)."""
    _exact, prefixes = zip_tables()
    for prefix, area in sorted(prefixes.items()):
        zip_code = prefix + "01"
        kwargs = dict(state=area["state"], insurance="self_pay", zip=zip_code)
        if reference_search(records, format="in_person", max_miles=25, **kwargs):
            continue
        wider = reference_search(records, format="in_person", max_miles=75, **kwargs)
        if want == "distance" and wider:
            return zip_code, area["state"], wider
        if want == "format" and not wider and reference_search(records, **kwargs):
            return zip_code, area["state"], reference_search(records, **kwargs)
    raise AssertionError("the demo directory has no such case")


@pytest.mark.parametrize("want,expected_relaxed", [("distance", ["distance"]), ("format", ["distance", "format"])])
async def test_in_person_widens_distance_then_allows_video(provider_service, records, want, expected_relaxed):
    zip_code, state, expected = in_person_case(records, want)
    prefs = {"state": state, "insurance": "self_pay", "format": "in_person", "zip": zip_code}
    outcome = await search_providers(prefs, provider_service.url)
    assert outcome.status == "relaxed" and outcome.relaxed == expected_relaxed
    assert [m["id"] for m in outcome.matches] == expected[:3]
    if want == "distance":
        assert all(25 < m["distance"] <= 75 for m in outcome.matches)


async def test_nothing_at_all_is_status_none(provider_service, records):
    assert not reference_search(records, state="AK", insurance="kaiser_permanente")
    prefs = {"state": "AK", "insurance": "Kaiser Permanente", "format": "either", "gender": "female",
             "approach": "psychodynamic"}
    outcome = await search_providers(prefs, provider_service.url)
    assert outcome.status == "none" and outcome.matches == []
    assert outcome.relaxed == ["gender", "approach"]  # everything that could be relaxed was, in order
    assert outcome.attempts == 3


async def test_base_url_comes_from_provider_search_url(provider_service, monkeypatch):
    monkeypatch.setenv("PROVIDER_SEARCH_URL", provider_service.url + "/")
    outcome = await search_providers({"state": "NY", "insurance": "self_pay"})
    assert outcome.status == "ok" and outcome.matches


def test_relaxation_order_puts_the_core_preferences_last():
    assert RELAXATION_ORDER.index("gender") == 0
    assert RELAXATION_ORDER.index("approach") > RELAXATION_ORDER.index("availability")
    assert RELAXATION_ORDER[-2:] == ("distance", "format")


@pytest.mark.parametrize("prefs", [
    {"insurance": "aetna"},
    {"state": "New York", "insurance": "aetna"},
    {"state": "NY"},
    {"state": "NY", "insurance": "aetna", "format": "in_person"},
    {"state": "NY", "insurance": "aetna", "format": "hologram"},
])
async def test_preferences_the_form_should_have_refused_raise_before_any_request(prefs):
    with pytest.raises(ValueError):
        await search_providers(prefs, "http://127.0.0.1:9")


class StubDirectory:
    """A provider service that misbehaves in a chosen way and counts the requests it gets."""

    def __init__(self, behaviour: str):
        self.behaviour, self.requests = behaviour, 0
        app = web.Application()
        app.router.add_get("/v1/providers/search", self.handle)
        self.server = TestServer(app)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.behaviour == "slow":
            await asyncio.sleep(2)
        if self.behaviour == "error":
            return web.json_response({"error": "boom"}, status=500)
        if self.behaviour == "flaky" and self.requests == 1:
            return web.Response(status=503, text="warming up")
        if self.behaviour == "refuses":
            return web.json_response({"error": "invalid_parameters"}, status=400)
        if self.behaviour == "garbage":
            return web.Response(text="<html>proxy error</html>", content_type="text/html")
        return web.json_response({"total": 1, "results": [{
            "id": 1, "name": "Dr. Stub\x1b[31m Example\u202e (demo)", "credentials": ["PhD"],
            "approaches": [{"id": "psychodynamic", "label": "Psychodynamic"}], "languages": ["English"],
            "formats": ["video"], "soonest_appointment": "2030-01-02", "booking_url": "javascript:alert(1)"}]})

    async def __aenter__(self):
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc):
        await self.server.close()

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


async def test_a_search_slower_than_the_timeout_is_retried_then_reported_unavailable():
    async with StubDirectory("slow") as stub:
        started = time.monotonic()
        outcome = await search_providers({"state": "NY", "insurance": "aetna"}, stub.url,
                                         timeout_s=0.3, retries=2, backoff_s=0.05)
        elapsed = time.monotonic() - started
    assert outcome.status == "unavailable" and outcome.matches == []
    assert stub.requests == 3 and outcome.attempts == 3
    assert elapsed < 2.0, "each attempt gives up at the timeout instead of waiting for the slow answer"
    assert outcome.error


async def test_a_500_is_retried_with_backoff_then_reported_unavailable():
    async with StubDirectory("error") as stub:
        started = time.monotonic()
        outcome = await search_providers({"state": "NY", "insurance": "aetna"}, stub.url, retries=2, backoff_s=0.1)
        elapsed = time.monotonic() - started
    assert outcome.status == "unavailable" and stub.requests == 3 and outcome.attempts == 3
    assert 0.1 + 0.2 - 0.02 <= elapsed < 2.0, "waits 0.1 s then 0.2 s between attempts"
    assert "500" in outcome.error


async def test_one_failure_then_success_recovers():
    async with StubDirectory("flaky") as stub:
        outcome = await search_providers({"state": "NY", "insurance": "aetna"}, stub.url, backoff_s=0.01)
    assert outcome.status == "ok" and stub.requests == 2 and outcome.attempts == 2


async def test_a_4xx_is_not_retried():
    async with StubDirectory("refuses") as stub:
        outcome = await search_providers({"state": "NY", "insurance": "aetna"}, stub.url, backoff_s=0.01)
    assert outcome.status == "unavailable" and stub.requests == 1


async def test_an_unreadable_answer_is_unavailable_not_a_crash():
    async with StubDirectory("garbage") as stub:
        outcome = await search_providers({"state": "NY", "insurance": "aetna"}, stub.url, backoff_s=0.01)
    assert outcome.status == "unavailable" and stub.requests == 1


async def test_nothing_listening_is_unavailable_after_retries():
    outcome = await search_providers({"state": "NY", "insurance": "aetna"}, f"http://127.0.0.1:{servers.free_port()}",
                                     timeout_s=0.5, retries=2, backoff_s=0.01)
    assert outcome.status == "unavailable" and outcome.attempts == 3


async def test_directory_text_is_cleaned_before_anyone_sees_it():
    async with StubDirectory("ok") as stub:
        outcome = await search_providers({"state": "NY", "insurance": "aetna"}, stub.url)
    match = outcome.matches[0]
    assert "\x1b" not in match["name"] and "\u202e" not in match["name"]
    assert match["booking_url"] is None, "only http(s) booking links are passed on"


def say(match, domain, today=None) -> str:
    """One provider as the Rasa server words it: the chosen domain response, filled in."""
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(**match_message(match, today=today))
    return rendered(dispatcher, domain)[0]


def test_a_match_is_one_short_sms_line(domain):
    match = {"name": "Dr. Avery Example (demo)", "credentials": ["PhD", "LMFT"],
             "approaches": ["Psychodynamic", "CBT"], "languages": ["English", "Spanish"],
             "format": ["in_person", "video"], "soonest_appointment": "2030-03-12",
             "booking_url": "https://booking.example.com/demo/providers/7", "distance": 3.2}
    text = say(match, domain, today=dt.date(2030, 3, 11))
    assert text == ("Dr. Avery Example (demo), PhD, LMFT. Psychodynamic, CBT. English, Spanish. "
                    "Video or in person (3.2 mi). Soonest: tomorrow. Book: https://booking.example.com/demo/providers/7")
    assert "\n" not in text and len(text) < 200
    later = say({**match, "format": ["video"], "booking_url": None}, domain, today=dt.date(2030, 3, 1))
    assert later == "Dr. Avery Example (demo), PhD, LMFT. Psychodynamic, CBT. English, Spanish. Video. Soonest: Tue Mar 12."
    undated = say({**match, "soonest_appointment": None}, domain)
    assert undated.endswith("Video or in person (3.2 mi). Book: https://booking.example.com/demo/providers/7")
    assert say({}, domain) == "Provider."


def test_every_match_response_is_in_the_domain(domain):
    assert set(MATCH_RESPONSES.values()) <= set(domain["responses"])


def test_relaxed_preferences_in_plain_words():
    assert relaxed_text(["gender"]) == "the therapist's gender"
    assert relaxed_text(["gender", "language", "distance"]) == (
        "the therapist's gender, the session language and the distance (now up to 75 miles)")
