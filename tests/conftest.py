"""Shared fixtures: the trained assistant and the real servers it runs on.

The expensive things (training, starting Rasa) happen once per test session and
only for tests that ask for them. See tests/support/servers.py.
"""
from __future__ import annotations

import json
import os
import secrets
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from cryptography.fernet import Fernet

from bot.rasa_cli import IDLE_BLAS_THREADS_SLEEP

# Before anything loads numpy: tests that fit the risk classifier, and the servers and training
# they start, leave no BLAS thread spinning (bot/rasa_cli.py says why).
for _name, _value in IDLE_BLAS_THREADS_SLEEP.items():
    os.environ.setdefault(_name, _value)

from intake.testing import MigratedTemplates  # noqa: E402
from tests.support import servers  # noqa: E402

# credentials.yml needs it (the SMS channel's signature key); a test-only value.
os.environ.setdefault("TWILIO_AUTH_TOKEN", "test-twilio-token")
# The REST channel's and the action server's shared secrets, and the data keys, for this test
# session only (servers started by the tests inherit them; nothing is written to the home dir).
# (An empty value counts as unset: make exports empty ones before the venv exists.)
for _name, _make in (("REST_CHANNEL_TOKEN", lambda: secrets.token_urlsafe(24)),
                     ("ACTION_SERVER_TOKEN", lambda: secrets.token_urlsafe(24)),
                     ("DATA_ENCRYPTION_KEYS", lambda: Fernet.generate_key().decode()),
                     ("DATA_INDEX_KEY", lambda: Fernet.generate_key().decode())):
    if not os.environ.get(_name):
        os.environ[_name] = _make()
REST_AUTH = {"Authorization": f"Bearer {os.environ['REST_CHANNEL_TOKEN']}"}

# The fixtures that hand out the trained assistant model (trained once per content hash by
# tests/support/servers.py). Every test that needs one of them, directly or through another fixture
# (a Rasa server, an Agent), gets the `model` marker, which `make test-fast` deselects.
MODEL_FIXTURES = frozenset({"trained_model", "crisis_model"})
MODEL = "model"


# Folders whose modules share what a session did and run in one process under pytest-xdist
# (`--dist loadgroup`, scripts/run_tests.sh): tests/bad_input's after-all checks read the logs of the
# servers every case reached and the cases this process sent.
_ONE_PROCESS_FOLDERS = ("bad_input",)
# The longest groups of `make test`'s model phase, longest first (pytest --durations, 2026-11-30: 64,
# 52, 44, 29, 28, 23, 21, 19 and 15 s of 328 s), started first so that the xdist processes finish
# together: collected in folder order they came last, and one process ran them alone at the end.
_LONGEST_GROUPS_FIRST = ("tests/faults/test_crisis_under_faults.py", "tests/bad_input",
                         "tests/scale/test_behind_haproxy.py", "tests/widget/test_widget_e2e.py",
                         "tests/crisis/test_e2e.py", "tests/scale/test_two_rasa_servers.py",
                         "tests/widget/test_widget_reconnect.py", "tests/nlu/test_graph_runner.py",
                         "tests/crisis/test_hung_action_server.py")


def pytest_configure(config):
    # pytest-xdist hands out groups by their number of tests, most first, unless told to keep the
    # collected order: tests/bad_input's 800 short tests went first and the 64 s fault test (one test)
    # near the end, and one process worked 75 s longer than the other (2026-11-30).
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(config, items):
    for item in items:
        if MODEL_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(MODEL)
        # under pytest-xdist a module stays whole in one process (its servers start once)
        module = Path(str(item.fspath)).relative_to(servers.ROOT)
        folder = module.parts[1] if len(module.parts) > 2 else None
        item.add_marker(pytest.mark.xdist_group(
            f"tests/{folder}" if folder in _ONE_PROCESS_FOLDERS else str(module)))
    items.sort(key=_longest_first)  # stable: within a group, the written order


def _longest_first(item) -> int:
    group = item.get_closest_marker("xdist_group").args[0]
    return _LONGEST_GROUPS_FIRST.index(group) if group in _LONGEST_GROUPS_FIRST else len(_LONGEST_GROUPS_FIRST)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A test without the `model` marker that still reaches the model (e.g. by calling
    servers.trained_model_path() itself) fails with this message instead of training."""
    servers.model_forbidden_reason = None if item.get_closest_marker(MODEL) else (
        f"{item.nodeid} trains or loads the assistant model but is not marked `{MODEL}`: "
        f"ask for the `trained_model` fixture (tests/conftest.py) instead of calling "
        f"servers.trained_model_path(), so `make test-fast` can leave it out")


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Path to the full assistant model (NLU + dialogue), trained once per content hash."""
    return servers.trained_model_path()


@pytest.fixture(scope="session")
def migrated_intake():
    """Intake databases migrated once per database kind per session; `migrated_intake.copy_into(url)`
    gives a test's empty database an exact copy, without running alembic for every test (0.1-0.3 s each)."""
    templates = MigratedTemplates()
    yield templates
    templates.close()


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


def post_json(url: str, payload: Dict[str, Any], timeout: float = 30,
              headers: Optional[Dict[str, str]] = None) -> Any:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode() or "null")


def say(server, sender: str, text: str) -> List[Dict[str, Any]]:
    """Send one message over the REST channel and return the bot's replies."""
    return post_json(f"{server.url}/webhooks/rest/webhook", {"sender": sender, "message": text},
                     headers=REST_AUTH)


@pytest.fixture
def chat():
    return say
