"""The service when its database is down, and the OpenAPI description kept in step with the code."""
from __future__ import annotations

import json
from importlib import resources

from aiohttp.test_utils import TestClient, TestServer

from providers.app import create_app
from providers.params import KNOWN_PARAMETERS
from providers.vocabulary import SELF_PAY, vocabulary


async def test_database_down_gives_503_json_not_a_crash():
    # nothing listens on port 1: every connection is refused at once, like a crashed database server
    app = create_app("postgresql://postgres@127.0.0.1:1/providers")
    async with TestClient(TestServer(app)) as client:
        search = await client.get("/v1/providers/search", params={"state": "NY", "insurance": "aetna"})
        assert search.status == 503
        body = await search.json()
        assert body["error"] == "directory_unavailable" and "127.0.0.1" not in json.dumps(body)
        health = await client.get("/healthz")
        assert health.status == 503 and (await health.json())["status"] == "unavailable"
        # validation still answers without the database
        bad = await client.get("/v1/providers/search", params={"state": "NY"})
        assert bad.status == 400


def load_spec():
    return json.loads(resources.files("providers.data").joinpath("openapi.json").read_text())


async def test_openapi_is_served_and_describes_every_route():
    spec = load_spec()
    assert spec["openapi"].startswith("3.")
    app = create_app("postgresql://postgres@127.0.0.1:1/providers")
    routes = {r.resource.canonical for r in app.router.routes()}
    assert routes == set(spec["paths"])
    async with TestClient(TestServer(app)) as client:
        served = await client.get("/openapi.json")
        assert served.status == 200 and (await served.json()) == spec


def test_openapi_parameters_match_the_validator_and_the_vocabulary():
    spec = load_spec()
    parameters = {p["name"]: p for p in spec["paths"]["/v1/providers/search"]["get"]["parameters"]}
    assert list(parameters) == list(KNOWN_PARAMETERS)
    vocab = vocabulary()
    assert parameters["state"]["schema"]["enum"] == list(vocab["states"])
    assert parameters["insurance"]["schema"]["enum"] == list(vocab["carriers"]) + [SELF_PAY]
    assert parameters["language"]["schema"]["enum"] == list(vocab["languages"])
    assert parameters["approach"]["schema"]["enum"] == list(vocab["approaches"]) + ["open"]
    assert parameters["concerns"]["x-items-enum"] == list(vocab["concerns"]) + ["other"]
    assert parameters["availability"]["x-items-enum"] == list(vocab["availability"])
    # every $ref points at a schema that exists
    text = json.dumps(spec)
    for name in spec["components"]["schemas"]:
        assert f"#/components/schemas/{name}" in text or name == "SearchResult"
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in spec["components"]["schemas"]
