"""Unit tests of reading a Twilio webhook: signature, form parsing, fields, keywords, hashing."""
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from bot.channels.sms_keywords import HELP_TEXT, STOP_TEXT, Keyword, classify_keyword
from bot.channels.sms_request import (
    MAX_BODY_CHARS,
    FormParams,
    MalformedRequest,
    parse_form,
    phone_hash,
    read_inbound_sms,
    signature_is_valid,
)

TOKEN = "test-twilio-token"
URL = "https://bot.example.org/webhooks/sms/webhook"
FIELDS = {"From": "+15551230001", "To": "+15550009999", "Body": "Hi there", "MessageSid": "SM" + "a1" * 16}


def form(fields) -> FormParams:
    return parse_form(urlencode(fields).encode())


def test_twilio_documented_vector_is_accepted():
    # The example from Twilio's security documentation, signed by Twilio with this token.
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature_is_valid("12345", url, form(params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signature_is_valid("12345", url, form(params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ")


def test_signature_computed_by_twilios_validator_is_accepted():
    signature = RequestValidator(TOKEN).compute_signature(URL, FIELDS)
    assert signature_is_valid(TOKEN, URL, form(FIELDS), signature)


@pytest.mark.parametrize("change", [
    {"token": "another-token"}, {"url": URL.replace("https", "http")}, {"url": URL + "?x=1"},
    {"field": ("Body", "Hi there!")}, {"field": ("From", "+15551230002")},
])
def test_signature_over_anything_else_is_rejected(change):
    signature = RequestValidator(change.get("token", TOKEN)).compute_signature(change.get("url", URL), FIELDS)
    fields = dict(FIELDS)
    if "field" in change:
        fields[change["field"][0]] = change["field"][1]
    assert not signature_is_valid(TOKEN, URL, form(fields), signature)


def test_missing_signature_or_token_is_never_valid():
    signature = RequestValidator(TOKEN).compute_signature(URL, FIELDS)
    assert not signature_is_valid(TOKEN, URL, form(FIELDS), None)
    assert not signature_is_valid(TOKEN, URL, form(FIELDS), "")
    assert not signature_is_valid(None, URL, form(FIELDS), signature)
    assert not signature_is_valid("", URL, form(FIELDS), signature)


def test_signature_with_port_variant_is_accepted():
    # Twilio signs with or without the default port depending on the product; both must pass.
    signature = RequestValidator(TOKEN).compute_signature("https://bot.example.org:443/webhooks/sms/webhook", FIELDS)
    assert signature_is_valid(TOKEN, URL, form(FIELDS), signature)


def test_blank_body_is_kept_and_validates():
    fields = dict(FIELDS, Body="")
    params = form(fields)
    assert params.first("Body") == ""
    assert signature_is_valid(TOKEN, URL, params, RequestValidator(TOKEN).compute_signature(URL, fields))
    assert read_inbound_sms(params).body == ""


def test_emoji_and_non_english_round_trip():
    fields = dict(FIELDS, Body="¿Necesito ayuda? 😀 терапия")
    params = form(fields)
    assert read_inbound_sms(params).body == "¿Necesito ayuda? 😀 терапия"
    assert signature_is_valid(TOKEN, URL, params, RequestValidator(TOKEN).compute_signature(URL, fields))


def test_percent_encoded_invalid_utf8_is_replaced_not_fatal():
    params = parse_form(b"From=%2B15551230001&To=%2B15550009999&MessageSid=SM" + b"a1" * 16 + b"&Body=%FF%FEhi")
    assert read_inbound_sms(params).body == "\ufffd\ufffdhi"


def test_raw_non_utf8_body_is_malformed():
    with pytest.raises(MalformedRequest):
        parse_form(b"Body=\xff\xfe")


def test_oversized_form_is_malformed():
    with pytest.raises(MalformedRequest):
        parse_form(b"Body=" + b"a" * 70_000)


@pytest.mark.parametrize("missing", ["From", "To", "Body", "MessageSid"])
def test_each_required_field_is_checked(missing):
    fields = {k: v for k, v in FIELDS.items() if k != missing}
    with pytest.raises(MalformedRequest, match=missing):
        read_inbound_sms(form(fields))


@pytest.mark.parametrize("sender", ["+16145550100", " +16145550100 ", "+1 614 555 0100", "+1 (614) 555-0100"])
def test_sender_is_normalised_to_e164(sender):
    # the same form deletion by phone computes the SMS conversation from (privacy.contact)
    assert read_inbound_sms(form(dict(FIELDS, From=sender))).sender == "+16145550100"


@pytest.mark.parametrize("field,value", [
    ("From", "5551230001"), ("From", "+1555abc0001"), ("From", "whatsapp:+15551230001"),
    ("From", "+1555123000"), ("From", "+999 555 1230001"),
    ("MessageSid", "SM123"), ("MessageSid", "not-a-sid"), ("To", "  "),
])
def test_malformed_fields_are_rejected_without_echoing_numbers(field, value):
    with pytest.raises(MalformedRequest) as error:
        read_inbound_sms(form(dict(FIELDS, **{field: value})))
    assert "555" not in str(error.value)


def test_repeated_field_is_malformed():
    params = parse_form(urlencode(list(FIELDS.items()) + [("Body", "second")]).encode())
    with pytest.raises(MalformedRequest, match="more than once"):
        read_inbound_sms(params)


def test_long_body_is_truncated_and_control_chars_removed():
    sms = read_inbound_sms(form(dict(FIELDS, Body="a\x00b" + "x" * 5000)))
    assert sms.truncated and len(sms.body) == MAX_BODY_CHARS and sms.body.startswith("a b")


@pytest.mark.parametrize("body,opted_out,keyword", [
    ("STOP", False, Keyword.STOP), (" stop ", False, Keyword.STOP), ("Stop!", False, Keyword.STOP),
    ("unsubscribe", False, Keyword.STOP), ("STOPALL", False, Keyword.STOP), ("cancel", False, Keyword.STOP),
    ("end", False, Keyword.STOP), ("quit", False, Keyword.STOP),
    ("START", True, Keyword.START), ("unstop", True, Keyword.START), ("start", False, Keyword.START),
    ("yes", True, Keyword.START), ("yes", False, None),
    ("HELP", False, Keyword.HELP), ("help", True, Keyword.HELP), ("Info", False, Keyword.HELP),
    ("please stop asking me that", False, None), ("help me", False, None), ("I need help", False, None),
    ("", False, None), ("stopp", False, None),
])
def test_keywords_are_whole_messages_only(body, opted_out, keyword):
    assert classify_keyword(body, opted_out) is keyword


def test_help_and_stop_texts_always_name_988():
    assert "988" in HELP_TEXT and "STOP" in HELP_TEXT and "automated assistant" in HELP_TEXT
    assert "988" in STOP_TEXT and "START" in STOP_TEXT
    assert len(HELP_TEXT) <= 480  # at most three SMS parts


def test_phone_hash_is_salted_and_stable():
    assert phone_hash("+15551230001", "salt-a") == phone_hash("+15551230001", "salt-a")
    assert phone_hash("+15551230001", "salt-a") != phone_hash("+15551230001", "salt-b")
    assert "5551230001" not in phone_hash("+15551230001", "salt-a")
    assert len(phone_hash("+15551230001", "salt-a")) == 64
