"""The SMS channel end to end: signed Twilio-style webhooks against the real assistant.

Uses the shared `assistant` fixture (Rasa + action server + provider service, trained model)
and, for segmenting and multi-server behaviour, a second Rasa server that shares the first
one's tracker store but is configured with short SMS segments.
"""
import json
import random
import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from typing import Dict, List, Optional, Tuple

import pytest
from twilio.request_validator import RequestValidator

from bot.channels.sms_request import phone_hash
from intake.store import IntakeStore
from tests.support import servers
from tests.support.conversations import sms_id, tracker

pytestmark = pytest.mark.e2e

TOKEN = "test-twilio-token"  # what the shared stack_env exports as TWILIO_AUTH_TOKEN
SERVICE_NUMBER = "+15550009999"


def new_phone() -> str:
    return "+1555" + "".join(random.choice("0123456789") for _ in range(7))


def new_sid() -> str:
    return "SM" + "".join(random.choice("0123456789abcdef") for _ in range(32))


def post_sms(server, body: Optional[str], sender: str, sid: Optional[str] = None, token: str = TOKEN,
             signature: Optional[str] = "compute", fields: Optional[Dict[str, str]] = None) -> Tuple[int, str, str]:
    """POST a Twilio-style webhook; returns (status, content type, body text)."""
    url = f"{server.url}/webhooks/sms/webhook"
    if fields is None:
        fields = {"From": sender, "To": SERVICE_NUMBER, "Body": body, "MessageSid": sid or new_sid(),
                  "AccountSid": "AC" + "0" * 32, "NumSegments": "1"}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "compute":
        signature = RequestValidator(token).compute_signature(url, fields)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()


def twiml_messages(xml_text: str) -> List[str]:
    root = ElementTree.fromstring(xml_text)
    assert root.tag == "Response"
    return [message.text or "" for message in root.findall("Message")]


def text_sms(server, body: str, sender: str, sid: Optional[str] = None) -> List[str]:
    status, content_type, text = post_sms(server, body, sender, sid)
    assert status == 200, text
    assert content_type.startswith("application/xml")
    return twiml_messages(text)


def option_number(reply: str, title: str) -> str:
    match = re.search(rf"^Reply (\d+) for {re.escape(title)}$", reply, re.MULTILINE)
    assert match, f"no option {title!r} in {reply!r}"
    return match.group(1)


def tracker_events(server, sender: str) -> List[dict]:
    return tracker(server.url, sms_id(sender)).get("events") or []


def user_events(server, sender: str) -> List[dict]:
    return [event for event in tracker_events(server, sender) if event["event"] == "user"]


@pytest.fixture(scope="module")
def short_segment_server(trained_model, stack_workdir, stack_env, actions_server, assistant):
    """A second Rasa server on the same tracker store, sending SMS segments of at most 200 chars."""
    credentials = stack_workdir / "credentials-sms-short.yml"
    credentials.write_text("bot.channels.sms.SMSInput:\n  auth_token: ${TWILIO_AUTH_TOKEN}\n  max_segment_chars: 200\n")
    with servers.rasa_server(trained_model, stack_workdir, actions_server.port, credentials=credentials,
                             env=stack_env) as server:
        yield server


# --- the conversation ---------------------------------------------------------------------------

def test_hi_faq_numbered_option_and_crisis_over_sms(assistant):
    phone = new_phone()
    [greeting] = text_sms(assistant, "hi", phone)
    assert "pre-therapy guide" in greeting
    assert "Reply 1 for What is psychodynamic therapy?" in greeting

    [answer] = text_sms(assistant, option_number(greeting, "What is psychodynamic therapy?"), phone)
    assert "talking therapy" in answer
    assert user_events(assistant, phone)[-1]["text"] == "What is psychodynamic therapy?"

    [answer] = text_sms(assistant, "how is it different from psychoanalysis?", phone)
    assert "Psychoanalysis" in answer or "psychoanalysis" in answer

    [greeting] = text_sms(assistant, "hello", phone)
    [help_now] = text_sms(assistant, option_number(greeting, "I need help now"), phone)
    assert "988" in help_now

    crisis = " ".join(text_sms(assistant, "I want to kill myself", phone))
    assert "988" in crisis


def test_whole_conversation_from_hi_to_provider_matches(assistant):
    phone = new_phone()
    [reply] = text_sms(assistant, "hi", phone)
    reply = "\n".join(text_sms(assistant, option_number(reply, "Find a therapist"), phone))
    answers = [  # question fragment -> option title to pick, or free text to type
        ("what brings you", ("option", "Anxiety")),
        ("How old are you", ("option", "25-44")),
        ("Which US state", ("text", "Ohio")),
        ("Which insurance", ("option", "Aetna")),
        ("video, in person, or either", ("option", "Video")),
        ("ZIP code", ("text", "43215")),
        ("particular gender", ("option", "No preference")),
        ("language you'd like", ("option", "English")),
        ("usually free", ("option", "I'm flexible")),
        ("psychodynamic therapist specifically", ("option", "Open to other approaches")),
        ("Shall I search", ("option", "Yes, search")),
    ]
    asked = []
    for _ in range(20):
        if "therapists who could be a good fit" in reply:
            break
        step = next(((fragment, answer) for fragment, answer in answers if fragment in reply), None)
        assert step is not None, f"unexpected question after {asked}: {reply!r}"
        fragment, (kind, value) = step
        asked.append(fragment)
        body = option_number(reply, value) if kind == "option" else value
        reply = "\n".join(text_sms(assistant, body, phone))
    assert "therapists who could be a good fit" in reply, reply
    assert "Shall I search" in asked and "what brings you" in asked
    assert "Reply 1 for Yes, contact me" in reply  # the callback offer, as numbered options
    # Every numbered reply went to Rasa as the option's payload, never as a bare number.
    assert not any(re.fullmatch(r"\d{1,2}", e["text"] or "") for e in user_events(assistant, phone))


def test_crisis_message_over_sms_returns_the_988_text(assistant):
    reply = " ".join(text_sms(assistant, "I don't want to be alive anymore", new_phone()))
    assert "988" in reply and "not a crisis counsellor" in reply


# --- carrier keywords --------------------------------------------------------------------------

def test_stop_silences_until_start_and_is_recorded(assistant, stack_env):
    phone = new_phone()
    store = IntakeStore(stack_env["INTAKE_DATABASE_URL"])
    assert text_sms(assistant, "hi", phone)
    [stopped] = text_sms(assistant, "STOP", phone)
    assert "unsubscribed" in stopped and "START" in stopped
    assert store.is_sms_opted_out(phone_hash(phone, TOKEN))
    turns = len(user_events(assistant, phone))

    assert text_sms(assistant, "what is psychodynamic therapy?", phone) == []  # empty TwiML
    assert text_sms(assistant, "Stop", phone) == []
    assert len(user_events(assistant, phone)) == turns  # nothing reached the dialogue

    [started] = text_sms(assistant, "START", phone)
    assert "Welcome back" in started
    assert not store.is_sms_opted_out(phone_hash(phone, TOKEN))
    [answer] = text_sms(assistant, "what is psychodynamic therapy?", phone)
    assert "talking therapy" in answer


def test_help_names_the_service_how_to_stop_and_988(assistant):
    [reply] = text_sms(assistant, "HELP", new_phone())
    assert "automated assistant" in reply and "STOP" in reply and "988" in reply


def test_opted_out_person_in_crisis_still_gets_the_crisis_reply(assistant):
    phone = new_phone()
    text_sms(assistant, "UNSUBSCRIBE", phone)
    assert text_sms(assistant, "hello", phone) == []
    reply = " ".join(text_sms(assistant, "I am going to kill myself tonight", phone))
    assert "988" in reply or "911" in reply
    assert text_sms(assistant, "hello", phone) == []  # still opted out
    [helped] = text_sms(assistant, "help", phone)  # HELP is always answered
    assert "988" in helped


# --- Twilio delivery behaviour -----------------------------------------------------------------

def test_duplicate_message_sid_is_answered_once_per_turn(assistant):
    phone, sid = new_phone(), new_sid()
    first = text_sms(assistant, "hi", phone, sid=sid)
    retry = text_sms(assistant, "hi", phone, sid=sid)
    assert retry == first  # the retry gets the answer the lost first response carried
    assert [e["message_id"] for e in user_events(assistant, phone)] == [sid]
    bot_turns = [e for e in tracker_events(assistant, phone) if e["event"] == "bot"]
    assert len(bot_turns) == 1


def test_numbers_outside_the_options_pass_through_as_text(assistant):
    phone = new_phone()
    text_sms(assistant, "hi", phone)
    text_sms(assistant, "9", phone)  # the greeting has 4 options
    assert user_events(assistant, phone)[-1]["text"] == "9"


def test_long_non_english_and_emoji_bodies_are_answered(assistant):
    phone = new_phone()
    reply = text_sms(assistant, "¿Qué es la terapia psicodinámica? 😀 " * 200, phone)
    assert reply and all(len(message) <= 1600 for message in reply)
    assert len(user_events(assistant, phone)[-1]["text"]) <= 1600


def test_replies_are_segmented_and_options_work_across_servers(short_segment_server, assistant):
    phone = new_phone()
    segments = text_sms(short_segment_server, "hi", phone)
    assert len(segments) >= 2 and all(len(segment) <= 200 for segment in segments)
    assert [s.split(" ", 1)[0] for s in segments] == [f"({i}/{len(segments)})" for i in range(1, len(segments) + 1)]
    whole = " ".join(re.sub(r"^\(\d+/\d+\) ", "", s) for s in segments)
    assert "Reply 4 for I need help now" in whole
    # The other server reads the options from the shared tracker store.
    [answer] = text_sms(assistant, "1", phone)
    assert "talking therapy" in answer
    # And the opt-out too.
    text_sms(assistant, "STOP", phone)
    assert text_sms(short_segment_server, "hi", phone) == []


# --- refused requests ----------------------------------------------------------------------------

@pytest.mark.parametrize("signature", [None, "", "bm90LWEtc2lnbmF0dXJl", "wrong-token"])
def test_bad_or_missing_signature_is_403_and_nothing_is_processed(assistant, signature):
    phone = new_phone()
    if signature == "wrong-token":
        status, _, body = post_sms(assistant, "hi", phone, token="not-the-token")
    else:
        status, _, body = post_sms(assistant, "hi", phone, signature=signature)
    assert status == 403 and "signature" in body
    assert user_events(assistant, phone) == []


def test_a_signed_request_replayed_with_changed_text_is_refused(assistant):
    phone, sid = new_phone(), new_sid()
    url = f"{assistant.url}/webhooks/sms/webhook"
    fields = {"From": phone, "To": SERVICE_NUMBER, "Body": "hi", "MessageSid": sid}
    signature = RequestValidator(TOKEN).compute_signature(url, fields)
    status, _, _ = post_sms(assistant, None, phone, signature=signature, fields=dict(fields, Body="STOP"))
    assert status == 403


@pytest.mark.parametrize("fields", [
    {"To": SERVICE_NUMBER, "Body": "hi", "MessageSid": "SM" + "1" * 32},  # no From
    {"From": "+15551230001", "To": SERVICE_NUMBER, "MessageSid": "SM" + "1" * 32},  # no Body
    {"From": "+15551230001", "To": SERVICE_NUMBER, "Body": "hi"},  # no MessageSid
    {"From": "not-a-number", "To": SERVICE_NUMBER, "Body": "hi", "MessageSid": "SM" + "1" * 32},
    {"From": "+15551230001", "To": SERVICE_NUMBER, "Body": "hi", "MessageSid": "12345"},
])
def test_malformed_signed_requests_are_400_with_a_plain_reason(assistant, fields):
    status, content_type, body = post_sms(assistant, None, "", fields=fields)
    assert status == 400
    assert content_type.startswith("text/plain") and "<Response" not in body
    assert "field" in body


def test_the_server_log_never_holds_a_full_phone_number(assistant):
    phone = new_phone()
    for body in ("hi", "STOP", "hello?", "START", "I want to kill myself"):
        text_sms(assistant, body, phone)
    post_sms(assistant, "hi", phone, token="not-the-token")
    log = assistant.log.read_text()
    assert "sms webhook refused: invalid signature" in log  # the channel does log to this file
    assert phone[-10:] not in log  # neither "+1555..." nor "1555..." nor "%2B1555..."


def test_the_number_is_kept_encrypted_for_a_call_back_not_as_the_conversation_id(assistant, stack_env):
    import time

    phone = new_phone()
    status, _, _ = post_sms(assistant, "I'd like to find a therapist", phone)
    assert status == 200
    store = IntakeStore(stack_env["INTAKE_DATABASE_URL"])
    try:
        for _ in range(50):  # written in the background, after the reply
            inquiry = store.get_inquiry(sms_id(phone))
            if inquiry and inquiry.get("sms_number"):
                break
            time.sleep(0.1)
        assert inquiry["sms_number"] == phone and inquiry["conversation_id"] == sms_id(phone)
        with store.engine.connect() as connection:
            from sqlalchemy import text

            raw = connection.execute(text("SELECT sms_number FROM inquiries WHERE conversation_id = :c"),
                                     {"c": sms_id(phone)}).scalar_one()
        assert raw.startswith("enc1:") and phone not in raw
    finally:
        store.close()
