"""SMS channel (POST /webhooks/sms/webhook, Twilio-signed): hostile texts, bad phone numbers,
missing and repeated fields, wrong signatures, huge and malformed bodies, repeated MessageSids.

Every case must get a 4xx or a TwiML 200 within the hang limit, and the number it came from
(when it is one) must get a normal answer right after.
"""
from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ElementTree
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from bot.channels.sms_keywords import ERROR_TEXT
from bot.channels.sms_request import MAX_FORM_BYTES, FormParams
from tests.bad_input.probe import Reply, http
from tests.bad_input.sent import SENT, key_of
from tests.bad_input.values import EMAILS, NORMAL_QUESTION, PHONES, hostile_texts

pytestmark = pytest.mark.e2e

TOKEN = "test-twilio-token"  # the shared stack's TWILIO_AUTH_TOKEN (tests/conftest.py)
WEBHOOK = "/webhooks/sms/webhook"
SERVICE_NUMBER = "+15550009999"
FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}
Fields = Sequence[Tuple[str, str]]


def phone_for(case: object) -> str:
    """A fictional US number of this case's own (the same on every run)."""
    digits = int(hashlib.sha256(repr(case).encode("utf-8", "surrogatepass")).hexdigest(), 16) % 10**7
    phone = f"+1555{digits:07d}"
    SENT.phone(phone)
    return phone


def sid_for(case: object) -> str:
    return "SM" + key_of(("sid", case)) + key_of(("sid2", case)) + "0" * 8


def fields_for(phone: str, body: str, sid: Optional[str] = None, **overrides: Optional[str]) -> List[Tuple[str, str]]:
    """A Twilio webhook's fields; an override of None leaves that field out."""
    SENT.text(body)
    fields = {"From": phone, "To": SERVICE_NUMBER, "Body": body, "MessageSid": sid or sid_for((phone, body)),
              "AccountSid": "AC" + "0" * 32, "NumSegments": "1", **overrides}
    return [(name, value) for name, value in fields.items() if value is not None]


def signature(url: str, fields: Fields, token: str = TOKEN) -> str:
    params = FormParams()
    for name, value in fields:
        params.setdefault(name, []).append(value)
    return RequestValidator(token).compute_signature(url, params)


def post(server, fields: Fields = (), *, body: Optional[bytes] = None, sign: Optional[str] = "compute",
         headers: Optional[Dict[str, object]] = None) -> Reply:
    url = server.url + WEBHOOK
    sent_headers: Dict[str, object] = dict(FORM_TYPE)
    if sign == "compute":
        sent_headers["X-Twilio-Signature"] = signature(url, fields)
    elif sign is not None:
        sent_headers["X-Twilio-Signature"] = sign
    sent_headers.update(headers or {})
    return http("POST", url, data=urlencode(list(fields)).encode() if body is None else body, headers=sent_headers)


def twiml_messages(reply: Reply) -> List[str]:
    assert reply.status == 200, (reply.status, reply.text[:200])
    assert reply.content_type.startswith("application/xml"), reply.content_type
    root = ElementTree.fromstring(reply.body)
    assert root.tag == "Response"
    return [message.text or "" for message in root.findall("Message")]


def assert_twiml_or_refusal(reply: Reply) -> None:
    if reply.status == 200:
        twiml_messages(reply)
    else:
        assert 400 <= reply.status < 500, (reply.status, reply.text[:200])


def assert_normal_turn(server, phone: str) -> None:
    messages = twiml_messages(post(server, fields_for(phone, NORMAL_QUESTION, sid_for((phone, NORMAL_QUESTION, 2)))))
    assert any("ransference" in m for m in messages), messages


# -- hostile texts as the SMS body (a form post cannot carry lone surrogates) -------------------------------
@pytest.mark.parametrize("text", [pytest.param(t, id=case) for case, t in hostile_texts(surrogates=False)])
def test_hostile_text_gets_a_twiml_answer(rasa, text):
    phone = phone_for(("text", text))
    messages = twiml_messages(post(rasa, fields_for(phone, text)))
    assert messages and ERROR_TEXT not in messages, messages
    assert_normal_turn(rasa, phone)


@pytest.mark.parametrize("length", [1601, 5000, MAX_FORM_BYTES // 2])
def test_body_over_the_sms_limit_is_answered_truncated(rasa, length):
    phone = phone_for(("long", length))
    messages = twiml_messages(post(rasa, fields_for(phone, "I feel anxious " * (length // 15))))
    assert messages
    assert_normal_turn(rasa, phone)


# -- the fields -------------------------------------------------------------------------------------------
BAD_FROM = [
    "", " ", "15550104477", "+1", "+1555", "+999999999999", "+1 555 010 4477 ext 5", "whatsapp:+15550104477",
    "+1555010447a", "++15550104477", "+٣٣٣٣٣٣٣٣٣٣", "+15550104477\x00", "+" + "1" * 50, "<script>", "' OR 1=1 --",
    "+1 (555) 010-44\u202e77", EMAILS[0], "+" + "9" * 2000,
]


@pytest.mark.parametrize("sender", [pytest.param(v, id=f"from-{i}") for i, v in enumerate(BAD_FROM)])
def test_bad_sender_number_is_refused(rasa, sender):
    reply = post(rasa, fields_for(sender, "hello"))
    assert reply.status == 400, (reply.status, reply.text[:200])
    assert sender.strip() == "" or sender.strip() not in reply.text  # the refusal does not echo the number


@pytest.mark.parametrize("sender", [pytest.param(v, id=f"phone-{i}") for i, v in enumerate(PHONES) if v.startswith("+")])
def test_formatted_e164_sender_is_answered(rasa, sender):
    assert twiml_messages(post(rasa, fields_for(sender, "hello")))
    assert_normal_turn(rasa, sender)


ODD_FIELDS = [
    ("to-empty", {"To": ""}, 400), ("to-blank", {"To": "   "}, 400), ("to-junk", {"To": "<x>" * 500}, 200),
    ("sid-empty", {"MessageSid": ""}, 400), ("sid-short", {"MessageSid": "SM123"}, 400),
    ("sid-not-hex", {"MessageSid": "SM" + "g" * 32}, 400), ("sid-lower-prefix", {"MessageSid": "sm" + "a" * 32}, 400),
    ("sid-long", {"MessageSid": "SM" + "a" * 64}, 400), ("sid-sql", {"MessageSid": "SM' OR 1=1 --"}, 400),
    ("sid-mms", {"MessageSid": "MM" + "b" * 32}, 200), ("sid-padded", {"MessageSid": " SM" + "c" * 32 + "\n"}, 200),
    ("no-from", {"From": None}, 400), ("no-to", {"To": None}, 400), ("no-body", {"Body": None}, 400),
    ("no-sid", {"MessageSid": None}, 400), ("account-junk", {"AccountSid": "\x00" * 10}, 200),
    ("segments-junk", {"NumSegments": "-1e309"}, 200), ("media-junk", {"NumMedia": "NaN", "MediaUrl0": "javascript:x"}, 200),
]


@pytest.mark.parametrize("overrides, status", [pytest.param(o, s, id=k) for k, o, s in ODD_FIELDS])
def test_missing_and_malformed_fields(rasa, overrides, status):
    phone = phone_for(("fields", sorted(overrides.items(), key=str)))
    reply = post(rasa, fields_for(phone, "hello", **overrides))
    assert reply.status == status, (reply.status, reply.text[:200])
    assert_twiml_or_refusal(reply)
    assert_normal_turn(rasa, phone)


@pytest.mark.parametrize("field", ["From", "To", "Body", "MessageSid"])
def test_a_field_given_twice_is_refused(rasa, field):
    phone = phone_for(("twice", field))
    fields = fields_for(phone, "hello")
    fields.append((field, dict(fields)[field] if field != "From" else phone_for("other")))
    assert post(rasa, fields).status == 400
    assert_normal_turn(rasa, phone)


@pytest.mark.parametrize("count", [100, 2000])
def test_many_extra_fields(rasa, count):
    phone = phone_for(("extra", count))
    extra = [(f"X{i}\u202e", "\x00" * (i % 3)) for i in range(count)]
    assert_twiml_or_refusal(post(rasa, fields_for(phone, "hello") + extra))
    assert_normal_turn(rasa, phone)


# -- the signature -------------------------------------------------------------------------------------------
SIGNATURES = [
    ("unsigned", None, 403), ("empty", "", 403), ("wrong", "d3Jvbmc=", 403), ("long", "A" * 6000, 403),
    ("over-header-limit", "A" * 10_000, 413), ("latin1", "\xe9" * 20, 403), ("other-token", "other-token", 403),
    ("other-url", "other-url", 403), ("field-dropped", "field-dropped", 403),
]


@pytest.mark.parametrize("kind, value, status", [pytest.param(k, v, s, id=k) for k, v, s in SIGNATURES])
def test_unsigned_or_wrongly_signed_request_is_refused(rasa, kind, value, status):
    phone = phone_for(("sig", kind))
    fields = fields_for(phone, f"signature case {kind}: my email is {EMAILS[2]}")
    url = rasa.url + WEBHOOK
    if kind == "other-token":
        value = signature(url, fields, token="not-the-token")
    elif kind == "other-url":
        value = signature(url + "?x=1", fields)
    elif kind == "field-dropped":
        value = signature(url, fields[:-1])
    reply = post(rasa, fields, sign=value)
    assert reply.status == status, (reply.status, reply.text[:200])
    assert_normal_turn(rasa, phone)


RAW_BODIES = [
    ("invalid-utf8", b"From=%2B15550100000&Body=\xff\xfe"), ("too-large", b"Body=" + b"x" * (MAX_FORM_BYTES + 1)),
    ("json", b'{"From": "+15550100000", "Body": "hi"}'), ("empty", b""), ("nul", b"\x00" * 50),
    ("bad-percent", b"From=%ZZ&To=%&Body=%E2%82&MessageSid=%"), ("only-separators", b"&&&===&&&"),
    ("multipart", b"--x\r\nContent-Disposition: form-data; name=\"Body\"\r\n\r\nhi\r\n--x--\r\n"),
]


@pytest.mark.parametrize("body", [pytest.param(b, id=k) for k, b in RAW_BODIES])
@pytest.mark.parametrize("sign", ["junk-signature", None])
def test_malformed_body_is_refused(rasa, body, sign):
    reply = post(rasa, body=body, sign=sign)
    assert 400 <= reply.status < 500, (reply.status, reply.text[:200])
    assert_normal_turn(rasa, phone_for("after-raw"))


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json", "multipart/form-data", "\x01"])
def test_signed_form_with_any_content_type(rasa, content_type):
    phone = phone_for(("content-type", content_type))
    assert_twiml_or_refusal(post(rasa, fields_for(phone, "hello"), headers={"Content-Type": content_type}))
    assert_normal_turn(rasa, phone)


# -- Twilio retries and replays ----------------------------------------------------------------------------
@pytest.mark.parametrize("second_body", ["I feel anxious", "a different message", ""])
def test_repeated_message_sid_replays_the_first_answer(rasa, second_body):
    phone = phone_for(("repeat", second_body))
    sid = sid_for(("repeat", second_body))
    first = twiml_messages(post(rasa, fields_for(phone, "I feel anxious", sid)))
    again = twiml_messages(post(rasa, fields_for(phone, second_body, sid)))
    assert again == first
    assert_normal_turn(rasa, phone)


def test_message_sid_of_another_number_is_a_new_message(rasa):
    sid = sid_for("shared-sid")
    assert twiml_messages(post(rasa, fields_for(phone_for("sid-owner"), "hello", sid)))
    assert twiml_messages(post(rasa, fields_for(phone_for("sid-borrower"), NORMAL_QUESTION, sid)))
