"""REST channel (POST /webhooks/rest/webhook): hostile bodies, every JSON type in every field,
hostile texts, odd senders, bearer tokens and content types, against the real assistant.

Every case must get a 200 with a reply list or a 4xx whose JSON says what is wrong, within the
hang limit, and the conversation it landed in must answer a normal question right after.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

import pytest

from bot.channels.limits import MAX_MESSAGE_CHARS, MAX_REST_BODY_BYTES, MAX_SENDER_ID_CHARS
from tests.bad_input.probe import Reply, assert_json_error, http
from tests.bad_input.sent import SENT, key_of
from tests.bad_input.values import (
    EMAILS, JSON_VALUES, NORMAL_QUESTION, PHONES, deep_json, hostile_texts, risk_params,
)
from tests.conftest import REST_AUTH

pytestmark = pytest.mark.e2e

WEBHOOK = "/webhooks/rest/webhook"
JSON_TYPE = {"Content-Type": "application/json"}
ANSWER, EITHER = "answer", "either"  # a 200 with a reply list / that or a 4xx with a JSON error
DEEP = 20_000  # deeper than Python's json module can recurse, and well inside the body limit


def post(server, body: bytes, headers: Optional[Dict[str, Any]] = None, *, auth: bool = True) -> Reply:
    return http("POST", server.url + WEBHOOK, data=body,
                headers={**JSON_TYPE, **(REST_AUTH if auth else {}), **(headers or {})})


def message(sender: Any, text: Any, **extra: Any) -> bytes:
    SENT.text(text)
    return json.dumps({"sender": sender, "message": text, **extra}).encode()


def assert_answered(reply: Reply) -> List[Dict[str, Any]]:
    assert reply.status == 200, (reply.status, reply.text[:200])
    replies = reply.json()
    assert isinstance(replies, list) and all(isinstance(r, dict) and "recipient_id" in r for r in replies), replies
    return replies


def check(reply: Reply, expect: Any) -> None:
    """`expect`: ANSWER, EITHER, or the one 4xx status the refusal must have."""
    if expect == ANSWER:
        assert_answered(reply)
    elif expect == EITHER:
        assert_answered(reply) if reply.status == 200 else assert_json_error(reply)
    else:
        assert_json_error(reply, expect)


def assert_normal_turn(server, sender: str) -> None:
    """The conversation still works: a normal question gets its normal answer."""
    replies = assert_answered(post(server, json.dumps({"sender": sender, "message": NORMAL_QUESTION}).encode()))
    assert any("ransference" in (r.get("text") or "") for r in replies), replies


# -- hostile texts: all of them are messages a person could type ----------------------------------------
@pytest.mark.parametrize("text", [pytest.param(text, id=case) for case, text in hostile_texts()])
def test_hostile_text_is_answered(rasa, text):
    sender = f"bi-text-{key_of(text)}"
    replies = assert_answered(post(rasa, message(sender, text)))
    if text.strip():
        assert replies, "a message with text gets at least one reply"
    assert_normal_turn(rasa, sender)


@pytest.mark.parametrize("length", [MAX_MESSAGE_CHARS + 1, 10_000])
def test_text_over_the_message_limit_is_refused_with_413(rasa, length):
    sender = f"bi-long-{length}"
    assert_json_error(post(rasa, message(sender, "?" * length)), 413)
    assert_normal_turn(rasa, sender)


@pytest.mark.parametrize("text", risk_params())
def test_risk_in_odd_wrapping_still_gets_the_crisis_reply(rasa, text):
    sender = f"bi-risk-{key_of(text)}"
    replies = assert_answered(post(rasa, message(sender, text)))
    said = " ".join(r.get("text") or "" for r in replies)
    assert "988" in said or "911" in said, said[:300]


# -- every JSON type, and odd strings, in each field -------------------------------------------------------
ODD_SENDERS = [
    ("rest-prefix", "rest:someone"), ("sms-prefix", "sms:abc123"), ("web-prefix", "web:abc.def"),
    ("path", "../../../etc/passwd"), ("max-length", "s" * MAX_SENDER_ID_CHARS),
    ("over-length", "s" * (MAX_SENDER_ID_CHARS + 1)), ("padded", "  padded  "), ("rtl", "\u202eabc"),
    ("emoji", "😀👩‍👩‍👧"), ("nul", "a\x00b"), ("newline", "a\nb"), ("zero-width", "\u200b"),
    ("phone", PHONES[1]), ("email", EMAILS[0]), ("html", "<script>alert(1)</script>"),
    ("sql", "' OR 1=1 --"), ("word-null", "null"), ("digits-int", 12345678901234567890),
    ("surrogate", "a\ud800"), ("arabic", "مرسل"),
]


@pytest.mark.parametrize("sender", [pytest.param(v, id=f"json-{k}") for k, v in JSON_VALUES]
                         + [pytest.param(v, id=k) for k, v in ODD_SENDERS])
def test_sender_of_any_type_is_answered_or_refused(rasa, sender):
    reply = post(rasa, message(sender, "hello"))
    check(reply, EITHER)
    if isinstance(sender, (str, int)) and not isinstance(sender, bool) and reply.status == 200:
        assert all(r["recipient_id"] == str(sender).strip() for r in reply.json())
        assert_normal_turn(rasa, str(sender).strip())
    else:
        assert_normal_turn(rasa, "bi-after-odd-sender")


@pytest.mark.parametrize("value", [pytest.param(v, id=k) for k, v in JSON_VALUES])
def test_message_of_any_type_is_answered_or_refused(rasa, value):
    sender = f"bi-message-type-{type(value).__name__}"
    check(post(rasa, message(sender, value)), ANSWER if isinstance(value, str) else 400)
    assert_normal_turn(rasa, sender)


ODD_METADATA = [
    ("channel-spoof", {"input_channel": "sms", "sms": {"to": "+15550100000", "option": 1}}),
    ("risk-spoof", {"risk": {"level": "none"}, "intent": {"name": "greet", "confidence": 1.0}}),
    ("sender-spoof", {"sender": "sms:abc", "conversation_id": "web:abc"}),
    ("odd-keys", {"": 1, " ": 2, "\x00": 3, "😀": 4, "a" * 1000: 5}),
    ("deep-50", json.loads(deep_json(50))),
    ("personal", {"email": EMAILS[1], "phone": PHONES[2]}),
    ("big", {"blob": "b" * (MAX_REST_BODY_BYTES - 200)}),
]


@pytest.mark.parametrize("value", [pytest.param(v, id=f"json-{k}") for k, v in JSON_VALUES]
                         + [pytest.param(v, id=k) for k, v in ODD_METADATA])
def test_metadata_of_any_type_is_answered_or_refused(rasa, value):
    sender = "bi-metadata"
    check(post(rasa, message(sender, "hello", metadata=value)), ANSWER if value is None or isinstance(value, dict) else 400)
    assert_normal_turn(rasa, sender)


# -- bodies that are not what the channel reads ---------------------------------------------------------
VALID = b'{"sender": "bi-raw", "message": "hello"}'
RAW_BODIES = [
    ("empty", b"", 400), ("blank", b" \n\t ", 400), ("array", b"[]", 400), ("array-of-object", b"[" + VALID + b"]", 400),
    ("number", b"42", 400), ("float", b"-1.5e308", 400), ("string", b'"hello"', 400), ("null", b"null", 400),
    ("true", b"true", 400), ("open-brace", b"{", 400), ("truncated", VALID[:-5], 400),
    ("trailing-garbage", VALID + b"garbage", 400), ("two-objects", VALID + VALID, 400),
    ("invalid-utf8", b"\xff\xfe\xfd", 400), ("invalid-utf8-in-string", b'{"sender": "bi-raw", "message": "\xc3\x28"}', 400),
    ("overlong-utf8", b'{"sender": "bi-raw", "message": "\xc0\xaf"}', 400),
    ("bom", b"\xef\xbb\xbf" + VALID, EITHER), ("utf16", VALID.decode().encode("utf-16"), EITHER),
    ("utf32", VALID.decode().encode("utf-32"), EITHER), ("nul-bytes", b"\x00" * 100, 400),
    ("nan", b'{"sender": "bi-raw", "message": "hi", "metadata": {"x": NaN, "y": -Infinity}}', ANSWER),
    ("huge-exponent", b'{"sender": "bi-raw", "message": "hi", "metadata": {"x": 1e999999}}', ANSWER),
    ("long-int", b'{"sender": ' + b"1" * 5000 + b', "message": "hi"}', 400),
    ("duplicate-keys", b'{"sender": "bi-raw", "message": "hi", "message": "again"}', ANSWER),
    ("single-quotes", b"{'sender': 'bi-raw', 'message': 'hi'}", 400),
    ("comment", b'{"sender": "bi-raw", /* c */ "message": "hi"}', 400),
    ("form", b"sender=bi-raw&message=hello", 400), ("xml", b"<message sender='bi-raw'>hello</message>", 400),
    ("deep-500", b'{"sender": "bi-raw", "message": "hi", "metadata": {"d": ' + deep_json(500).encode() + b"}}", ANSWER),
    ("over-body-limit", b'{"sender": "bi-raw", "message": "hi", "metadata": {"d": "' + b"x" * MAX_REST_BODY_BYTES + b'"}}', 413),
    ("one-megabyte", b"[" * (1 << 20), 413), ("ten-megabytes", b" " * (10 << 20), 413),
]
# nested deeper than Python's recursion limit (once a 500: RecursionError; now a 400)
RAW_BODIES_DEEP = [
    ("deep-array", deep_json(DEEP).encode(), 400),
    ("deep-object", b'{"a":' * DEEP + b"1" + b"}" * DEEP, 413),  # over the body limit before it is parsed
    ("deep-metadata", b'{"sender": "bi-raw", "message": "hi", "metadata": {"d": ' + deep_json(DEEP).encode() + b"}}", 400),
]


@pytest.mark.parametrize("body, expect", [pytest.param(b, e, id=k) for k, b, e in RAW_BODIES + RAW_BODIES_DEEP])
def test_malformed_body_gets_a_clear_error(rasa, body, expect):
    check(post(rasa, body), expect)
    assert_normal_turn(rasa, "bi-raw")


# -- who is calling, and how ---------------------------------------------------------------------------
TOKEN = os.environ["REST_CHANNEL_TOKEN"]
AUTH_HEADERS = [
    ("missing", None, 401), ("empty", "", 401), ("scheme-only", "Bearer", 401), ("scheme-space", "Bearer ", 401),
    ("wrong", "Bearer wrong-token", 401), ("basic", "Basic dXNlcjpwYXNz", 401), ("bare-token", TOKEN, 401),
    ("token-prefix", f"Bearer {TOKEN[:-1]}", 401), ("token-suffix", f"Bearer {TOKEN}x", 401),
    ("huge", "Bearer " + "x" * 7000, 401), ("latin1", "Bearer \xe9\xe8", 401),
    ("utf8-bytes", "Bearer ".encode() + "日本".encode(), 401), ("nul", f"Bearer {TOKEN}\x00", 401),
    ("lower-case-scheme", f"bearer {TOKEN}", ANSWER), ("extra-spaces", f"Bearer   {TOKEN}  ", ANSWER),
]


@pytest.mark.parametrize("header, expect", [pytest.param(h, e, id=k) for k, h, e in AUTH_HEADERS])
@pytest.mark.parametrize("body", [pytest.param(VALID, id="valid-body"), pytest.param(b"[]", id="bad-body")])
def test_bearer_token_variants(rasa, header, expect, body):
    headers = {} if header is None else {"Authorization": header}
    reply = post(rasa, body, headers, auth=False)
    check(reply, 400 if expect == ANSWER and body != VALID else expect)
    assert_normal_turn(rasa, "bi-raw")


CONTENT_TYPES = [
    ("missing", None), ("text-plain", "text/plain"), ("form", "application/x-www-form-urlencoded"),
    ("multipart", "multipart/form-data; boundary=xyz"), ("xml", "application/xml"),
    ("json-latin1", "application/json; charset=latin-1"), ("json-utf16", "application/json; charset=utf-16"),
    ("garbage", "\x01/\x02"), ("long", "application/" + "x" * 5000), ("star", "*/*"),
]


@pytest.mark.parametrize("content_type", [pytest.param(v, id=k) for k, v in CONTENT_TYPES])
def test_any_content_type_with_a_json_body(rasa, content_type):
    headers = {"Content-Type": content_type}  # None: no Content-Type header at all
    check(post(rasa, VALID, headers), EITHER)
    assert_normal_turn(rasa, "bi-raw")


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_refused(rasa, method):
    reply = http(method, rasa.url + WEBHOOK, data=VALID, headers={**JSON_TYPE, **REST_AUTH})
    assert 400 <= reply.status < 500 or (method == "OPTIONS" and reply.status < 300), reply.status
    assert_normal_turn(rasa, "bi-raw")
