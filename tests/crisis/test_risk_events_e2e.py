"""Every crisis reply reaches staff, once, on every channel, also when the action server and the
intake database are down: the real assistant, Rasa's event broker (the SQL outbox) and the relay."""
import asyncio
import time
import uuid

import pytest
import socketio

from intake.store import IntakeStore
from tests.channels.test_sms_e2e import post_sms
from tests.conftest import say
from tests.support import servers
from tests.support.conversations import rest_id, sms_id

pytestmark = pytest.mark.e2e


def socket_say(server, text):
    async def talk():
        client = socketio.AsyncClient()
        confirmed, replies = asyncio.get_event_loop().create_future(), []
        client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
        client.on("bot_uttered", lambda data: replies.append(data))
        await client.connect(server.url, socketio_path="/socket.io", transports=["polling"])
        await client.emit("session_request", {})
        session_id = await asyncio.wait_for(confirmed, timeout=10)
        await client.emit("user_uttered", {"message": text})
        for _ in range(200):
            if any("crisis" in r for r in replies if isinstance(r, dict)):
                break
            await asyncio.sleep(0.1)
        await client.disconnect()
        return session_id, replies
    return asyncio.run(talk())


def events_for(database_url, conversation_id):
    store = IntakeStore(database_url)
    try:
        inquiry = store.get_inquiry(conversation_id)
        return inquiry["risk_events"] if inquiry else []
    finally:
        store.close()


def test_crisis_replies_on_every_channel_reach_the_intake_store_once(assistant, stack_workdir, stack_env):
    sender = f"risk-{uuid.uuid4().hex[:8]}"
    assert "988" in say(assistant, sender, "I'm going to kill myself tonight")[0]["text"]
    phone = "+1555" + str(uuid.uuid4().int)[:7]
    status, _, body = post_sms(assistant, "i took all my pills", phone)
    assert status == 200 and "911" in body
    session_id, replies = socket_say(assistant, "i want to end my life")
    assert any("crisis" in r for r in replies if isinstance(r, dict))

    url = stack_env["INTAKE_DATABASE_URL"]
    first = servers.drain_risk_outbox(stack_workdir, url)
    again = servers.drain_risk_outbox(stack_workdir, url)
    assert first.written >= 3 and again.written == 0
    assert [e["channel"] for e in events_for(url, rest_id(sender))] == ["rest"]
    assert [(e["category"], e["level"]) for e in events_for(url, sms_id(phone))] == [("overdose", "imminent")]
    assert [e["channel"] for e in events_for(url, f"web:{session_id.split('.')[0]}")] == ["socketio"]


def test_with_the_action_server_and_the_intake_database_down_the_reply_is_fast_and_nothing_is_lost(
        rasa_without_actions):
    """rasa_without_actions: the action endpoint points at a port nothing listens on."""
    workdir = rasa_without_actions.workdir
    senders = [f"outage-{uuid.uuid4().hex[:8]}" for _ in range(5)]
    timings = []
    for sender in senders:
        started = time.monotonic()
        replies = say(rasa_without_actions, sender, "I want to kill myself")
        timings.append(time.monotonic() - started)
        assert "988" in replies[0]["text"]
    # the intake database is unreachable: the relay keeps every record
    down = servers.drain_risk_outbox(workdir, "postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
    assert down.waiting and down.written == 0
    # it comes back: every event arrives, none twice
    url = f"sqlite:///{workdir / 'intake-after-outage.db'}"
    back = servers.drain_risk_outbox(workdir, url)
    assert not back.waiting
    for sender in senders:
        assert len(events_for(url, rest_id(sender))) == 1
    assert servers.drain_risk_outbox(workdir, url).written == 0
    print(f"crisis reply with action server + intake down: max {max(timings) * 1000:.0f} ms")
