"""Provider directory API (`python -m providers serve`): junk, huge and wrongly typed query
parameters, junk ids, other methods and paths (routes from providers/app.py and openapi.json).

Expected: a 4xx whose JSON names the problem in `error`, or a 200, never a 5xx or a hang; and a
valid search answers right after.
"""
from __future__ import annotations

import json
from importlib import resources

import pytest

from tests.bad_input.probe import Reply, assert_json_error, http
from tests.bad_input.values import EMAILS, PHONES

pytestmark = pytest.mark.e2e

SEARCH = "/v1/providers/search"
VALID_SEARCH = {"state": "NY", "insurance": "aetna"}
OPENAPI = json.loads(resources.files("providers.data").joinpath("openapi.json").read_text(encoding="utf-8"))
SEARCH_PARAMETERS = [p["name"] for p in OPENAPI["paths"][SEARCH]["get"]["parameters"]]

JUNK_VALUES = [
    ("empty", ""), ("blank", "   "), ("nul", "\x00"), ("controls", "\x01\x1b[31m\x7f"), ("sql", "'; DROP TABLE providers;--"),
    ("html", "<script>alert(1)</script>"), ("huge-number", "9" * 5000), ("negative", "-1"), ("zero", "0"),
    ("float", "1.5"), ("exponent", "1e3"), ("fullwidth-digits", "１２"), ("arabic-digits", "٣"),
    ("superscript-digit", "²"), ("circled-digit", "①"), ("nan", "NaN"),
    ("infinity", "Infinity"), ("bool", "true"), ("json-list", "[1,2]"), ("json-object", '{"$ne": null}'),
    ("emoji", "😀"), ("rtl", "\u202eYN"), ("email", EMAILS[0]), ("phone", PHONES[0]), ("long-text", "a" * 3000),
    ("commas", ",,,,"), ("many-items", ",".join(["anxiety"] * 500)), ("percent", "%00%ff%"), ("surrogate-escape", "\udcff"),
]


def assert_search_works(provider_server) -> None:
    reply = http("GET", provider_server.url + SEARCH, params=VALID_SEARCH)
    assert reply.status == 200, (reply.status, reply.text[:200])
    assert reply.json()["results"], reply.json()


def assert_ok_or_json_error(reply: Reply, *, http_layer: bool = False) -> None:
    """200, or a JSON refusal from the app; `http_layer`: aiohttp's own parser may refuse first, in text."""
    if http_layer and reply.status == 400 and reply.content_type.startswith("text/plain"):
        return
    if reply.status == 200:
        assert isinstance(reply.json(), dict)
    else:
        assert_json_error(reply)


def _value(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")  # "\udcff" goes out as the raw byte 0xff


@pytest.mark.parametrize("value", [pytest.param(v, id=k) for k, v in JUNK_VALUES])
@pytest.mark.parametrize("parameter", SEARCH_PARAMETERS)
def test_junk_value_in_each_search_parameter(provider_server, parameter, value):
    params = {**VALID_SEARCH, parameter: value}
    reply = http("GET", provider_server.url + SEARCH, params={k: _value(v) for k, v in params.items()})
    assert_ok_or_json_error(reply)
    if reply.status == 400:
        assert reply.json()["error"] == "invalid_parameters" and reply.json()["details"]
        assert len(value.strip()) < 4 or value not in reply.text  # problems never echo what was sent
    assert_search_works(provider_server)


QUERY_STRINGS = [
    ("none", ""), ("unknown-parameter", "state=NY&insurance=aetna&colour=blue"),
    ("repeated", "state=NY&state=CA&insurance=aetna"), ("no-value", "state&insurance"),
    ("only-separators", "&&&===&&&"), ("bare-percent", "state=%&insurance=%G1"),
    ("invalid-utf8", "state=%ff%fe&insurance=%c3%28"), ("encoded-nul-key", "%00=1&state=NY&insurance=aetna"),
    ("many-parameters", "&".join(f"p{i}=1" for i in range(1000))),
    ("long-key", "k" * 7000 + "=1"),
    ("array-syntax", "state[]=NY&insurance[$ne]=x"), ("semicolons", "state=NY;insurance=aetna"),
    ("plus-and-space", "state=N+Y&insurance=blue+cross+blue+shield"),
]


@pytest.mark.parametrize("query", [pytest.param(q, id=k) for k, q in QUERY_STRINGS])
def test_malformed_query_strings(provider_server, query):
    assert_ok_or_json_error(http("GET", f"{provider_server.url}{SEARCH}?{query}"))
    assert_search_works(provider_server)


def test_url_over_the_http_line_limit(provider_server):
    assert_ok_or_json_error(http("GET", f"{provider_server.url}{SEARCH}?state=" + "N" * 20_000), http_layer=True)
    assert_search_works(provider_server)


PROVIDER_IDS = [
    "0", "-1", "1.5", "1e3", "abc", "9" * 9, "9" * 10, "9" * 5000, "%00", "%ff", "１", "٣", "²", "①", "%20", "1%0a",
    "..%2f..%2fetc",
    "null", "%7B%7D", "1;DROP", "%E2%80%AE1", "1/", "1/2",
]


@pytest.mark.parametrize("provider_id", PROVIDER_IDS)
def test_junk_provider_id(provider_server, provider_id):
    reply = http("GET", f"{provider_server.url}/v1/providers/{provider_id}")
    assert_json_error(reply, 400, 404)
    assert_search_works(provider_server)


@pytest.mark.parametrize("path", [SEARCH, "/v1/providers/1", "/healthz", "/openapi.json"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_refused_in_json(provider_server, method, path):
    assert_json_error(http(method, provider_server.url + path, data=b'{"state": "NY"}'), 405)
    assert_search_works(provider_server)


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/providers", "/v2/providers/search", "/%00", "/" + "a" * 5000,
                                  "/openapi.json/..", "/v1/providers/search/", "/healthz?x=%00"])
def test_unknown_paths_are_json_404s(provider_server, path):
    reply = http("GET", provider_server.url + path)
    assert_ok_or_json_error(reply)
    assert_search_works(provider_server)


@pytest.mark.parametrize("headers", [
    pytest.param({"Content-Type": "application/json"}, id="body-on-get"),
    pytest.param({"Accept": "application/xml"}, id="accept-xml"),
    pytest.param({"Accept-Encoding": "br, zstd, \x01"}, id="odd-encoding"),
    pytest.param({"X-Forwarded-For": "' OR 1=1"}, id="forwarded-junk"),
    pytest.param({"Host": "\u00e9" * 100}, id="host-junk"),
])
def test_odd_headers_on_a_search(provider_server, headers):
    data = b"hello" if "Content-Type" in headers else None
    reply = http("GET", provider_server.url + SEARCH, params=VALID_SEARCH, headers=headers, data=data)
    assert_ok_or_json_error(reply, http_layer=True)
    assert_search_works(provider_server)
