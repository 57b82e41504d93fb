"""Stored conversations are encrypted, and no log of any server carries personal data,
after a conversation full of it (the shared `assistant` stack: Rasa, action server, providers)."""
import sqlite3
import uuid

import pytest

from tests.channels.test_sms_e2e import post_sms
from tests.conftest import say
from tests.support.conversations import rest_id, tracker

pytestmark = pytest.mark.e2e

PERSONAL = {
    "email": "dana.whitfield@example.org",
    "phone": "(614) 555-0143",
    "name": "Dana Whitfield",
    "story": "my sister Marguerite moved out after the fire",
}
SMS_NUMBER = "+16145550177"


@pytest.fixture(scope="module")
def personal_conversation(assistant):
    sender = f"privacy-{uuid.uuid4().hex[:8]}"
    for text in (
        f"hi, I'm {PERSONAL['name']} and {PERSONAL['story']}",
        f"you can email me at {PERSONAL['email']} or call {PERSONAL['phone']}",
        "/inform{\"callback_contact_value\": \"" + PERSONAL["email"] + "\"}",
        "I'd like to find a therapist",
        PERSONAL["story"],
    ):
        say(assistant, sender, text)
    post_sms(assistant, f"this is {PERSONAL['name']}, {PERSONAL['story']}", SMS_NUMBER)
    return sender


def test_the_tracker_database_holds_no_plain_text(assistant, personal_conversation, stack_workdir):
    # the conversation is readable through Rasa ...
    events = tracker(assistant.url, rest_id(personal_conversation))["events"]
    assert any(PERSONAL["story"] in (e.get("text") or "") for e in events)
    # ... and the database file, opened directly, shows none of it
    raw = (stack_workdir / "tracker.db").read_bytes()
    for value in (*PERSONAL.values(), SMS_NUMBER, SMS_NUMBER.lstrip("+"), "Marguerite", "dana.whitfield"):
        assert value.encode() not in raw, value
    with sqlite3.connect(stack_workdir / "tracker.db") as db:
        senders = {row[0] for row in db.execute("select distinct sender_id from events")}
        data = [row[0] for row in db.execute("select data from events")]
    assert all(s.split(":")[0] in ("rest", "web", "sms") for s in senders)
    assert data and all(d.startswith("enc1:") for d in data)


def test_no_log_carries_personal_data(assistant, actions_server, provider_server, personal_conversation):
    for server in (assistant, actions_server, provider_server):
        log = server.log.read_text(errors="replace")
        for value in (*PERSONAL.values(), "Marguerite", "dana.whitfield", "555-0143", "5550143", SMS_NUMBER,
                      SMS_NUMBER.lstrip("+")):
            assert value not in log, f"{value!r} in {server.log.name}"
