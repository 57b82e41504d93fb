"""Fault injection: every dependency of the production path stopped and hung, one at a time.

The Rasa server runs the scale-out configuration (endpoints.scale.yml: PostgreSQL tracker store,
Redis lock store, RabbitMQ event broker, remote action server; the action server uses the provider
directory and a PostgreSQL intake database), each dependency reached through a FaultProxy the test
switches to down or hung. For each fault it measures the crisis reply's time on
REST, socket.io and SMS, checks a normal answer once the dependency is back, and at the end
consumes the broker's queue into an intake store: every crisis reply's risk event arrives, none
twice. The timings are printed and written to results/faults.json (see the reliability notes in
docs/ARCHITECTURE.md).
"""
import asyncio
import json
import statistics
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import socketio

from intake.risk_relay import run_rabbitmq_relay
from intake.store import IntakeStore
from tests.channels.test_sms_e2e import post_sms
from tests.conftest import say
from tests.support import servers
from tests.support.databases import temporary_postgres_database
from tests.support.conversations import rest_id, sms_id
from tests.support.faults import FaultProxy

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

CRISIS = "I'm going to kill myself tonight"
DEPENDENCIES = ("action_server", "provider_directory", "intake_db", "tracker_db", "redis", "rabbitmq")
FAULTS = ("hung", "down")
PER_CHANNEL = 7
# the lock store and the tracker store rest a failed dependency for 5 s, and the broker reconnects:
# after a fault of one of these the next fault waits so that it starts healthy (the others leave
# nothing resting once the recovery check has had its normal answer)
SETTLE_S = 6
RESTING_AFTER_A_FAULT = {"tracker_db", "redis", "rabbitmq"}
RESULTS = servers.ROOT / "results" / "faults.json"


@pytest.fixture(scope="module")
def tracker_database():
    with temporary_postgres_database("tracker_faults") as name:
        yield name


@pytest.fixture(scope="module")
def intake_database():
    with temporary_postgres_database("intake_faults") as name:
        yield name


@pytest.fixture(scope="module")
def proxies(provider_server, intake_database, tmp_path_factory, stack_env):
    """A proxy per dependency; the action server behind its own proxy reaches the provider
    directory and the intake database through theirs."""
    started = {
        "provider_directory": FaultProxy("127.0.0.1", provider_server.port).start(),
        "intake_db": FaultProxy("127.0.0.1", 5432).start(),
        "tracker_db": FaultProxy("127.0.0.1", 5432).start(),
        "redis": FaultProxy("127.0.0.1", 6379).start(),
        "rabbitmq": FaultProxy("127.0.0.1", 5672).start(),
    }
    intake_url = (f"postgresql://postgres@127.0.0.1:{started['intake_db'].port}/{intake_database}"
                  "?connect_timeout=2")
    env = {**stack_env, "INTAKE_DATABASE_URL": intake_url,
           "PROVIDER_SEARCH_URL": f"http://127.0.0.1:{started['provider_directory'].port}"}
    actions = servers.action_server(tmp_path_factory.mktemp("faults-actions"), env=env).start()
    started["action_server"] = FaultProxy("127.0.0.1", actions.port).start()
    started["_intake_url"] = intake_url
    yield started
    for name, proxy in started.items():
        if isinstance(proxy, FaultProxy):
            proxy.stop()
    actions.stop()


@pytest.fixture(scope="module")
def rasa_behind_proxies(trained_model, tmp_path_factory, tracker_database, proxies, stack_env):
    workdir = tmp_path_factory.mktemp("faults")
    env = {**stack_env,
           "INTAKE_DATABASE_URL": proxies["_intake_url"],
           "ACTION_SERVER_URL": f"http://127.0.0.1:{proxies['action_server'].port}/webhook",
           "ACTION_REQUEST_TIMEOUT_S": "3",
           "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": str(proxies["tracker_db"].port),
           "TRACKER_DB_NAME": tracker_database, "TRACKER_DB_USER": "postgres", "TRACKER_DB_PASSWORD": "",
           "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(proxies["redis"].port),
           "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_PORT": str(proxies["rabbitmq"].port),
           "RABBITMQ_USERNAME": "guest", "RABBITMQ_PASSWORD": "guest",
           "RISK_EVENTS_PENDING_DB": str(workdir / "risk-events-pending.db")}
    port = servers.free_port()
    args = [*servers.RASA_RUN, "--enable-api", "--model", str(trained_model), "--port", str(port),
            "--endpoints", str(servers.ROOT / "endpoints.scale.yml"),
            "--credentials", str(servers.ROOT / "credentials.yml"), "--interface", "127.0.0.1"]
    with servers.Server("rasa-faults", args, port, "/status", workdir, env=env, startup_timeout_s=180) as server:
        yield server


def socket_crisis(server, text=CRISIS):
    """(seconds to the crisis reply, conversation id) over the widget's socket.io channel."""
    async def talk():
        client = socketio.AsyncClient()
        confirmed, crisis = asyncio.get_event_loop().create_future(), asyncio.get_event_loop().create_future()
        client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
        client.on("bot_uttered", lambda data: crisis.done() or not (isinstance(data, dict) and "988" in
                                                                     (data.get("text") or "")) or crisis.set_result(1))
        await client.connect(server.url, socketio_path="/socket.io", transports=["polling"])
        await client.emit("session_request", {})
        session_id = await asyncio.wait_for(confirmed, timeout=10)
        started = time.monotonic()
        await client.emit("user_uttered", {"message": text})
        await asyncio.wait_for(crisis, timeout=30)
        elapsed = time.monotonic() - started
        await client.disconnect()
        return elapsed, f"web:{session_id.split('.')[0]}"
    return asyncio.run(talk())


def rest_crisis(server):
    sender = f"fault-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    replies = say(server, sender, CRISIS)
    elapsed = time.monotonic() - started
    assert "988" in replies[0]["text"], replies
    return elapsed, rest_id(sender)


def sms_crisis(server):
    phone = "+1555" + str(uuid.uuid4().int)[:7]
    started = time.monotonic()
    status, _, body = post_sms(server, CRISIS, phone)
    elapsed = time.monotonic() - started
    assert status == 200 and "988" in body, body
    return elapsed, sms_id(phone)


HEALTH_NAME = {"action_server": "action_server", "tracker_db": "tracker_store", "redis": "lock_store",
               "rabbitmq": "event_broker"}
CHANNELS = {"rest": rest_crisis, "socketio": socket_crisis, "sms": sms_crisis}


def p95(values):
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def test_crisis_replies_under_every_fault_and_every_risk_event_reaches_staff_once(
        rasa_behind_proxies, proxies, tmp_path):
    server = rasa_behind_proxies
    healthy = json.loads(urllib.request.urlopen(f"{server.url}/webhooks/health/", timeout=10).read())
    assert healthy["status"] == "ok" and set(healthy["dependencies"].values()) == {"ok"}, healthy
    crisis_conversations = []
    timings = {}
    for channel, send in CHANNELS.items():  # a healthy baseline
        elapsed, conversation = send(server)
        crisis_conversations.append(conversation)
        timings.setdefault(("none", "-", channel), []).append(elapsed)

    for dependency in DEPENDENCIES:
        for fault in FAULTS:
            proxy = proxies[dependency]
            getattr(proxy, "hang" if fault == "hung" else "down")()
            try:
                for channel, send in CHANNELS.items():
                    for _ in range(PER_CHANNEL):
                        elapsed, conversation = send(server)
                        crisis_conversations.append(conversation)
                        timings.setdefault((dependency, fault, channel), []).append(elapsed)
                # the health report names the failing dependency (RabbitMQ's once a record waits)
                health = json.loads(urllib.request.urlopen(f"{server.url}/webhooks/health/", timeout=10).read())
                assert health["crisis_replies"] == "available", health
                # the load balancer's check keeps this worker in: it can still answer a crisis
                ready = urllib.request.urlopen(f"{server.url}/webhooks/health/ready", timeout=10)
                assert ready.status == 200 and json.loads(ready.read())["crisis_replies"] == "available"
                if dependency in HEALTH_NAME:  # the action server's own dependencies are its to report
                    assert health["status"] == "degraded", (dependency, fault, health)
                    assert health["dependencies"][HEALTH_NAME[dependency]].startswith("unreachable"), health
            finally:
                proxy.up()
            # recovery: a normal question gets its normal answer once the dependency is back
            deadline = time.monotonic() + 30
            while True:
                answer = " ".join(r.get("text") or "" for r in say(server, f"after-{uuid.uuid4().hex[:6]}",
                                                                     "What is transference?"))
                if "Transference" in answer or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert "Transference" in answer, f"no normal answer after {dependency} {fault}"
            if dependency in RESTING_AFTER_A_FAULT:
                time.sleep(SETTLE_S)

    by_fault = {}
    for (dependency, fault, channel), values in timings.items():
        by_fault.setdefault((dependency, fault), {})[channel] = values
    report = []
    for (dependency, fault), channels in by_fault.items():
        values = [v for vs in channels.values() for v in vs]
        report.append({"dependency": dependency, "fault": fault, "n": len(values),
                       "p50_ms": round(statistics.median(values) * 1000), "p95_ms": round(p95(values) * 1000),
                       **{f"{c}_max_ms": round(max(vs) * 1000) for c, vs in channels.items()}})
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1))
    for row in report:
        print("{dependency:>14} {fault:>5}  n={n:>2}  p50 {p50_ms:>5} ms  p95 {p95_ms:>5} ms  max: rest {rest_max_ms} "
              "socket.io {socketio_max_ms} sms {sms_max_ms} ms".format(**row))
    slow = [row for row in report if row["p95_ms"] >= 1000]
    assert not slow, f"crisis replies slower than 1 s p95: {slow}"

    # every crisis reply's risk event reaches the intake store through RabbitMQ, exactly once
    intake_url = f"sqlite:///{tmp_path / 'intake.db'}"
    store = IntakeStore(intake_url)
    try:
        missing = list(crisis_conversations)
        deadline = time.monotonic() + 60  # Rasa republishes what RabbitMQ missed when it reconnects
        while missing and time.monotonic() < deadline:
            asyncio.run(run_rabbitmq_relay("amqp://guest:guest@127.0.0.1:5672/", "risk_events", store, once=True))
            missing = [c for c in crisis_conversations
                       if not (store.get_inquiry(c) or {}).get("risk_events")]
            if missing:
                time.sleep(2)
        assert not missing, f"{len(missing)} of {len(crisis_conversations)} risk events never arrived"
        doubled = [c for c in crisis_conversations if len(store.get_inquiry(c)["risk_events"]) != 1]
        assert not doubled
    finally:
        store.close()
