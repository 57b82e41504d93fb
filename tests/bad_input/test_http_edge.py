"""The raw HTTP edge of every server (Rasa, action server, provider directory, console): malformed
request lines, headers, lengths and chunking, sent byte for byte on a raw socket.

Expected: a 4xx (or a plain close), never a 5xx. A request the server reads as unfinished may
keep it waiting, but only that connection: while it is held open, the server answers everyone
else. Negative Content-Length values are not sent here: Sanic 21.12 (pinned by Rasa 3.6) spins
forever on them, shown against a throwaway server in test_known_limits.py.
"""
from __future__ import annotations

import os
import socket
from typing import List

import pytest

from tests.bad_input.probe import http, raw_exchange

pytestmark = pytest.mark.e2e

SANIC_500 = ("Sanic 21.12 (pinned by Rasa 3.6) answers this malformed framing with 500, not 400: it calls int() on "
             "Content-Length unchecked, and looks up a Content-Length that is not there for an unknown "
             "Transfer-Encoding; a reverse proxy in front must refuse such requests")

# {path}: a route that reads a body; {auth}: the header that gets past the server's token check
POST = b"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}"
RAW_REQUESTS = [
    ("content-length-not-a-number", POST + b"Content-Length: abc\r\n\r\nhello"),
    ("content-length-hex", POST + b"Content-Length: 0x5\r\n\r\nhello"),
    ("content-length-huge", POST + b"Content-Length: 99999999999999999999\r\n\r\nhi"),
    ("content-length-twice", POST + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
    ("content-length-and-chunked", POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("content-length-short", POST + b"Content-Length: 100\r\n\r\nhello"),
    ("bad-chunk-size", POST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
    ("negative-chunk-size", POST + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
    ("huge-chunk-size", POST + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nhi\r\n"),
    ("unknown-transfer-encoding", POST + b"Transfer-Encoding: gzip, zstd\r\n\r\nhello"),
    ("binary-garbage", b"\x00\x01\x02\xff\xfe garbage\r\n\r\n"),
    ("tls-hello-on-http", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40),
    ("no-http-version", b"GET /\r\n\r\n"),
    ("http-0.9", b"GET / HTTP/0.9\r\n\r\n"),
    ("http-9.9", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n"),
    ("http2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    ("unknown-method", b"BREW {path} HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("lower-case-method", b"get / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("huge-header", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 200_000 + b"\r\n\r\n"),
    ("many-headers", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(5000)) + b"\r\n"),
    ("header-without-colon", b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"),
    ("header-with-nul", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"),
    ("header-latin1", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: \xff\xfe\r\n\r\n"),
    ("header-folding", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n"),
    ("space-before-colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
    ("long-url", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("utf8-url", "GET /ü☃ HTTP/1.1\r\nHost: x\r\n\r\n".encode()),
    ("url-with-space", b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("absolute-url-other-host", b"GET http://evil.example/ HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("expect-unknown", POST + b"Expect: 200-ok\r\nContent-Length: 5\r\n\r\nhello"),
    ("bare-lf", b"GET / HTTP/1.1\nHost: x\n\n"),
    ("upgrade-websocket-junk", b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               b"Sec-WebSocket-Key: junk\r\n\r\n"),
]

# Where each server reads a body, what gets past its token check, and a cheap normal request.
SERVERS = {
    "rasa": ("/webhooks/rest/webhook", "REST_CHANNEL_TOKEN", "/status"),
    "actions": ("/webhook", "ACTION_SERVER_TOKEN", "/health"),
    "providers": ("/v1/providers/search", None, "/healthz"),
    "console": ("/login", None, "/login"),
}
KNOWN_500 = {
    ("rasa", "content-length-not-a-number"): SANIC_500, ("rasa", "content-length-hex"): SANIC_500,
    ("rasa", "unknown-transfer-encoding"): SANIC_500,
}


@pytest.fixture(scope="module")
def edge_servers(rasa, actions_server, provider_server, console_server):
    return {"rasa": rasa, "actions": actions_server, "providers": provider_server, "console": console_server.server}


def _request(template: bytes, server_name: str) -> bytes:
    path, token_env, _ = SERVERS[server_name]
    auth = f"Authorization: Bearer {os.environ[token_env]}\r\n".encode() if token_env else b""
    return template.replace(b"{path}", path.encode()).replace(b"{auth}", auth)


def _cases():
    for server_name in SERVERS:
        for case, template in RAW_REQUESTS:
            reason = KNOWN_500.get((server_name, case))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(server_name, template, id=f"{server_name}-{case}", marks=marks)


@pytest.mark.parametrize("server_name, template", list(_cases()))
def test_malformed_http_is_refused_and_the_server_keeps_serving(edge_servers, server_name, template):
    server = edge_servers[server_name]
    held_open: List[socket.socket] = []
    try:
        outcome = raw_exchange(server.port, _request(template, server_name), keep_open=held_open)
        assert outcome.status is None or outcome.status < 500, outcome
        # while an unfinished request is held open, everyone else is still answered
        normal = http("GET", server.url + SERVERS[server_name][2])
        assert normal.status == 200, normal.status
    finally:
        for sock in held_open:
            sock.close()
    assert http("GET", server.url + SERVERS[server_name][2]).status == 200
