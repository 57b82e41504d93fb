"""Retention purge and deletion on request leave nothing behind in the intake db or the tracker store."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.engine import make_url

from console.__main__ import main as console_cli
from console.demo import add_transcript
from console.inquiries import InquiryRepository
from console.retention import delete_person, purge_expired
from console.transcripts import events
from intake.models import audit_log, inquiries
from intake.store import utcnow
from privacy.identifiers import sms_conversation_id

PHONE = "+16145550100"
SMS_ID = sms_conversation_id(PHONE)
EMAIL = "avery.doe@example.org"
SECRET_TEXT = "my secret is Quillfeather"
PHONE_CONVERSATIONS = (SMS_ID, "web:callback", "web:mention")
EMAIL_CONVERSATIONS = ("web:email-callback", "web:email-mention")


def all_text_in(engine) -> str:
    """Every value of every row of every table, as one string."""
    chunks = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def sqlite_file_bytes(url: str) -> bytes:
    database = Path(make_url(url).database)
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))


def assert_gone(settings, store, transcripts, *needles: str) -> None:
    intake_text, tracker_text = all_text_in(store.engine), all_text_in(transcripts.engine)
    for needle in needles:
        assert needle not in intake_text, needle
        assert needle not in tracker_text, needle
    if store.engine.dialect.name == "sqlite":  # not even in free pages or the WAL
        raw = sqlite_file_bytes(settings.intake_database_url) + sqlite_file_bytes(settings.tracker_database_url)
        for needle in needles:
            assert needle.encode() not in raw, needle


def held(store, transcripts, conversation_id: str) -> tuple[bool, int]:
    """(has an inquiry, number of tracker events) for a conversation."""
    with transcripts.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(events).where(events.c.sender_id == conversation_id)).scalar()
    return store.get_inquiry(conversation_id) is not None, count


def seed_person(store, transcripts):
    """One person, found three ways by phone and two by email; plus someone else who must stay."""
    # texted in from the number (the SMS conversation id is a keyed hash of it, never the number)
    store.record_sms_number(SMS_ID, PHONE)
    store.record_risk_event(SMS_ID, "sms", "self_harm", "high")
    store.save_preferences(SMS_ID, "sms", {"state": "OH", "concern": "Quillfeather grief"})
    add_transcript(transcripts, SMS_ID, [("visitor", SECRET_TEXT), ("assistant", "I hear you.")])
    InquiryRepository(store.engine).change_status(store.get_inquiry(SMS_ID)["id"], "in_review", "cole", "called back")
    # asked for a callback from the web chat, typing the number in another format
    store.save_callback("web:callback", "Quinn", "phone", "+1 614-555-0100")
    add_transcript(transcripts, "web:callback", [("visitor", "Quinn"), ("visitor", "+1 614-555-0100")])
    # gave the number in a web conversation without asking for a callback
    store.save_preferences("web:mention", "socketio", {"state": "OH"})
    add_transcript(transcripts, "web:mention", [("visitor", "you can reach me on 614.555.0100 after 5")])
    # by email: a callback, and a conversation that mentions the address
    store.save_callback("web:email-callback", "Avery", "email", "Avery.Doe@Example.org")
    add_transcript(transcripts, "web:email-mention", [("visitor", f"write to {EMAIL.upper()} please")])
    # someone else, who must stay
    store.save_callback("web:other", "Robin", "phone", "(614) 555-0101")
    add_transcript(transcripts, "web:other", [("visitor", "unrelated visitor, call 614.555.0101")])


def test_delete_by_phone_in_any_format_removes_it_everywhere(settings, store, transcripts):
    seed_person(store, transcripts)
    result = delete_person(store.engine, transcripts, phone="(614) 555-0100")
    assert result.inquiries == 3  # the SMS conversation, the callback and the conversation that mentions it
    assert result.transcript_events == 4 + 4 + 2
    for conversation_id in PHONE_CONVERSATIONS:
        assert held(store, transcripts, conversation_id) == (False, 0), conversation_id
    assert_gone(settings, store, transcripts, SECRET_TEXT, SMS_ID, "web:callback", "web:mention", "called back")
    # someone else's number differs in one digit: untouched
    assert store.get_inquiry("web:other")["callback"]["contact_value"] == "+16145550101"
    assert [line.text for line in transcripts.transcript("web:other")] == ["unrelated visitor, call 614.555.0101"]
    for conversation_id in EMAIL_CONVERSATIONS:
        assert held(store, transcripts, conversation_id) != (False, 0), conversation_id


def test_delete_by_email_removes_callbacks_and_conversations_mentioning_it(settings, store, transcripts):
    seed_person(store, transcripts)
    result = delete_person(store.engine, transcripts, email=" avery.doe@EXAMPLE.org ")
    assert result.inquiries == 1 and result.transcript_events == 2
    for conversation_id in EMAIL_CONVERSATIONS:
        assert held(store, transcripts, conversation_id) == (False, 0), conversation_id
    assert_gone(settings, store, transcripts, "web:email-callback", "web:email-mention")
    for conversation_id in PHONE_CONVERSATIONS:
        assert held(store, transcripts, conversation_id)[0] or held(store, transcripts, conversation_id)[1]


def test_legacy_conversations_are_found_too(store, transcripts):
    """Transcripts stored before encryption (plain JSON) and SMS conversations stored under the number."""
    store.save_preferences(PHONE, "sms", {"state": "OH"})
    with transcripts.engine.begin() as conn:
        conn.execute(events.insert(), [
            {"sender_id": PHONE, "type_name": "user", "timestamp": 1.0, "data": json.dumps({"text": "hello"})},
            {"sender_id": "web-legacy", "type_name": "user", "timestamp": 2.0,
             "data": json.dumps({"text": "call (614) 555-0100"})},
        ])
    result = delete_person(store.engine, transcripts, phone="614-555-0100")
    assert result.inquiries == 1 and result.transcript_events == 2


def test_delete_by_phone_finds_the_sms_number_by_its_blind_index(settings, store, transcripts):
    """An SMS inquiry whose id no longer derives from the number (e.g. after the index key changed)
    is found by the stored number's blind index; the number was never in plain text."""
    store.record_sms_number("sms:from-before-a-key-change", "(614) 555-0100")
    store.record_sms_number("sms:someone-else", "(614) 555-0101")
    assert_gone(settings, store, transcripts, PHONE)  # stored encrypted
    assert store.get_inquiry("sms:from-before-a-key-change")["sms_number"] == PHONE  # and read back decrypted
    result = delete_person(store.engine, transcripts, phone="614.555.0100")
    assert result.inquiries == 1
    assert store.get_inquiry("sms:from-before-a-key-change") is None
    assert store.get_inquiry("sms:someone-else") is not None


def test_deletion_is_audited_without_personal_data(store, transcripts):
    seed_person(store, transcripts)
    delete_person(store.engine, transcripts, phone="(614) 555-0100", actor="cli")
    delete_person(store.engine, transcripts, email="nobody@example.org", actor="cli")
    with store.engine.connect() as conn:
        trail = conn.execute(select(audit_log).where(audit_log.c.action == "delete_on_request")).all()
    assert len(trail) == 4  # three inquiries, and one request that matched none
    logged = " ".join(f"{row.actor} {row.action} {row.detail}" for row in trail)
    for needle in ("614", "555", "0100", "nobody", "example.org", "web:", "sms:"):
        assert needle not in logged, needle


@pytest.mark.parametrize("kwargs", [{"phone": "555-0100"}, {"phone": "call me"}, {"email": "avery@"}, {}])
def test_an_impossible_contact_is_refused_without_deleting_or_echoing(store, transcripts, kwargs):
    seed_person(store, transcripts)
    with pytest.raises(ValueError) as error:
        delete_person(store.engine, transcripts, **kwargs)
    assert "0100" not in str(error.value) and "avery" not in str(error.value)
    assert held(store, transcripts, SMS_ID) == (True, 4)


def test_delete_by_conversation_id(settings, store, transcripts):
    seed_person(store, transcripts)
    result = delete_person(store.engine, transcripts, conversation_id="web:callback")
    assert result.inquiries == 1
    assert held(store, transcripts, "web:callback") == (False, 0)
    assert_gone(settings, store, transcripts, "web:callback")
    assert store.get_inquiry(SMS_ID) is not None  # the SMS conversation was not named


def test_cli_delete_and_purge(settings, store, transcripts, monkeypatch, capsys):
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.intake_database_url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", settings.tracker_database_url)
    seed_person(store, transcripts)
    assert console_cli(["delete", "--phone", "614 555 0100"]) == 0
    out = capsys.readouterr().out
    assert "deleted 3 inquiries" in out and "for the given phone number" in out
    assert "614" not in out and "0100" not in out  # the number is never printed
    for conversation_id in PHONE_CONVERSATIONS:
        assert held(store, transcripts, conversation_id) == (False, 0), conversation_id
    assert console_cli(["delete", "--email", EMAIL]) == 0
    assert "deleted 1 inquiries" in capsys.readouterr().out
    assert console_cli(["delete"]) == 2
    assert console_cli(["delete", "--phone", "555-0199"]) == 2
    assert "0199" not in capsys.readouterr().err
    assert console_cli(["purge", "--days", "30"]) == 0
    assert "purged 0 inquiries" in capsys.readouterr().out


def test_retention_purge_removes_old_inquiries_and_transcripts(settings, store, transcripts):
    seed_person(store, transcripts)
    store.save_preferences("web:recent", "socketio", {"state": "WA"})
    add_transcript(transcripts, "web:recent", [("visitor", "recent message")])
    old = utcnow() - timedelta(days=200)
    with store.engine.begin() as conn:
        conn.execute(update(inquiries).where(inquiries.c.conversation_id != "web:recent").values(updated_at=old, created_at=old))
    with transcripts.engine.begin() as conn:
        conn.execute(update(events).where(events.c.sender_id != "web:recent").values(timestamp=old.timestamp() - 10))
    # an old turn of the recent conversation is purged too; its newer turn stays
    add_transcript(transcripts, "web:recent", [("visitor", "ancient message Quillfeather")], start=old.timestamp() - 10)

    result = purge_expired(store.engine, transcripts, retention_days=180)
    assert result.inquiries == 5
    for conversation_id in (*PHONE_CONVERSATIONS, *EMAIL_CONVERSATIONS, "web:other"):
        assert held(store, transcripts, conversation_id) == (False, 0), conversation_id
    assert_gone(settings, store, transcripts, SMS_ID, "web:other")
    assert store.get_inquiry("web:recent") is not None
    assert [line.text for line in transcripts.transcript("web:recent")] == ["recent message"]
