"""Fixtures of the bad-input suite: the warmed-up stack, a real staff console, the case order.

The Rasa server, action server and provider directory are the session's shared ones
(tests/conftest.py); the staff console runs here as its own process (console_stack.py), so its
log file and memory are checked like the others'.
"""
from __future__ import annotations

import pytest
import requests

from tests.bad_input.console_stack import ADMIN, COORDINATOR, console_service, sign_in
from tests.bad_input.sent import SENT
from tests.conftest import REST_AUTH, post_json

AFTER_ALL_CASES = "after_all_cases"


def pytest_configure(config):
    config.addinivalue_line("markers", f"{AFTER_ALL_CASES}: runs after every other test of the session "
                                       "(memory and log checks over what the cases did)")


def pytest_collection_modifyitems(config, items):
    """The memory and log checks look at what every case did, so they run last (a stable sort)."""
    items.sort(key=lambda item: item.get_closest_marker(AFTER_ALL_CASES) is not None)


@pytest.fixture(autouse=True)
def count_case(request):
    """The log check (test_aftermath.py) only means something once cases have run."""
    if request.node.get_closest_marker(AFTER_ALL_CASES) is None:
        SENT.cases += 1


@pytest.fixture(scope="session")
def rasa(assistant):
    """The shared Rasa server, after a few turns: the first messages load models lazily, and a
    case must not be blamed for that."""
    for text in ("hi", "What is transference?", "I feel anxious"):
        post_json(f"{assistant.url}/webhooks/rest/webhook", {"sender": "bad-input-warm-up", "message": text},
                  timeout=120, headers=REST_AUTH)
    return assistant


@pytest.fixture(scope="session")
def console_server(stack_workdir):
    with console_service(stack_workdir / "console") as console:
        yield console


@pytest.fixture(scope="session")
def admin_session(console_server) -> requests.Session:
    with sign_in(console_server, *ADMIN) as session:
        yield session


@pytest.fixture(scope="session")
def coordinator_session(console_server) -> requests.Session:
    with sign_in(console_server, *COORDINATOR) as session:
        yield session
