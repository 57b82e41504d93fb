"""New risk events are announced once to a webhook, without any visitor data."""
from __future__ import annotations

import json

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from console.notifier import RiskAnnouncer
from privacy.identifiers import sms_conversation_id


async def webhook_receiver(status: int = 200):
    received = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = TestServer(app, port=0)
    await server.start_server()
    return server, received


async def test_risk_events_are_announced_once_without_visitor_data(store):
    server, received = await webhook_receiver()
    try:
        conversation_id = sms_conversation_id("+15550100188")
        store.record_sms_number(conversation_id, "+15550100188")
        store.save_callback(conversation_id, "Avery", "phone", "+15550100188")
        store.record_risk_event(conversation_id, "sms", "overdose", "imminent")
        announcer = RiskAnnouncer(store.engine, str(server.make_url("/hook")), "https://console.example")
        async with aiohttp.ClientSession() as session:
            assert await announcer.announce_pending(session) == 1
            assert await announcer.announce_pending(session) == 0  # not twice
        message = received[0]
        inquiry_id = store.get_inquiry(conversation_id)["id"]
        assert message["level"] == "imminent" and message["category"] == "overdose"
        assert message["channel"] == "sms" and message["channel_label"] == "SMS"
        assert message["url"] == f"https://console.example/inquiries/{inquiry_id}"
        assert "level Imminent (Overdose) on SMS" in message["text"]
        dumped = json.dumps(message)
        assert "5550100188" not in dumped and "Avery" not in dumped
    finally:
        await server.close()


async def test_failed_webhook_is_retried_next_round(store):
    server, received = await webhook_receiver(status=500)
    try:
        store.record_risk_event("web:1", "socketio", "self_harm", "high")
        store.record_risk_event("web:2", "socketio", "self_harm", "high")
        announcer = RiskAnnouncer(store.engine, str(server.make_url("/hook")), "http://x")
        async with aiohttp.ClientSession() as session:
            assert await announcer.announce_pending(session) == 0
            assert len(received) == 1  # stopped after the first failure
        ok_server, ok_received = await webhook_receiver()
        try:
            announcer.webhook_url = str(ok_server.make_url("/hook"))
            async with aiohttp.ClientSession() as session:
                assert await announcer.announce_pending(session) == 2
        finally:
            await ok_server.close()
    finally:
        await server.close()


async def test_unreachable_webhook_does_not_raise(store):
    store.record_risk_event("web:1", "socketio", "self_harm", "high")
    announcer = RiskAnnouncer(store.engine, "http://127.0.0.1:1/hook", "http://x", timeout_seconds=2)
    async with aiohttp.ClientSession() as session:
        assert await announcer.announce_pending(session) == 0
    from sqlalchemy import select
    from intake.models import risk_events
    with store.engine.connect() as conn:
        assert conn.execute(select(risk_events.c.announced_at)).scalar() is None
