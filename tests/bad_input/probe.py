"""Talking to the servers under test: HTTP with a hang limit, raw sockets, process memory.

Every call gives up after HANG_LIMIT_S seconds of silence and fails the case as a hang: a bad
input must get its answer (or its refusal) promptly, not tie the server up.
"""
from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import requests

HANG_LIMIT_S = 2.0
MEMORY_LIMIT_KIB = 2 * 1024 * 1024  # 2 GB per server process


class Hang(AssertionError):
    """The server did not answer within HANG_LIMIT_S."""


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]  # case-insensitive (requests' CaseInsensitiveDict)
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def http(method: str, url: str, *, session: Optional[requests.Session] = None, **kwargs: Any) -> Reply:
    """One request, no redirects followed, the hang limit on connecting and on every read."""
    sender = session or requests
    try:
        response = sender.request(method, url, timeout=(HANG_LIMIT_S, HANG_LIMIT_S), allow_redirects=False,
                                  **kwargs)
    except (requests.Timeout, socket.timeout) as error:
        raise Hang(f"{method} {url[:80]} got no answer within {HANG_LIMIT_S}s") from error
    return Reply(response.status_code, response.headers, response.content)


def assert_json_error(reply: Reply, *statuses: int) -> None:
    """A refusal: a 4xx (one of `statuses` if given) whose JSON body says what is wrong in `error`."""
    assert 400 <= reply.status < 500, (reply.status, reply.text[:200])
    if statuses:
        assert reply.status in statuses, (reply.status, reply.text[:200])
    body = reply.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body


# -- raw HTTP ---------------------------------------------------------------------------------------
_STATUS_LINE = re.compile(rb"^HTTP/\d(?:\.\d)? (\d{3})")
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:\s*(\d+)\s*$")


@dataclass
class RawOutcome:
    """What came back on a raw connection: a status, a close without one, or nothing yet."""
    status: Optional[int]  # None: no HTTP response
    closed: bool  # the server closed the connection
    waiting: bool  # the connection is open and silent: the server waits for the rest of the request


def raw_exchange(port: int, data: bytes, keep_open: Optional[List[socket.socket]] = None) -> RawOutcome:
    """Send `data` as is on a new connection and read one response (or a close, or silence).

    A connection the server still waits on is closed here unless `keep_open` is given, in
    which case it is appended there for the caller to hold open and close.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=HANG_LIMIT_S)
    received = b""
    outcome: Optional[RawOutcome] = None
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-send: whatever answer was written is still read below
        while outcome is None:
            head_end = received.find(b"\r\n\r\n")
            if head_end >= 0:
                length = _CONTENT_LENGTH.search(received[:head_end])
                if length is None or len(received) >= head_end + 4 + int(length.group(1)):
                    break
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                outcome = RawOutcome(_status(received), closed=False, waiting=not received)
                break
            except ConnectionResetError:
                outcome = RawOutcome(_status(received), closed=True, waiting=False)
                break
            if not chunk:
                outcome = RawOutcome(_status(received), closed=True, waiting=False)
                break
            received += chunk
        if outcome is None:
            outcome = RawOutcome(_status(received), closed=False, waiting=False)
    finally:
        if keep_open is not None and outcome is not None and outcome.waiting:
            keep_open.append(sock)
        else:
            sock.close()
    return outcome


def _status(received: bytes) -> Optional[int]:
    match = _STATUS_LINE.match(received)
    return int(match.group(1)) if match else None


# -- memory -----------------------------------------------------------------------------------------
def process_tree(pid: int) -> List[int]:
    """`pid` and all its descendants (Rasa may fork workers), from /proc."""
    parents: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def memory_kib(pid: int) -> Dict[str, int]:
    """VmRSS (now) and VmHWM (peak since the process started) of one process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def server_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
