"""The load balancer's check: 503 until the model is loaded, then 200 without asking any dependency.
(The 200 under every dependency fault is asserted in tests/faults.)"""
from __future__ import annotations

import json
from types import SimpleNamespace

from bot.channels import health


def request_with(agent):
    return SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))


def test_no_agent_or_no_model_yet_means_starting():
    assert health._loaded_agent(request_with(None)) is None
    assert health._loaded_agent(request_with(SimpleNamespace(is_ready=lambda: False))) is None
    answer = health._starting()
    assert answer.status == 503
    assert json.loads(answer.body) == {"status": "starting", "crisis_replies": "unavailable"}


def test_a_loaded_model_is_ready():
    agent = SimpleNamespace(is_ready=lambda: True)
    assert health._loaded_agent(request_with(agent)) is agent
