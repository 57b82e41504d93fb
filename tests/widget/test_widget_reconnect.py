"""The widget keeps its conversation when the Rasa server restarts (slow: starts its own server twice)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support import servers
from tests.widget.conftest import widget_server
from tests.widget.pages import ChatWidget, wait_until_mounted
from tests.support.conversations import tracker_url, web_id

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def own_assistant(trained_model, tmp_path, stack_env, actions_server):
    """A Rasa server of our own, so restarting it does not disturb the shared one."""
    server = servers.rasa_server(trained_model, tmp_path, actions_server.port, env=stack_env)
    server.start()
    yield server
    server.stop()


def test_reconnects_after_server_restart_without_losing_the_conversation(page: Page, own_assistant, tmp_path):
    with widget_server(tmp_path, own_assistant.url) as demo:
        page.goto(demo.url + "/")
        wait_until_mounted(page)
        widget = ChatWidget(page)
        widget.open()
        widget.wait_for_greeting()
        widget.ask("What is psychodynamic therapy?")
        session_id = widget.stored_entry()["sessionId"]
        before_restart = widget.transcript()

        own_assistant.stop()
        expect(widget.status).to_contain_text(re.compile("Reconnecting|Retrying"), timeout=15_000)
        own_assistant.start()  # same port, same tracker store

        expect(widget.status).to_have_text("", timeout=30_000)
        reply = widget.ask("What is transference?")
        expect(reply).to_contain_text("Transference")
        assert widget.transcript()[: len(before_restart)] == before_restart
        assert widget.stored_entry()["sessionId"] == session_id
        tracker = page.request.get(tracker_url(own_assistant.url, web_id(session_id))).json()
        user_texts = [event.get("text") for event in tracker["events"] if event["event"] == "user"]
        assert "What is psychodynamic therapy?" in user_texts and "What is transference?" in user_texts
