"""Transcripts read from the (encrypted) tracker store show what the person typed or tapped."""
from __future__ import annotations

import json
import time

from console.demo import add_sms_opt_out, add_transcript
from console.payloads import payload_label
from console.transcripts import events, transcript_text


def texts(transcripts, conversation_id: str) -> list[tuple[str, str, bool]]:
    return [(line.speaker, line.text, line.tapped) for line in transcripts.transcript(conversation_id)]


def test_a_tap_shows_the_title_of_the_button_just_offered(transcripts):
    add_transcript(transcripts, "web:1", [
        ("assistant", "Shall I search for therapists now?", [("Yes, search", "/affirm"), ("Change something", "/correct_answer")]),
        ("visitor", "/correct_answer"),
        ("assistant", "Want to hear about therapy first?", [("Sure", "/affirm")]),
        ("visitor", "/affirm"),  # the same payload, a different title: the one offered last
    ])
    assert texts(transcripts, "web:1") == [
        ("assistant", "Shall I search for therapists now?", False),
        ("visitor", "Change something", True),
        ("assistant", "Want to hear about therapy first?", False),
        ("visitor", "Sure", True),
    ]
    assert transcripts.transcript("web:1")[0].options == ("Yes, search", "Change something")


def test_an_sms_number_reply_shows_the_option_and_the_digit(transcripts):
    add_transcript(transcripts, "sms:1", [
        ("assistant", "Video or in person?", [("Video", '/inform{"format":"video"}'), ("In person", '/inform{"format":"in_person"}')]),
        ("visitor", '/inform{"format":"in_person"}', {"sms": {"option": 2}}),
    ])
    line = transcripts.transcript("sms:1")[1]
    assert (line.text, line.tapped, line.reply) == ("In person", True, "2")


def test_payloads_without_their_button_get_readable_labels_never_the_payload(transcripts):
    add_transcript(transcripts, "web:2", [
        ("visitor", "/greet"),
        ("visitor", "/give_consent"),
        ("visitor", '/inform{"age_range":"25_44"}'),
        ("visitor", '/inform{"insurance":"self_pay"}'),
        ("visitor", '/change_preference{"preference_slot":"format"}'),
        ("visitor", "/some_new_intent"),
        ("visitor", '/inform{"not json'),
        ("visitor", "/ is how I start a message"),  # typed text that only looks a bit like a payload
    ])
    assert [t for _, t, _ in texts(transcripts, "web:2")] == [
        "(opened the chat)", "Yes, contact me", "25-44", "Self-pay", "Change: sessions", "Some new intent", "Inform",
        "/ is how I start a message",
    ]
    # a button title from an earlier turn is not used for a later tap
    add_transcript(transcripts, "web:3", [
        ("assistant", "Pick one", [("Absolutely!", "/affirm")]), ("visitor", "hello"), ("visitor", "/affirm"),
    ])
    assert texts(transcripts, "web:3")[-1] == ("visitor", "Yes", True)


def test_payload_labels_cover_the_domain_buttons():
    """Every payload the assistant's buttons send has a readable fallback label."""
    import yaml

    with open("domain.yml", encoding="utf-8") as handle:
        domain = yaml.safe_load(handle)
    payloads = {
        button["payload"]
        for variants in domain.get("responses", {}).values() for variant in variants
        for button in variant.get("buttons") or [] if str(button.get("payload", "")).startswith("/")
    }
    assert payloads
    for payload in payloads:
        label = payload_label(payload)
        assert label and "/" not in label and "{" not in label and "_" not in label, (payload, label)


def test_legacy_plain_json_and_unreadable_events(transcripts):
    with transcripts.engine.begin() as conn:
        conn.execute(events.insert(), [
            {"sender_id": "web:4", "type_name": "bot", "timestamp": 1.0,
             "data": json.dumps({"text": "Shall I?", "data": {"buttons": [{"title": "Yes please", "payload": "/affirm"}]}})},
            {"sender_id": "web:4", "type_name": "user", "timestamp": 2.0, "data": json.dumps({"text": "/affirm"})},
            {"sender_id": "web:4", "type_name": "user", "timestamp": 3.0, "data": "enc1:not-a-token"},
        ])
    assert texts(transcripts, "web:4") == [("assistant", "Shall I?", False), ("visitor", "Yes please", True)]


def test_many_transcripts_at_once_and_as_text(transcripts):
    for n in range(3):
        add_transcript(transcripts, f"web:{n}", [("visitor", f"hello {n}"), ("assistant", "Hi", [("Go", "/affirm")]),
                                                 ("visitor", "/affirm")])
    found = transcripts.transcripts([f"web:{n}" for n in range(3)] + ["web:none"])
    assert set(found) == {"web:0", "web:1", "web:2"}
    text = transcript_text(found["web:1"])
    assert text.splitlines()[0].endswith("Visitor: hello 1") and text.splitlines()[2].endswith("Visitor: [tapped] Go")


def test_sms_opt_out_is_the_latest_stop_or_start(transcripts):
    assert transcripts.sms_opt_out("sms:5") is None
    add_transcript(transcripts, "sms:5", [("visitor", "STOP")])
    add_sms_opt_out(transcripts, "sms:5", True, time.time() - 100)
    assert transcripts.sms_opt_out("sms:5").opted_out is True
    add_sms_opt_out(transcripts, "sms:5", False, time.time())
    state = transcripts.sms_opt_out("sms:5")
    assert state.opted_out is False and state.at is not None
