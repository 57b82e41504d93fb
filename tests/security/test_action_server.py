"""The action server answers only the Rasa server: bearer token, 127.0.0.1 by default."""
import json
import os
import socket
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.e2e

FORGED_CALLBACK = {
    "next_action": "action_save_callback", "sender_id": "rest:mallory", "version": "3.6.21",
    "tracker": {"sender_id": "rest:mallory", "slots": {"callback_first_name": "Mallory",
                "callback_contact_method": "email", "callback_contact_value": "attacker@example.com"},
                "latest_message": {}, "events": [], "paused": False, "followup_action": None,
                "active_loop": {}, "latest_action_name": "action_listen"},
    "domain": {},
}


def call(server, path, payload=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(server.url + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read().decode() or "null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode() or "null")


def test_direct_calls_without_the_token_are_refused(actions_server):
    assert call(actions_server, "/webhook", FORGED_CALLBACK)[0] == 401
    assert call(actions_server, "/webhook", FORGED_CALLBACK, token="wrong")[0] == 401
    assert call(actions_server, "/actions")[0] == 401
    assert call(actions_server, "/health")[0] == 200  # says only "ok", for load balancers
    status, listed = call(actions_server, "/actions", token=os.environ["ACTION_SERVER_TOKEN"])
    assert status == 200 and {"name": "action_save_callback"} in listed
    assert "action server call refused" in actions_server.log.read_text()


def test_the_assistant_reaches_its_actions_with_the_token(assistant, chat):
    replies = chat(assistant, "rest-actions-token", "I'd like to find a therapist")
    text = " ".join(r.get("text") or "" for r in replies)
    assert text and "not given" not in text  # the form's first question, asked by the action server


def test_the_action_server_listens_on_loopback_only(actions_server):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outward interface
        outside = [probe.getsockname()[0]]
    except OSError:
        outside = []
    finally:
        probe.close()
    outside = [a for a in outside if not a.startswith("127.") and a != "0.0.0.0"]
    if not outside:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with pytest.raises(OSError):
        socket.create_connection((outside[0], actions_server.port), timeout=2).close()
