"""A hung (accepting but never answering) action server cannot hold back a crisis reply."""
from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest

from tests.conftest import say
from tests.support import servers

pytestmark = pytest.mark.e2e


@pytest.fixture
def hung_action_server():
    """Accepts connections and reads requests, but never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_crisis_reply_arrives_although_the_action_server_hangs(trained_model, tmp_path, hung_action_server):
    env = {"ACTION_REQUEST_TIMEOUT_S": "3"}
    with servers.rasa_server(trained_model, tmp_path, hung_action_server, env=env) as rasa:
        started = time.monotonic()
        replies = say(rasa, f"hung-{uuid.uuid4().hex[:8]}", "i am going to kill myself tonight")
        elapsed = time.monotonic() - started
    assert "988" in replies[0]["text"] and "911" in replies[0]["text"]
    # Bounded by the action timeout (3 s here), not Rasa's default 300 s.
    assert elapsed < 30
