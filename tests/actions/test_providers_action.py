"""action_search_providers against the real provider directory, and against one that fails."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from actions import providers as providers_action
from actions.preferences import search_preferences
from actions.providers import ActionSearchProviders
from tests.actions.conftest import FILLED, make_tracker, rendered, responses

OPEN_PREFS = {**FILLED, "language": "any", "availability": "any", "approach": "open", "state": "CA",
              "insurance": "self_pay"}


def test_preferences_sent_to_the_search():
    tracker = make_tracker(active_loop=None, slots={**FILLED, "format": "in_person", "zip": "43215"})
    assert search_preferences(tracker) == {
        "state": "OH", "insurance": "Aetna", "format": "in_person", "zip": "43215", "gender": None,
        "language": "Spanish", "availability": "evenings", "approach": "psychodynamic", "concern": "anxiety"}


@pytest.mark.e2e
async def test_real_directory_shows_three_matches_and_offers_a_callback(provider_server, monkeypatch, dispatcher,
                                                                       domain, sqlite_store):
    monkeypatch.setenv("PROVIDER_SEARCH_URL", provider_server.url)
    tracker = make_tracker(text="yes", intent="affirm", active_loop=None, slots=OPEN_PREFS, sender_id="conv-search")
    assert await ActionSearchProviders().run(dispatcher, tracker, domain) == []
    names = responses(dispatcher)
    assert names[0] in ("utter_matches_intro", "utter_match_relaxed")
    assert names[-1] == "utter_offer_callback"
    match_texts = [text for text in rendered(dispatcher, domain) if "Book: http" in text]
    assert len(match_texts) == 3
    record = sqlite_store.get_inquiry("conv-search")
    assert len(record["matches"]) == 3 and record["matches"][0]["name"]


async def _start(app: web.Application):
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def failing_directory():
    calls = {"n": 0}
    release = asyncio.Event()

    async def broken(request):
        calls["n"] += 1
        return web.json_response({"error": "boom"}, status=500)

    async def slow(request):
        calls["n"] += 1
        try:
            await asyncio.wait_for(release.wait(), 5)
        except asyncio.TimeoutError:
            pass
        return web.json_response({"results": []})

    app = web.Application()
    app.router.add_get("/broken/v1/providers/search", broken)
    app.router.add_get("/slow/v1/providers/search", slow)
    runner, url = await _start(app)
    yield url, calls
    release.set()  # let hanging handlers finish before the server stops
    await asyncio.sleep(0.05)
    await runner.cleanup()


@pytest.mark.parametrize("path", ["broken", "slow"])
async def test_directory_down_gets_a_clear_message_and_a_way_forward(failing_directory, path, monkeypatch,
                                                                     dispatcher, domain, recording_store):
    url, calls = failing_directory
    monkeypatch.setenv("PROVIDER_SEARCH_URL", f"{url}/{path}")
    monkeypatch.setattr(providers_action, "SEARCH_TIMEOUT_S", 0.3)
    tracker = make_tracker(text="yes", intent="affirm", active_loop=None, slots=OPEN_PREFS)
    assert await ActionSearchProviders().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_search_unavailable", "utter_offer_callback"]
    assert calls["n"] >= 2  # retried before giving up
    assert recording_store.calls == []  # nothing shown, nothing recorded as shown


async def test_no_search_for_people_we_cannot_serve(dispatcher, domain, monkeypatch):
    async def must_not_be_called(*args, **kwargs):
        raise AssertionError("searched anyway")

    monkeypatch.setattr(providers_action.provider_relaxation, "search_providers", must_not_be_called)
    tracker = make_tracker(active_loop=None, slots={"concern": "anxiety", "age_range": "under_18"})
    assert await ActionSearchProviders().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_search_not_possible"]


async def test_relaxed_and_empty_outcomes_are_explained(dispatcher, domain, monkeypatch, recording_store):
    from actions import provider_relaxation

    match = {"name": "Dr. Demo Example", "credentials": ["PhD"], "approaches": ["Psychodynamic"],
             "languages": ["English"], "format": ["video"], "soonest_appointment": None,
             "booking_url": "https://booking.example.com/1", "distance": None}
    outcomes = iter([provider_relaxation.SearchOutcome("relaxed", [match], ["gender"]),
                     provider_relaxation.SearchOutcome("none", [], ["gender", "language"])])

    async def fake_search(preferences, base_url=None, **kwargs):
        return next(outcomes)

    monkeypatch.setattr(providers_action.provider_relaxation, "search_providers", fake_search)
    tracker = make_tracker(active_loop=None, slots=OPEN_PREFS)
    await ActionSearchProviders().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_match_relaxed", "utter_matches_intro", "utter_provider_match_without_date",
                                     "utter_offer_callback"]
    texts = rendered(dispatcher, domain)
    assert texts[0].endswith("so I widened the search: the therapist's gender.")
    assert texts[2] == "Dr. Demo Example, PhD. Psychodynamic. English. Video. Book: https://booking.example.com/1"
    dispatcher.messages.clear()
    await ActionSearchProviders().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_no_matches", "utter_offer_callback"]
    assert recording_store.calls[-1] == ("save_matches", "test-conversation", [], ["gender", "language"])
