"""The provider search API over real HTTP, on SQLite and PostgreSQL, checked against a plain-Python reference."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, Dict, List

import pytest

from providers.geo import distance_miles, locate_zip, office_zips
from tests.providers.reference import reference_search

SEARCH = "/v1/providers/search"


async def all_ids(api, params: Dict[str, Any]) -> List[int]:
    """Every result id of a search, walking the pages of 50."""
    ids: List[int] = []
    page = 1
    while True:
        response = await api.get(SEARCH, params={**params, "page": str(page), "page_size": "50"})
        assert response.status == 200, await response.text()
        body = await response.json()
        ids += [r["id"] for r in body["results"]]
        if page >= body["pages"]:
            assert len(ids) == body["total"]
            return ids
        page += 1


def busiest_state(records) -> str:
    return Counter(s for r in records for s in r.licensed_states).most_common(1)[0][0]


def office_zip_with_most_offices(records) -> str:
    counts = Counter(r.office["zip"] for r in records if r.office)
    return counts.most_common(1)[0][0]


@pytest.mark.parametrize("insurance", ["aetna", "self_pay", "medicaid"])
@pytest.mark.parametrize("fmt", ["either", "video"])
async def test_required_filters_return_exactly_the_reference_results(api, directory, insurance, fmt):
    state = busiest_state(directory.records)
    expected = reference_search(directory.records, state=state, insurance=insurance, format=fmt)
    assert expected, "the test directory should have providers for this search"
    got = await all_ids(api, {"state": state, "insurance": insurance, "format": fmt})
    assert got == expected
    # the two filters really filter: every result is licensed there and takes the insurance
    records = {r.id: r for r in directory.records}
    for provider_id in got:
        assert state in records[provider_id].licensed_states
        if insurance == "self_pay":
            assert records[provider_id].accepts_self_pay
        else:
            assert insurance in records[provider_id].insurance


async def test_in_person_keeps_offices_within_max_miles_nearest_breaking_ties(api, directory):
    zip_code = office_zip_with_most_offices(directory.records)
    state = next(r.office["state"] for r in directory.records if r.office and r.office["zip"] == zip_code)
    for max_miles in (5, 25, 200):
        params = {"state": state, "insurance": "self_pay", "format": "in_person", "zip": zip_code,
                  "max_miles": str(max_miles)}
        expected = reference_search(directory.records, state=state, insurance="self_pay", format="in_person",
                                    zip=zip_code, max_miles=max_miles)
        assert await all_ids(api, params) == expected
    response = await api.get(SEARCH, params={**params, "page_size": "50"})
    body = await response.json()
    assert body["query"]["zip_resolution"] == "exact"
    assert body["results"], "offices exist around this ZIP"
    for result in body["results"]:
        assert "in_person" in result["formats"]
        assert result["distance_miles"] is not None and result["distance_miles"] <= 200


@pytest.mark.parametrize("preference,value,check", [
    ("language", "Spanish", lambda r: "Spanish" in r.languages),
    ("gender", "male", lambda r: r.gender == "male"),
    ("approach", "psychodynamic", lambda r: "psychodynamic" in r.approaches),
    ("concerns", "grief,trauma", lambda r: "grief" in r.concerns or "trauma" in r.concerns),
    ("availability", "weekends", lambda r: "weekends" in r.availability),
])
async def test_each_soft_preference_filters_when_required_and_only_ranks_otherwise(
        api, directory, preference, value, check):
    state = busiest_state(directory.records)
    base = {"state": state, "insurance": "self_pay"}
    ref_kwargs = {preference: value.split(",") if preference in ("concerns", "availability") else value}
    required = await all_ids(api, {**base, preference: value, "require": preference})
    assert required == reference_search(directory.records, state=state, insurance="self_pay",
                                        require=[preference], **ref_kwargs)
    records = {r.id: r for r in directory.records}
    assert required and all(check(records[i]) for i in required)
    ranked = await all_ids(api, {**base, preference: value})
    assert ranked == reference_search(directory.records, state=state, insurance="self_pay", **ref_kwargs)
    assert len(ranked) > len(required), "without require, non-matching providers still appear, ranked lower"
    assert ranked[:len(required)] == required


async def test_psychodynamic_providers_rank_first_then_soonest_appointment(api, directory):
    state = busiest_state(directory.records)
    response = await api.get(SEARCH, params={"state": state, "insurance": "self_pay", "approach": "psychodynamic",
                                             "page_size": "50"})
    body = await response.json()
    flags = [r["matched"]["approach"] for r in body["results"]]
    assert True in flags
    first_false = flags.index(False) if False in flags else len(flags)
    assert all(flags[:first_false]) and not any(flags[first_false:]), "every psychodynamic match comes first"
    for result in body["results"]:
        assert result["matched"]["approach"] == ("psychodynamic" in [a["id"] for a in result["approaches"]])
    # within one score, the soonest appointment comes first
    keys = [(-r["score"], r["soonest_appointment_in_days"]) for r in body["results"]]
    assert keys == sorted(keys)


async def test_soonest_appointment_orders_results_without_preferences_and_dates_are_relative_to_today(api, directory):
    state = busiest_state(directory.records)
    body = await (await api.get(SEARCH, params={"state": state, "insurance": "self_pay", "page_size": "50"})).json()
    days = [r["soonest_appointment_in_days"] for r in body["results"]]
    assert days == sorted(days) and days[0] >= 1
    today = dt.date.today()
    for r in body["results"]:
        assert dt.date.fromisoformat(r["soonest_appointment"]) - today == dt.timedelta(days=r["soonest_appointment_in_days"])


async def test_combined_preferences_rank_like_the_reference(api, directory):
    zip_code = office_zip_with_most_offices(directory.records)
    state = locate_zip(zip_code).state
    params = {"state": state, "insurance": "self_pay", "zip": zip_code, "approach": "psychodynamic",
              "concerns": "depression,anxiety,grief", "availability": "evenings,weekends", "language": "Spanish",
              "gender": "female"}
    expected = reference_search(directory.records, state=state, insurance="self_pay", zip=zip_code,
                                approach="psychodynamic", concerns=["depression", "anxiety", "grief"],
                                availability=["evenings", "weekends"], language="Spanish", gender="female")
    assert await all_ids(api, params) == expected


async def test_pagination_walks_every_result_once(api, directory):
    state = busiest_state(directory.records)
    params = {"state": state, "insurance": "self_pay", "concerns": "anxiety"}
    first = await (await api.get(SEARCH, params={**params, "page_size": "7"})).json()
    total, pages = first["total"], first["pages"]
    assert total > 14 and pages == -(-total // 7)
    seen = []
    for page in range(1, pages + 1):
        body = await (await api.get(SEARCH, params={**params, "page_size": "7", "page": str(page)})).json()
        assert body["page"] == page and body["total"] == total
        assert len(body["results"]) == (7 if page < pages else total - 7 * (pages - 1))
        seen += [r["id"] for r in body["results"]]
    assert len(seen) == len(set(seen)) == total
    past_end = await (await api.get(SEARCH, params={**params, "page_size": "7", "page": str(pages + 1)})).json()
    assert past_end["results"] == [] and past_end["total"] == total


async def test_no_result_is_an_empty_page_not_an_error(api, directory):
    # Kaiser Permanente only operates in a few states in the demo directory
    response = await api.get(SEARCH, params={"state": "AK", "insurance": "Kaiser Permanente", "format": "video",
                                             "require": "gender", "gender": "nonbinary"})
    assert response.status == 200
    body = await response.json()
    assert body["total"] == 0 and body["results"] == [] and body["pages"] == 0


async def test_names_and_aliases_are_accepted_and_echoed_normalised(api):
    response = await api.get(SEARCH, params={"state": "new york", "insurance": "Blue Cross Blue Shield",
                                             "format": "in person", "zip": "10025", "language": "spanish",
                                             "approach": "Psychodynamic", "concerns": "Grief and loss,other"})
    assert response.status == 200, await response.text()
    query = (await response.json())["query"]
    assert query["state"] == "NY" and query["insurance"] == "blue_cross_blue_shield"
    assert query["format"] == "in_person" and query["language"] == "Spanish" and query["approach"] == "psychodynamic"
    assert query["concerns"] == ["grief"]
    assert query["zip_resolution"] == "approximate"  # 10025 is not in the small table: placed by its ZIP area


async def test_result_shape_has_everything_the_assistant_shows(api, directory):
    state = busiest_state(directory.records)
    body = await (await api.get(SEARCH, params={"state": state, "insurance": "aetna", "page_size": "3"})).json()
    for r in body["results"]:
        assert r["name"].endswith("(demo)") and r["fictional"] is True
        assert r["credentials"] and r["approaches"] and r["languages"] and r["formats"]
        assert r["booking_url"].startswith("https://booking.example.com/")
        assert {"id": "aetna", "label": "Aetna"} in r["insurance"]
        record = next(x for x in directory.records if x.id == r["id"])
        assert r["credentials"] == record.credentials
        assert [a["id"] for a in r["approaches"]] == record.approaches
        assert sorted(r["languages"]) == sorted(record.languages)


BAD_REQUESTS = [
    ({"insurance": "aetna"}, ["state"]),
    ({"state": "NY"}, ["insurance"]),
    ({"state": "ZZ", "insurance": "aetna"}, ["state"]),
    ({"state": "NY", "insurance": "Acme Health"}, ["insurance"]),
    ({"state": "NY", "insurance": "aetna", "format": "carrier pigeon"}, ["format"]),
    ({"state": "NY", "insurance": "aetna", "format": "in_person"}, ["zip"]),
    ({"state": "NY", "insurance": "aetna", "zip": "1234"}, ["zip"]),
    ({"state": "NY", "insurance": "aetna", "zip": "00000"}, ["zip"]),
    ({"state": "NY", "insurance": "aetna", "max_miles": "0"}, ["max_miles"]),
    ({"state": "NY", "insurance": "aetna", "max_miles": "ten"}, ["max_miles"]),
    ({"state": "NY", "insurance": "aetna", "gender": "robot"}, ["gender"]),
    ({"state": "NY", "insurance": "aetna", "language": "Klingon"}, ["language"]),
    ({"state": "NY", "insurance": "aetna", "approach": "astrology"}, ["approach"]),
    ({"state": "NY", "insurance": "aetna", "concerns": "a,b,c,d,e,f"}, ["concerns"]),
    ({"state": "NY", "insurance": "aetna", "concerns": "boredom"}, ["concerns"]),
    ({"state": "NY", "insurance": "aetna", "availability": "midnight"}, ["availability"]),
    ({"state": "NY", "insurance": "aetna", "require": "gender"}, ["require"]),
    ({"state": "NY", "insurance": "aetna", "require": "insurance"}, ["require"]),
    ({"state": "NY", "insurance": "aetna", "page": "0"}, ["page"]),
    ({"state": "NY", "insurance": "aetna", "page_size": "51"}, ["page_size"]),
    ({"state": "NY", "insurance": "aetna", "page_size": "-1"}, ["page_size"]),
    ({"state": "NY", "insurance": "aetna", "colour": "blue"}, ["colour"]),
    ({"state": "NY' OR '1'='1", "insurance": "aetna"}, ["state"]),
    ({"state": "NY", "insurance": "x" * 5000}, ["insurance"]),
    ({"state": "Нью-Йорк", "insurance": "保险"}, ["state", "insurance"]),
    ({"state": "ZZ", "format": "bad", "page": "x"}, ["state", "insurance", "format", "page"]),
]


@pytest.mark.parametrize("params,bad_parameters", BAD_REQUESTS)
async def test_bad_parameters_get_a_400_naming_each_one(api, params, bad_parameters):
    response = await api.get(SEARCH, params=params)
    assert response.status == 400
    body = await response.json()
    assert body["error"] == "invalid_parameters"
    named = [d["parameter"] for d in body["details"]]
    assert sorted(set(named)) == sorted(bad_parameters)
    assert all(d["message"] for d in body["details"])
    text = await response.text()
    assert "OR '1'='1" not in text and "xxxxxxxxxx" not in text, "inputs are not echoed back"


async def test_repeated_parameter_is_refused(api):
    response = await api.get(SEARCH + "?state=NY&state=CA&insurance=aetna")
    assert response.status == 400
    assert [d["parameter"] for d in (await response.json())["details"]] == ["state"]


async def test_provider_by_id(api, directory):
    record = directory.records[10]
    response = await api.get(f"/v1/providers/{record.id}")
    assert response.status == 200
    body = await response.json()
    assert body["name"] == record.name and body["licensed_states"] == sorted(record.licensed_states)
    assert "score" not in body
    missing = await api.get("/v1/providers/999999")
    assert missing.status == 404 and (await missing.json())["error"] == "not_found"
    bad = await api.get("/v1/providers/abc")
    assert bad.status == 400 and (await bad.json())["details"][0]["parameter"] == "provider_id"


async def test_health_and_unknown_paths_answer_json(api):
    health = await api.get("/healthz")
    assert health.status == 200 and (await health.json()) == {"status": "ok", "database": "ok"}
    unknown = await api.get("/v2/whatever")
    assert unknown.status == 404 and (await unknown.json())["error"] == "not_found"
    assert health.headers["X-Content-Type-Options"] == "nosniff"


def test_office_distances_use_one_formula():
    nyc, newark = locate_zip("10001"), next(o for o in office_zips() if o["city"] == "Newark" and o["state"] == "NJ")
    miles = distance_miles(nyc.lat, nyc.lon, newark["lat"], newark["lon"])
    assert 7 < miles < 12  # Manhattan to Newark is about 9 miles
