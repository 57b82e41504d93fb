"""The production topology: two Rasa workers and two action servers behind HAProxy, on the real
PostgreSQL, Redis and RabbitMQ (scripts/serve.py, deploy/haproxy.py)."""
import json
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from deploy.haproxy import MESSAGES_PER_WORKER
from scripts.serve import Topology, haproxy_binary
from tests.conftest import REST_AUTH
from tests.support import servers
from tests.support.databases import temporary_postgres_database
from tests.support.conversations import rest_id

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def tracker_database():
    with temporary_postgres_database("tracker_haproxy") as name:
        yield name


@pytest.fixture(scope="module")
def topology(trained_model, tmp_path_factory, tracker_database, stack_env):
    haproxy_binary()  # skips nothing: `make setup-test` installs it
    workdir = tmp_path_factory.mktemp("haproxy")
    env = {**stack_env, "TRACKER_DB_NAME": tracker_database}
    with Topology(trained_model, workdir, workers=2, action_servers=2, port=servers.free_port(), env=env) as running:
        yield running


def post(url, payload, headers=REST_AUTH, timeout=60):
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def say(topology, sender, text):
    status, replies = post(f"{topology.url}/webhooks/rest/webhook", {"sender": sender, "message": text})
    assert status == 200, status
    return replies


def stored_events(topology, sender):
    """The conversation's events as every worker reads them: from the shared PostgreSQL tracker
    store (decrypted; the workers run without Rasa's HTTP API, as in production)."""
    from privacy.crypto import cipher

    with psycopg2.connect(host="127.0.0.1", port=5432, user="postgres",
                          dbname=topology.env["TRACKER_DB_NAME"]) as db:
        rows = db.cursor()
        rows.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (rest_id(sender),))
        return [json.loads(cipher().decrypt(data)) for (data,) in rows.fetchall()]


def test_a_conversation_alternating_between_workers_stays_in_order(topology):
    sender = f"lb-{uuid.uuid4().hex[:8]}"
    questions = ["hi", "what is transference", "how does psychodynamic therapy work", "is there evidence it works",
                 "how long does it take", "what is mentalization based therapy"]
    for question in questions:  # round robin: consecutive messages land on different workers
        assert say(topology, sender, question)
    events = stored_events(topology, sender)
    assert [e["text"] for e in events if e["event"] == "user"] == questions
    turns = [e["event"] for e in events if e["event"] in ("user", "bot")]
    assert turns[0] == "user" and turns.count("user") == len(questions)
    # every question is answered before the next one is read: never two user turns in a row
    assert all(not (a == b == "user") for a, b in zip(turns, turns[1:]))
    assert turns[-1] == "bot"


# Requests Sanic 21.12 mishandles when it meets them itself (tests/bad_input): a negative length makes
# it spin forever, the others get a 500. The proxy answers them with a 4xx and never passes them on.
MALFORMED = {
    "negative-length": b"Content-Length: -5\r\n\r\nhello",
    "length-not-a-number": b"Content-Length: abc\r\n\r\nhello",
    "length-in-hex": b"Content-Length: 0x5\r\n\r\nhello",
    "two-lengths": b"Content-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    "unknown-transfer-encoding": b"Transfer-Encoding: gzip, zstd\r\n\r\nhello",
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_requests_stop_at_the_proxy(topology, case):
    with socket.create_connection(("127.0.0.1", topology.port), timeout=10) as raw:
        raw.sendall(b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\n" + MALFORMED[case])
        answer = raw.recv(4096).decode(errors="replace")
    status = int(answer.split(" ", 2)[1])
    assert 400 <= status < 500 or status == 501, answer
    assert say(topology, f"after-{uuid.uuid4().hex[:6]}", "What is transference?")  # workers unharmed


def test_oversized_requests_stop_at_the_proxy(topology):
    status, _ = post(f"{topology.url}/webhooks/rest/webhook", {"sender": "big", "message": "x" * 200_000})
    assert status == 413
    assert say(topology, f"after-{uuid.uuid4().hex[:6]}", "What is transference?")  # workers unharmed


def test_killing_a_worker_mid_load_loses_no_conversation(topology):
    senders = [f"kill-{uuid.uuid4().hex[:8]}" for _ in range(12)]
    questions = ["hi", "what is transference", "how long does it take", "is there evidence it works"]
    failures = []

    def conversation(sender):
        for question in questions:
            status, replies = post(f"{topology.url}/webhooks/rest/webhook", {"sender": sender, "message": question})
            if status != 200 or not replies:
                failures.append((sender, question, status))
            time.sleep(0.2)

    victim = topology.workers[1]
    killer = threading.Timer(1.5, victim.process.kill)
    killer.start()
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(conversation, senders))
    killer.join()
    assert victim.process.poll() is not None, "the worker was not killed mid-load"
    # HAProxy logs the requests that went wrong (deploy/haproxy.py): why a message failed, if one did
    errors_logged = (topology.workdir / "haproxy.log").read_text()
    assert not failures, (failures, errors_logged)
    for sender in senders:  # the log says what happened to a request, never who sent it or what it said
        assert sender not in errors_logged
    assert not any(question in errors_logged for question in questions if len(question) > 2)
    repeated = 0
    for sender in senders:
        user_texts = [e["text"] for e in stored_events(topology, sender) if e["event"] == "user"]
        # HAProxy sends a message whose worker died before answering to another worker (retry-on
        # empty-response): none is lost, and one the dead worker had already stored is stored twice
        once_each = [text for n, text in enumerate(user_texts) if n == 0 or text != user_texts[n - 1]]
        assert once_each == questions, (sender, user_texts)
        repeated += len(user_texts) - len(questions)
    assert repeated <= MESSAGES_PER_WORKER, "more messages stored twice than the killed worker held"


def test_the_widget_keeps_its_worker_and_messages_take_any(topology):
    """socket.io (the widget) is pinned to one worker by cookie and never queued; REST round robin."""
    with urllib.request.urlopen(f"{topology.url}/socket.io/?EIO=4&transport=polling", timeout=30) as response:
        assert response.status == 200
        assert response.read().startswith(b"0{")  # Engine.IO's handshake, from a Rasa worker
        cookies = response.headers.get_all("Set-Cookie") or []
    assert any(c.startswith("RASAWORKER=rasa") for c in cookies), cookies
    request = urllib.request.Request(f"{topology.url}/webhooks/rest/webhook", method="POST",
                                     data=json.dumps({"sender": f"rr-{uuid.uuid4().hex[:6]}", "message": "hi"}).encode(),
                                     headers={"Content-Type": "application/json", **REST_AUTH})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        assert not any(c.startswith("RASAWORKER=") for c in response.headers.get_all("Set-Cookie") or [])
