"""Known limitation, shown on a throwaway server: Sanic 21.12 (pinned by Rasa 3.6) spins forever
on a negative Content-Length.

It reads `int(headers["content-length"])` as the bytes left to read; at -5 that count never
reaches zero, so the request loop spins on the event loop and the whole server stops answering
(the Rasa server and the action server are both Sanic apps and both froze this way when tried
by hand). The fix is a reverse proxy in front that refuses such requests, so this test is
expected to fail until the servers stop facing clients directly; it never touches the shared
servers of the test session.
"""
from __future__ import annotations

import sys

import pytest

from tests.bad_input.probe import Hang, http, raw_exchange
from tests.support import servers
from tests.support.servers import Server

pytestmark = pytest.mark.e2e

NEGATIVE_LENGTH_SPIN = ("Sanic 21.12 spins forever on a negative Content-Length and stops answering every "
                        "client; the reverse proxy in front must refuse it (not fixable in this repository)")


@pytest.fixture
def throwaway_sanic(tmp_path):
    port = servers.free_port()
    server = Server("throwaway-sanic", [sys.executable, "-m", "tests.bad_input.throwaway_sanic", "--port", str(port)],
                    port, "/health", tmp_path, startup_timeout_s=60)
    server.start()
    yield server
    server.process.kill()  # a spinning event loop never handles SIGTERM
    server.process.wait()


@pytest.mark.xfail(strict=True, reason=NEGATIVE_LENGTH_SPIN)
@pytest.mark.parametrize("length", ["-5", "-1"])
def test_negative_content_length_does_not_stop_the_server(throwaway_sanic, length):
    request = (f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: {length}\r\n\r\nhello").encode()
    outcome = raw_exchange(throwaway_sanic.port, request)
    assert outcome.status is None or outcome.status < 500, outcome
    try:
        reply = http("GET", throwaway_sanic.url + "/health")
    except Hang:
        pytest.fail("the server stopped answering after one request with a negative Content-Length")
    assert reply.status == 200
