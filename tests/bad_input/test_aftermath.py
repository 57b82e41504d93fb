"""After every case: each server process is alive and stayed under 2 GB, and no server log holds a
message text, email address or phone number that a case sent.

These run last (see conftest.py) and look at the servers the session started: the shared Rasa
server, action server and provider directory, and this suite's console.
"""
from __future__ import annotations

from typing import List

import pytest

from tests.bad_input.probe import MEMORY_LIMIT_KIB, memory_kib, process_tree, server_is_alive
from tests.bad_input.sent import SENT

pytestmark = [pytest.mark.e2e, pytest.mark.after_all_cases]  # run last: see conftest.py


@pytest.fixture(scope="module")
def session_servers(rasa, actions_server, provider_server, console_server):
    return [rasa, actions_server, provider_server, console_server.server]


def test_every_server_process_is_alive_and_stayed_under_2_gb(session_servers):
    over: List[str] = []
    for server in session_servers:
        assert server.process.poll() is None and server_is_alive(server.process.pid), f"{server.name} exited"
        for pid in process_tree(server.process.pid):
            try:
                memory = memory_kib(pid)
            except FileNotFoundError:
                continue  # a short-lived child that has just exited
            peak = max(memory.values(), default=0)  # VmHWM: the most it ever held, not just now
            if peak >= MEMORY_LIMIT_KIB:
                over.append(f"{server.name} pid {pid}: {peak // 1024} MiB")
    assert not over, over


def test_no_case_text_email_or_phone_number_in_any_server_log(session_servers):
    if not SENT.cases:
        pytest.skip("no bad-input case ran in this session")
    needles = SENT.needles()
    leaks: List[str] = []
    for server in session_servers:
        log = server.log.read_text(encoding="utf-8", errors="replace")
        folded = log.casefold()
        for needle, what in needles.items():
            position = log.find(needle)
            if position < 0 and "@" in needle:
                position = folded.find(needle.casefold())
            if position >= 0:
                line = log.count("\n", 0, position) + 1
                leaks.append(f"{what} in {server.log.name} line {line}")
    assert not leaks, sorted(set(leaks))
