"""Retention purge and deletion on request leave nothing behind in the intake db or the tracker store."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.engine import make_url

from console.__main__ import main as console_cli
from console.demo import add_transcript
from console.inquiries import InquiryRepository
from console.retention import delete_person, purge_expired
from console.transcripts import events
from intake.models import inquiries
from intake.store import utcnow

PHONE = "+15550100177"
SECRET_TEXT = "my secret is Quillfeather"


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


def seed_person(store, transcripts):
    store.record_risk_event(PHONE, "sms", "self_harm", "high")
    store.save_preferences(PHONE, "sms", {"state": "CA", "concern": "Quillfeather grief"})
    add_transcript(transcripts, PHONE, [("visitor", SECRET_TEXT), ("assistant", "I hear you.")])
    # the same person once asked for a callback from the web chat, giving the number in another format
    store.save_callback("web-anon-42", "Quinn", "phone", "+1 (555) 010-0177")
    add_transcript(transcripts, "web-anon-42", [("visitor", "please call Quinn at 555 010 0177")])
    InquiryRepository(store.engine).change_status(store.get_inquiry(PHONE)["id"], "in_review", "cole", "Quinn sounded ok")
    # someone else, who must stay
    store.save_preferences("web-other", "web", {"state": "NY"})
    add_transcript(transcripts, "web-other", [("visitor", "unrelated visitor")])


def test_delete_by_phone_removes_it_everywhere(settings, store, transcripts):
    seed_person(store, transcripts)
    result = delete_person(store.engine, transcripts, phone="(555) 010-0177".replace("(", "+1 ("))
    assert result.inquiries == 2 and result.transcript_events >= 3
    assert_gone(settings, store, transcripts, PHONE, "5550100177", "Quillfeather", "Quinn", "web-anon-42", "010 0177")
    assert store.get_inquiry("web-other") is not None
    with transcripts.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events).where(events.c.sender_id == "web-other")).scalar() > 0


def test_delete_by_conversation_id(settings, store, transcripts):
    seed_person(store, transcripts)
    result = delete_person(store.engine, transcripts, conversation_id="web-anon-42")
    assert result.inquiries == 1
    assert_gone(settings, store, transcripts, "web-anon-42", "Quinn at")
    assert store.get_inquiry(PHONE) is not None  # the SMS conversation was not named


def test_cli_delete_and_purge(settings, store, transcripts, monkeypatch, capsys):
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.intake_database_url)
    monkeypatch.setenv("TRACKER_DATABASE_URL", settings.tracker_database_url)
    seed_person(store, transcripts)
    assert console_cli(["delete", "--phone", PHONE]) == 0
    out = capsys.readouterr().out
    assert "deleted 2 inquiries" in out and PHONE not in out  # the number is masked in output
    assert_gone(settings, store, transcripts, PHONE, "Quillfeather")
    assert console_cli(["delete"]) == 2
    assert console_cli(["purge", "--days", "30"]) == 0
    assert "purged 0 inquiries" in capsys.readouterr().out


def test_retention_purge_removes_old_inquiries_and_transcripts(settings, store, transcripts):
    seed_person(store, transcripts)
    store.save_preferences("web-recent", "web", {"state": "WA"})
    add_transcript(transcripts, "web-recent", [("visitor", "recent message")])
    old = utcnow() - timedelta(days=200)
    with store.engine.begin() as conn:
        conn.execute(update(inquiries).where(inquiries.c.conversation_id != "web-recent").values(updated_at=old, created_at=old))
    # an old turn of the recent conversation is purged too; its newer turn stays
    add_transcript(transcripts, "web-recent", [("visitor", "ancient message Quillfeather")], start=old.timestamp() - 10)

    result = purge_expired(store.engine, transcripts, retention_days=180)
    assert result.inquiries == 3
    assert_gone(settings, store, transcripts, PHONE, "Quillfeather", "Quinn", "web-other", "unrelated visitor")
    assert store.get_inquiry("web-recent") is not None
    assert "recent message" in all_text_in(transcripts.engine)
