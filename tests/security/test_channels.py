"""Channels: the REST token, checked bodies, namespaced conversations and server-issued widget
sessions, against the real trained assistant (the shared `assistant` stack)."""
import asyncio
import json
import os
import urllib.error
import urllib.request
import uuid

import pytest
import socketio

from bot.channels.limits import MAX_MESSAGE_CHARS, MAX_REST_BODY_BYTES
from tests.channels.test_sms_e2e import new_phone, post_sms, twiml_messages
from tests.conftest import REST_AUTH, say
from tests.support.conversations import rest_id, sms_id, tracker, tracker_url

pytestmark = pytest.mark.e2e


def post_raw(server, body: bytes, headers=None):
    request = urllib.request.Request(f"{server.url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read().decode() or "null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode() or "null")


def test_rest_refuses_calls_without_the_bearer_token(assistant):
    body = json.dumps({"sender": "x", "message": "hi"}).encode()
    assert post_raw(assistant, body)[0] == 401
    assert post_raw(assistant, body, {"Authorization": "Bearer wrong"})[0] == 401
    assert post_raw(assistant, body, {"Authorization": os.environ["REST_CHANNEL_TOKEN"]})[0] == 401
    status, replies = post_raw(assistant, body, REST_AUTH)
    assert status == 200 and replies and all(r["recipient_id"] == "x" for r in replies)


@pytest.mark.parametrize("body, status", [
    (b"", 400), (b"   ", 400), (b"[]", 400), (b"42", 400), (b'"hi"', 400), (b"null", 400), (b"{", 400),
    (b'{"message": "hi"}', 400), (b'{"sender": "a"}', 400), (b'{"sender": "", "message": "hi"}', 400),
    (b'{"sender": ["a"], "message": "hi"}', 400), (b'{"sender": "a", "message": 5}', 400),
    (b'{"sender": "a", "message": "hi", "metadata": [1]}', 400), (b'{"sender": true, "message": "hi"}', 400),
    (b'\xff\xfe{"sender"', 400),
    (json.dumps({"sender": "a", "message": "x" * (MAX_MESSAGE_CHARS + 1)}).encode(), 413),
    (json.dumps({"sender": "a", "message": "x", "metadata": {"k": "y" * MAX_REST_BODY_BYTES}}).encode(), 413),
])
def test_rest_malformed_bodies_get_a_clear_error_and_the_next_message_is_answered(assistant, body, status):
    got, answer = post_raw(assistant, body, REST_AUTH)
    assert got == status and isinstance(answer, dict) and answer["error"]
    assert say(assistant, f"after-{uuid.uuid4().hex[:8]}", "What is transference?")


def test_rest_cannot_reach_an_sms_conversation(assistant):
    phone = new_phone()
    status, _, body = post_sms(assistant, "I'd like to find a therapist", phone)
    assert status == 200 and twiml_messages(body)
    sms_turns = len([e for e in tracker(assistant.url, sms_id(phone))["events"] if e["event"] == "user"])
    # the SMS number, and the SMS conversation id itself, as a REST sender
    for sender in (phone, sms_id(phone)):
        replies = say(assistant, sender, "anxiety")
        assert all(r["recipient_id"] == sender for r in replies)
        assert tracker(assistant.url, rest_id(sender))["events"]
    after = [e for e in tracker(assistant.url, sms_id(phone))["events"] if e["event"] == "user"]
    assert len(after) == sms_turns  # the SMS conversation got nothing from REST
    assert not sms_id(phone).endswith(phone.lstrip("+")) and phone not in sms_id(phone)


def _socket_conversation(server, session_id=None, messages=(), named_session=None):
    """Connect, ask for a session, send messages; returns (confirmed session id, replies)."""
    async def talk():
        client = socketio.AsyncClient()
        confirmed = asyncio.get_event_loop().create_future()
        replies = []

        @client.on("session_confirm")
        async def on_confirm(sid):
            if not confirmed.done():
                confirmed.set_result(sid)

        @client.on("bot_uttered")
        async def on_bot(data):
            replies.append(data)

        await client.connect(server.url, socketio_path="/socket.io", transports=["polling"])
        await client.emit("session_request", {"session_id": session_id})
        issued = await asyncio.wait_for(confirmed, timeout=10)
        for text in messages:
            count = len(replies)
            await client.emit("user_uttered", {"message": text, "session_id": named_session or issued})
            for _ in range(300):
                if len(replies) > count:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)
        await client.disconnect()
        return issued, replies

    return asyncio.run(talk())


def test_widget_sessions_are_issued_by_the_server_and_cannot_be_borrowed(assistant):
    chosen = uuid.uuid4().hex
    issued, replies = _socket_conversation(assistant, session_id=chosen, messages=["What is transference?"])
    assert issued != chosen and "." in issued and replies
    key = issued.split(".")[0]
    own = tracker(assistant.url, f"web:{key}")
    assert [e["text"] for e in own["events"] if e["event"] == "user"] == ["What is transference?"]
    # resuming with the issued id continues the same conversation
    again, _ = _socket_conversation(assistant, session_id=issued, messages=["How long does it take?"])
    assert again == issued
    assert len([e for e in tracker(assistant.url, f"web:{key}")["events"] if e["event"] == "user"]) == 2
    # a forged signature starts a fresh conversation; naming another session in a message is ignored
    forged, _ = _socket_conversation(assistant, session_id=key + ".0000", messages=[])
    assert forged.split(".")[0] != key
    other, _ = _socket_conversation(assistant, messages=["hello"], named_session=issued)
    assert len([e for e in tracker(assistant.url, f"web:{key}")["events"] if e["event"] == "user"]) == 2
    assert tracker(assistant.url, f"web:{other.split('.')[0]}")["events"]


def test_widget_message_over_the_limit_gets_a_notice(assistant):
    _, replies = _socket_conversation(assistant, messages=["x" * (MAX_MESSAGE_CHARS + 1), "hi"])
    texts = [r.get("text") or "" for r in replies]
    assert any("longer than I can read" in t for t in texts)
    assert len(texts) >= 2  # and the next message was answered


def test_tracker_url_quotes_nothing_sanic_keeps():
    assert tracker_url("http://h", "sms:ab+c") == "http://h/conversations/sms:ab+c/tracker"
