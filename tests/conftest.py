"""Shared fixtures: the trained assistant and the real servers it runs on.

The expensive things (training, starting Rasa) happen once per test session and
only for tests that ask for them. See tests/support/servers.py.
"""
from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.support import servers

# credentials.yml needs it (the SMS channel's signature key); a test-only value.
os.environ.setdefault("TWILIO_AUTH_TOKEN", "test-twilio-token")


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Path to the full assistant model (NLU + dialogue), trained once per content hash."""
    return servers.trained_model_path()


@pytest.fixture(scope="session")
def stack_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
def provider_server(stack_workdir):
    with servers.provider_service(stack_workdir) as server:
        yield server


@pytest.fixture(scope="session")
def stack_env(stack_workdir, provider_server) -> Dict[str, str]:
    return {
        "PROVIDER_SEARCH_URL": provider_server.url,
        "INTAKE_DATABASE_URL": f"sqlite:///{stack_workdir / 'intake.db'}",
        "TRACKER_DATABASE_URL": f"sqlite:///{stack_workdir / 'tracker.db'}",
        "TWILIO_AUTH_TOKEN": "test-twilio-token",
    }


@pytest.fixture(scope="session")
def actions_server(stack_workdir, stack_env):
    with servers.action_server(stack_workdir, env=stack_env) as server:
        yield server


@pytest.fixture(scope="session")
def assistant(trained_model, stack_workdir, stack_env, actions_server):
    """The whole assistant: Rasa server (REST + socketio + sms) with action server and provider service."""
    with servers.rasa_server(trained_model, stack_workdir, actions_server.port, env=stack_env) as server:
        yield server


def post_json(url: str, payload: Dict[str, Any], timeout: float = 30) -> Any:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode() or "null")


def say(server, sender: str, text: str) -> List[Dict[str, Any]]:
    """Send one message over the REST channel and return the bot's replies."""
    return post_json(f"{server.url}/webhooks/rest/webhook", {"sender": sender, "message": text})


@pytest.fixture
def chat():
    return say
