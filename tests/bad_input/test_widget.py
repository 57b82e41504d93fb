"""The web widget's socket.io channel (python-socketio client, polling, path /socket.io): junk
session requests, junk user_uttered payloads, messages without a session, oversized messages.

Expected: nothing crashes, nothing hangs, and the next proper message is answered. Cases that
only need a conversation share one connection (one client per module); cases about sessions
and connections get their own.
"""
from __future__ import annotations

import json
import re

import pytest

from bot.channels.limits import MAX_MESSAGE_CHARS
from tests.bad_input.probe import Hang, http
from tests.bad_input.sent import SENT
from tests.bad_input.values import (
    EMAILS, JSON_VALUES, NORMAL_QUESTION, PHONES, deep_json, hostile_texts, risk_params,
)
from tests.bad_input.widget import WidgetClient

pytestmark = pytest.mark.e2e

ISSUED_SESSION = re.compile(r"^[0-9a-f]{32}\.[0-9a-f]{32}$")
TOO_LONG_NOTICE = "longer than I can read"


@pytest.fixture(scope="module")
def shared(rasa):
    """One widget connection with a session, for the cases that only need a conversation."""
    client = WidgetClient(rasa.url).connect()
    client.request_session()
    yield client
    client.close()


@pytest.fixture
def conversation(shared):
    """The shared connection, in a conversation of this case's own (a long one would slow every turn)."""
    ensure_connected(shared)
    shared.request_session({"session_id": None}, raw=True)
    return shared


@pytest.fixture
def fresh(rasa):
    client = WidgetClient(rasa.url).connect()
    yield client
    client.close()


def ensure_connected(client: WidgetClient) -> None:
    """If the server dropped the connection (allowed for junk), a new one resumes the conversation."""
    if not client.connected:
        client.reconnect()


def user_uttered(client: WidgetClient, data) -> int:
    """Send a message and wait until the server has handled it (its whole turn)."""
    if isinstance(data, dict):
        SENT.text(data.get("message"))
    return client.call("user_uttered", data)


# -- hostile texts in a proper message ------------------------------------------------------------------
@pytest.mark.parametrize("text", [pytest.param(t, id=case) for case, t in hostile_texts()])
def test_hostile_text_is_answered_and_the_next_message_too(conversation, text):
    mark = user_uttered(conversation, {"message": text, "session_id": conversation.session_id})
    if text.strip():
        assert conversation.wait_for("bot_uttered", mark), "a message with text gets a reply"
    conversation.ask_normal_question()


@pytest.mark.parametrize("text", risk_params())
def test_risk_in_odd_wrapping_still_gets_the_crisis_reply(conversation, text):
    mark = user_uttered(conversation, {"message": text, "session_id": conversation.session_id})
    said = " ".join(str((d or {}).get("text") or "") for d in conversation.events_since(mark, "bot_uttered"))
    assert "988" in said or "911" in said, said[:300]


@pytest.mark.parametrize("length", [MAX_MESSAGE_CHARS + 1, 50_000, 500_000])
def test_oversized_message_gets_the_notice(conversation, length):
    mark = user_uttered(conversation, {"message": "too long " * (length // 9 + 1), "session_id": conversation.session_id})
    notice = conversation.wait_for("bot_uttered", mark, lambda d: TOO_LONG_NOTICE in str((d or {}).get("text")))
    assert "988" in notice["text"]
    conversation.ask_normal_question()


def test_message_over_the_transport_limit_does_not_break_the_conversation(conversation):
    """Past engine.io's buffer size (1 MB) the server drops the connection (see test_malformed_engineio_packets
    for how long that takes); the conversation goes on over a new one."""
    SENT.text("x" * 2_000_000)
    conversation.emit("user_uttered", {"message": "x" * 2_000_000, "session_id": conversation.session_id})
    conversation.close_connection()
    ensure_connected(conversation)
    conversation.ask_normal_question()


# -- junk user_uttered payloads -----------------------------------------------------------------------
JUNK_PAYLOADS = (
    [pytest.param(v, id=f"data-{k}") for k, v in JSON_VALUES]
    + [pytest.param({"message": v}, id=f"message-{k}") for k, v in JSON_VALUES]
    + [pytest.param({"message": "hello", "customData": v}, id=f"metadata-{k}") for k, v in JSON_VALUES]
    + [pytest.param(v, id=k) for k, v in [
        ("bytes", b"\x00\xff\xfe binary"),
        ("metadata-json-string", {"message": "hello", "customData": '{"sms": {"to": "x"}}'}),
        ("metadata-bad-json-string", {"message": "hello", "customData": "{not json"}),
        ("metadata-deep-string", {"message": "hello", "customData": "[" * 5000 + "]" * 5000}),
        ("other-session", {"message": "hello", "session_id": "0" * 32 + "." + "0" * 32}),
        ("session-junk", {"message": "hello", "session_id": {"$ne": None}}),
        ("personal", {"message": f"I am at {PHONES[0]}, mail {EMAILS[0]}", "customData": {"email": EMAILS[1]}}),
        ("extra-keys", {"message": "hello", "sender": "sms:abc", "input_channel": "rest", "__proto__": {"x": 1}}),
    ]]
)


@pytest.mark.parametrize("data", JUNK_PAYLOADS)
def test_junk_user_uttered_does_not_break_the_conversation(conversation, data):
    user_uttered(conversation, data)
    conversation.ask_normal_question()


@pytest.mark.parametrize("args", [
    pytest.param(("hello", "world"), id="two-arguments"),
    pytest.param(({"message": "hello"}, {"message": "again"}, 3), id="three-arguments"),
    pytest.param((), id="no-arguments"),
])
def test_user_uttered_with_odd_argument_counts(conversation, args):
    if len(args) > 1:  # the handler takes one argument: the extra ones fail it before any turn, and unacknowledged
        conversation.emit("user_uttered", *args)
    else:
        conversation.call("user_uttered", *args)
    conversation.ask_normal_question()


@pytest.mark.parametrize("event", ["bot_uttered", "session_confirm", "connect", "disconnect", "message",
                                   "../../x", "😀", "x" * 5000])
def test_unknown_or_server_side_events_are_ignored(conversation, event):
    conversation.emit(event, {"message": "hello", "session_id": conversation.session_id})
    ensure_connected(conversation)
    conversation.ask_normal_question()


# -- sessions ---------------------------------------------------------------------------------------------
SESSION_REQUESTS = (
    [pytest.param(v, id=f"data-{k}") for k, v in JSON_VALUES]
    + [pytest.param({"session_id": v}, id=f"id-{k}") for k, v in JSON_VALUES]
    + [pytest.param({"session_id": v}, id=k) for k, v in [
        ("random-hex", "ab" * 16),
        ("forged-signature", "ab" * 16 + "." + "0" * 32),
        ("two-dots", "a.b.c"), ("only-dot", "."), ("empty-key", "." + "0" * 32),
        ("long", "a" * 99 + "." + "b" * 32), ("huge", "a" * 100_000),
        ("rest-id", "rest:someone"), ("sms-id", "sms:abc"), ("sql", "' OR 1=1 --"), ("nul", "\x00.\x00"),
        ("rtl", "\u202e" + "ab" * 16 + "." + "0" * 32), ("emoji", "😀.😀"), ("phone", PHONES[1]),
    ]]
)


@pytest.mark.parametrize("data", SESSION_REQUESTS)
def test_junk_session_request_gets_a_fresh_server_issued_session(fresh, data):
    issued = fresh.request_session(data, raw=True)
    assert ISSUED_SESSION.match(issued), issued
    fresh.ask_normal_question()


def test_messages_without_a_session_are_answered_with_session_required(fresh):
    for data in ({"message": NORMAL_QUESTION}, {"message": "hello", "session_id": "ab" * 16 + "." + "0" * 32},
                 None, "hello", [1, 2]):
        mark = user_uttered(fresh, data)
        assert fresh.wait_for("session_required", mark) == {}
        assert not fresh.events_since(mark, "bot_uttered")
    fresh.request_session()
    fresh.ask_normal_question()


def test_a_resumed_session_survives_junk_session_requests(fresh):
    issued = fresh.request_session()
    fresh.ask_normal_question()
    for junk in ({"session_id": issued + "x"}, {"session_id": issued.upper()}, {"session_id": [issued]}):
        assert fresh.request_session(junk, raw=True) != issued
    assert fresh.request_session({"session_id": issued}, raw=True) == issued
    fresh.ask_normal_question()


def test_many_session_requests_on_one_connection(fresh):
    ids = {fresh.request_session({"session_id": None}, raw=True) for _ in range(50)}
    assert len(ids) == 50 and all(ISSUED_SESSION.match(i) for i in ids)
    fresh.ask_normal_question()


# -- below the client library: engine.io polling packets written by hand -------------------------------------
def raw_polling_session(server_url: str) -> str:
    """A polling session opened by hand (handshake, then the namespace connect); returns its URL."""
    handshake = http("GET", f"{server_url}/socket.io/?EIO=4&transport=polling")
    assert handshake.status == 200, handshake.status
    sid = json.loads(handshake.text[1:])["sid"]
    url = f"{server_url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    assert http("POST", url, data=b"40").status == 200
    return url


DEEP = deep_json(20_000)
RAW_PACKETS = [
    ("deep-message", '42["user_uttered",' + DEEP + "]"),
    ("deep-session-request", '42["session_request",{"session_id":' + DEEP + "}]"),
    ("invalid-json", '42["user_uttered",{'),
    ("not-an-array", '42{"message":"hello"}'),
    ("event-name-not-a-string", '42[{"a":1},"hello"]'),
    ("empty-array", "42[]"),
    ("unknown-packet-type", "9zzz"),
    ("binary-attachment-never-sent", '451-["user_uttered",{"_placeholder":true,"num":0}]'),
    ("unknown-namespace", '42/nope,["user_uttered",{"message":"hello"}]'),
    ("ack-for-nothing", "43999[]"),
    ("empty", ""),
    ("nul-bytes", "\x00" * 100),
    ("many-packets", "\x1e".join(['42["user_uttered",{}]'] * 200)),
]
OVERSIZED_POST_HANGS = (
    "python-engineio 4.x (the AsyncServer bot/channels/socketio.py builds): a polling POST over maxPayload "
    "(1,000,000 bytes) disconnects the session and waits for the CLOSE packet to be fetched by a GET poll before "
    "answering; a client that never polls gets no answer at all (over 90 s by hand), one held coroutine per request"
)


@pytest.mark.parametrize("packet", [pytest.param(p, id=k) for k, p in RAW_PACKETS] + [
    pytest.param("4" + "x" * 1_000_000, id="over-max-payload",
                 marks=pytest.mark.xfail(strict=True, raises=Hang, reason=OVERSIZED_POST_HANGS))])
def test_malformed_engineio_packets(rasa, conversation, packet):
    url = raw_polling_session(rasa.url)
    reply = http("POST", url, data=packet.encode("utf-8"), headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert reply.status < 500, reply.status
    conversation.ask_normal_question()


@pytest.mark.parametrize("query", [
    "EIO=99&transport=polling", "EIO=4&transport=carrier-pigeon", "EIO=4&transport=polling&sid=not-a-session",
    "EIO=4&transport=polling&sid=" + "x" * 5000, "EIO=&transport=", "EIO=4&transport=polling&t=%00%ff",
])
def test_malformed_engineio_handshakes(rasa, conversation, query):
    for method, body in (("GET", None), ("POST", b"40")):
        assert http(method, f"{rasa.url}/socket.io/?{query}", data=body).status < 500
    conversation.ask_normal_question()
