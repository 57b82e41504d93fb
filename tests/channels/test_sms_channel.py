"""The SMS channel's conversation logic against a real SQL tracker store and lock store.

The dialogue itself is scripted here (a stand-in processor that logs events the way Rasa's does),
so these run in milliseconds; tests/channels/test_sms_e2e.py runs the same paths on the trained
assistant over HTTP.
"""
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered

from bot.channels import sms_keywords
from bot.channels.sms import SMSInput
from risk.dialogue import shows_risk
from bot.channels.sms_format import render_turn
from bot.channels.sms_request import InboundSMS, phone_hash
from intake.store import IntakeStore
from tests.support.conversations import sms_id

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "unit-test-token"
PHONE = "+15551230001"
GREETING = {"text": "Hi! What would you like to know?",
            "buttons": [{"title": "What is it?", "payload": "What is psychodynamic therapy?"},
                        {"title": "Find a therapist", "payload": "I want to find a therapist"}]}
CRISIS = {"text": "Please call or text 988 (Suicide & Crisis Lifeline, 24/7)."}


class ScriptedProcessor:
    """Logs UserUttered/BotUttered like Rasa's MessageProcessor, with replies chosen by a script."""

    def __init__(self, tracker_store):
        self.tracker_store = tracker_store
        self.seen: List[UserMessage] = []
        self.fail = False

    @staticmethod
    def reply_to(text: str) -> List[Dict[str, Any]]:
        if "die" in text or "crisis" in text:
            return [CRISIS]
        if text == "What is psychodynamic therapy?":
            return [{"text": "A talking therapy."}]
        if text.lower() in ("hi", "hello"):
            return [GREETING]
        return [{"text": f"echo {len(text)}"}]

    async def parse_message(self, message, tracker=None):
        risky = "die" in message.text
        return {"text": message.text, "intent": {"name": "express_risk" if risky else "greet", "confidence": 1.0}}

    async def handle_message(self, message: UserMessage):
        self.seen.append(message)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, message_id=message.message_id, input_channel=message.input_channel))
        if self.fail:
            await message.output_channel.send_response(message.sender_id, dict(CRISIS))
            raise RuntimeError("action server down")
        for reply in self.reply_to(message.text):
            tracker.update(BotUttered(reply["text"], data={"buttons": reply.get("buttons")}))
            await message.output_channel.send_response(message.sender_id, dict(reply))
        await self.tracker_store.save(tracker)


class Agent:
    def __init__(self, tracker_store):
        self.tracker_store = tracker_store
        self.lock_store = InMemoryLockStore()
        self.processor = ScriptedProcessor(tracker_store)


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def agent(tmp_path, domain):
    return Agent(SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db")))


@pytest.fixture
def intake_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    monkeypatch.setenv("INTAKE_DATABASE_URL", url)
    return url


@pytest.fixture
def channel(intake_url):
    return SMSInput(auth_token=TOKEN)


_counter = iter(range(1, 10_000))


def sms(body: str, sid: str = None, sender: str = PHONE) -> InboundSMS:
    return InboundSMS(sender=sender, to="+15550009999", body=body,
                      message_sid=sid or f"SM{next(_counter):032x}")


def texts(messages) -> List[str]:
    return [m["text"] for m in messages]


async def user_turns(agent, sender=PHONE) -> List[UserUttered]:
    tracker = await agent.tracker_store.retrieve(sms_id(sender))
    return [e for e in tracker.events if isinstance(e, UserUttered)] if tracker else []


async def test_a_number_reply_is_sent_as_the_options_payload(agent, channel):
    assert texts(await channel.handle(agent, sms("hi"))) == [GREETING["text"]]
    assert texts(await channel.handle(agent, sms("1"))) == ["A talking therapy."]
    assert agent.processor.seen[-1].text == "What is psychodynamic therapy?"
    assert agent.processor.seen[-1].metadata["sms"]["option"] == 1
    # The last turn had no buttons, so "1" is now plain text.
    await channel.handle(agent, sms("1"))
    assert agent.processor.seen[-1].text == "1"


async def test_options_are_read_from_the_tracker_store_not_this_process(agent, channel, intake_url):
    await channel.handle(agent, sms("hi"))
    other_server = SMSInput(auth_token=TOKEN)  # a second Rasa server sharing the tracker store
    await other_server.handle(agent, sms("2"))
    assert agent.processor.seen[-1].text == "I want to find a therapist"


async def test_duplicate_message_sid_is_answered_again_without_a_new_turn(agent, channel):
    first = await channel.handle(agent, sms("hi", sid="SM" + "b" * 32))
    again = await channel.handle(agent, sms("hi", sid="SM" + "b" * 32))
    assert render_turn(again) == render_turn(first) and "Reply 2 for Find a therapist" in render_turn(again)
    assert len(agent.processor.seen) == 1
    assert [e.message_id for e in await user_turns(agent)] == ["SM" + "b" * 32]


async def test_stop_silences_the_number_until_start(agent, channel, intake_url):
    assert texts(await channel.handle(agent, sms("STOP"))) == [sms_keywords.STOP_TEXT]
    assert IntakeStore(intake_url).is_sms_opted_out(phone_hash(PHONE, TOKEN))
    assert await channel.handle(agent, sms("hi")) == []
    assert await channel.handle(agent, sms("stop")) == []  # already opted out: nothing more
    assert agent.processor.seen == []  # nothing went to the dialogue while opted out
    assert texts(await channel.handle(agent, sms("START"))) == [sms_keywords.START_TEXT]
    assert not IntakeStore(intake_url).is_sms_opted_out(phone_hash(PHONE, TOKEN))
    assert texts(await channel.handle(agent, sms("hi"))) == [GREETING["text"]]


async def test_opt_out_is_shared_by_every_server_through_the_tracker(agent, channel):
    await channel.handle(agent, sms("unsubscribe"))
    assert await SMSInput(auth_token=TOKEN).handle(agent, sms("hello")) == []
    tracker = await agent.tracker_store.retrieve(sms_id(PHONE))
    assert tracker.get_slot("sms_opted_out") is True


async def test_a_retried_stop_is_confirmed_but_recorded_once(agent, channel, intake_url):
    sid = "SM" + "c" * 32
    await channel.handle(agent, sms("STOP", sid=sid))
    assert texts(await channel.handle(agent, sms("STOP", sid=sid))) == [sms_keywords.STOP_TEXT]
    tracker = await agent.tracker_store.retrieve(sms_id(PHONE))
    assert sum(1 for e in tracker.events if getattr(e, "key", None) == "sms_opted_out") == 1


async def test_help_always_answers_with_988_even_when_opted_out_or_the_dialogue_is_down(agent, channel):
    agent.processor = None  # HELP must not need NLU, dialogue or action server
    assert texts(await channel.handle(agent, sms("HELP"))) == [sms_keywords.HELP_TEXT]
    await channel.handle(agent, sms("STOP"))
    reply = texts(await channel.handle(agent, sms("help")))
    assert reply == [sms_keywords.HELP_TEXT] and "988" in reply[0]


async def test_an_opted_out_person_in_crisis_still_gets_the_crisis_reply(agent, channel):
    await channel.handle(agent, sms("STOP"))
    assert await channel.handle(agent, sms("what are your hours")) == []
    assert texts(await channel.handle(agent, sms("I want to die"))) == [CRISIS["text"]]
    tracker = await agent.tracker_store.retrieve(sms_id(PHONE))
    assert tracker.get_slot("sms_opted_out") is True  # still opted out afterwards
    assert await channel.handle(agent, sms("ok")) == []


async def test_empty_body_gets_a_short_explanation_not_a_turn(agent, channel):
    assert texts(await channel.handle(agent, sms(""))) == [sms_keywords.EMPTY_BODY_TEXT]
    assert agent.processor.seen == []


async def test_a_failing_turn_still_sends_what_was_said_and_988(agent, channel):
    agent.processor.fail = True
    reply = texts(await channel.handle(agent, sms("I want to die")))
    assert reply == [CRISIS["text"], sms_keywords.ERROR_TEXT]


def test_risk_verdicts():
    assert shows_risk({"intent": {"name": "express_risk"}})
    assert shows_risk({"intent": {"name": "greet"}, "risk": {"tier": "clear", "level": "high"}})
    assert shows_risk({"intent": {"name": "greet"}, "risk": {"tier": "uncertain", "level": "concern"}})
    assert not shows_risk({"intent": {"name": "greet"}, "risk": {"tier": "none", "level": "none"}})
    assert not shows_risk({"intent": {"name": "greet"}})


async def test_channel_logs_mask_the_phone_number(agent, channel, caplog):
    caplog.set_level("INFO", logger="bot.channels.sms")
    await channel.handle(agent, sms("STOP"))
    await channel.handle(agent, sms("hello"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "*********01" in logged  # +15551230001 masked to its last two digits
    assert PHONE[-10:] not in logged


class _Request:
    def __init__(self, url: str, query_string: str = ""):
        self.url, self.query_string = url, query_string


def test_signature_is_checked_against_the_public_url_behind_a_proxy():
    internal = "http://10.0.0.5:5005/webhooks/sms/webhook"
    proxied = SMSInput(auth_token=TOKEN, public_url="https://bot.example.org/webhooks/sms/webhook")
    assert proxied.validation_url(_Request(internal)) == "https://bot.example.org/webhooks/sms/webhook"
    assert proxied.validation_url(_Request(internal + "?a=1", "a=1")) == "https://bot.example.org/webhooks/sms/webhook?a=1"
    assert SMSInput(auth_token=TOKEN).validation_url(_Request(internal)) == internal


def test_credentials():
    channel = SMSInput.from_credentials({"auth_token": "abc", "max_segment_chars": 500})
    assert channel.name() == "sms" and channel.url_prefix() == "sms"
    assert channel.auth_token == "abc" and channel.max_segment_chars == 500
    assert SMSInput.from_credentials({"auth_token": "abc", "max_segment_chars": 5000}).max_segment_chars == 1600
    with pytest.raises(Exception, match="credentials"):
        SMSInput.from_credentials(None)
    # An empty token (TWILIO_AUTH_TOKEN="") starts, but refuses every request: fail closed.
    assert SMSInput.from_credentials({"auth_token": ""}).auth_token is None


def test_phone_hash_salt_comes_from_credentials_then_environment_then_token(monkeypatch):
    monkeypatch.delenv("SMS_PHONE_HASH_SALT", raising=False)
    assert SMSInput(auth_token="tok").phone_hash_salt == "tok"
    monkeypatch.setenv("SMS_PHONE_HASH_SALT", "env-salt")
    assert SMSInput(auth_token="tok").phone_hash_salt == "env-salt"
    assert SMSInput(auth_token="tok", phone_hash_salt="cred-salt").phone_hash_salt == "cred-salt"
