"""GET /webhooks/health/ : whether this Rasa server can answer, and how each dependency is doing.
GET /webhooks/health/ready : only whether it can answer (the load balancer's check).

Rasa's own `/` says only that the process is up. A load balancer and an on-call engineer need to
know more, and must not be misled: crisis replies need nothing but this process and its model
(bot/policies/crisis_policy.py), so the answer is 200 whenever the model is loaded, with
`"status": "degraded"` and the failing dependency named when the tracker store, the lock store,
the event broker or the action server is unreachable. 503 only while no model is loaded.
Each check is bounded (CHECK_TIMEOUT_S) and runs off the event loop. It is a channel only because
channels are how Rasa lets a project add routes to its server (credentials.yml: `bot.channels.health.HealthInput:`).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import text

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 1.0


def _sql_ping(tracker_store: Any) -> Optional[bool]:
    store = getattr(tracker_store, "_tracker_store", tracker_store)  # Rasa wraps it in FailSafeTrackerStore
    engine = getattr(store, "engine", None)
    if engine is None:
        return None
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return True


def _redis_ping(lock_store: Any) -> Optional[bool]:
    check = getattr(lock_store, "redis_is_reachable", None)
    return None if check is None else bool(check())


async def _action_server(endpoint: Any) -> Optional[bool]:
    if endpoint is None or not endpoint.url:
        return None
    url = endpoint.url.rsplit("/webhook", 1)[0] + "/health"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CHECK_TIMEOUT_S)) as session:
        async with session.get(url) as answer:
            return answer.status == 200


async def _bounded(check: Callable[[], Any], blocking: bool) -> str:
    try:
        if blocking:
            result = await asyncio.wait_for(asyncio.to_thread(check), CHECK_TIMEOUT_S)
        else:
            result = await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except Exception as failure:  # noqa: BLE001 - any failure is "unreachable", named by type only
        return f"unreachable ({type(failure).__name__})"
    if result is None:
        return "not used"
    return "ok" if result else "unreachable"


async def dependency_report(agent: Any) -> Dict[str, str]:
    tracker_store, lock_store = agent.tracker_store, agent.lock_store
    broker = getattr(getattr(tracker_store, "_tracker_store", tracker_store), "event_broker", None)
    checks = {
        "tracker_store": _bounded(lambda: _sql_ping(tracker_store), blocking=True),
        "lock_store": _bounded(lambda: _redis_ping(lock_store), blocking=True),
        "event_broker": _bounded(lambda: None if broker is None else broker.is_ready(), blocking=True),
        "action_server": _bounded(lambda: _action_server(agent.action_endpoint), blocking=False),
    }
    results = await asyncio.gather(*checks.values())
    return dict(zip(checks.keys(), results))


def _loaded_agent(request: Request) -> Optional[Any]:
    """The agent once its model is loaded (crisis replies can be sent), else None."""
    agent = getattr(request.app.ctx, "agent", None)
    return agent if agent is not None and agent.is_ready() else None


def _starting() -> HTTPResponse:
    return response.json({"status": "starting", "crisis_replies": "unavailable"}, status=503)


class HealthInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "health"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("health", __name__)

        @health.route("/ready", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            # what a load balancer asks every second or two: no dependency checks, so a worker busy
            # with a queue of turns still answers it (the report below makes four round trips)
            agent = _loaded_agent(request)
            if agent is None:
                return _starting()
            return response.json({"status": "ready", "crisis_replies": "available"})

        @health.route("/", methods=["GET"])
        async def report(request: Request) -> HTTPResponse:
            agent = _loaded_agent(request)
            if agent is None:
                return _starting()
            dependencies = await dependency_report(agent)
            degraded = [name for name, state in dependencies.items() if state.startswith("unreachable")]
            return response.json({"status": "degraded" if degraded else "ok", "crisis_replies": "available",
                                  "dependencies": dependencies})

        return health
