"""Contact details and preferences are encrypted at rest, readable through the store, migrated,
and re-encrypted by `python -m privacy rotate`."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from console.transcripts import TrackerTranscripts, events
from intake.config import make_engine
from intake.encryption import UNREADABLE
from intake.migrate import current_revision, downgrade, head_revision, upgrade
from intake.store import IntakeStore
from intake.testing import temporary_database_url, use_test_data_keys
from privacy.contact import contact_index

ROOT = Path(__file__).resolve().parents[2]
PERSONAL = ("Quinn", "6145550100", "5550100", "quinn.doe", "Quillfeather", "widowed last spring")


def seed(store: IntakeStore) -> None:
    store.save_preferences("web-1", "web", {"state": "OH", "concern": "Quillfeather grief", "notes": "widowed last spring"})
    store.save_callback("web-1", "Quinn", "phone", "+1 614-555-0100")
    store.save_callback("web-2", "Quinn", "email", "Quinn.Doe@Example.org")


def raw_inquiry_rows(database_url: str) -> list[tuple]:
    """The inquiries table as the database holds it, read without SQLAlchemy's models."""
    url = make_url(database_url)
    columns = "callback_first_name, callback_contact_value, callback_contact_index, preferences, state"
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as conn:
            return conn.execute(f"SELECT {columns} FROM inquiries ORDER BY id").fetchall()
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(f"SELECT {columns} FROM inquiries ORDER BY id"))]
    finally:
        engine.dispose()


def test_nothing_personal_is_stored_in_plain_text(store, database_url):
    seed(store)
    rows = raw_inquiry_rows(database_url)
    stored = " ".join(str(v) for row in rows for v in row)
    for needle in PERSONAL:
        assert needle.lower() not in stored.lower(), needle
    (name1, value1, index1, prefs1, state1), (name2, value2, index2, _, _) = rows
    assert all(v.startswith("enc1:") for v in (name1, value1, prefs1, name2, value2))
    assert state1 == "OH"  # coarse, kept plain for the queue's filter
    assert index1 == contact_index("phone", "(614) 555-0100")
    assert index2 == contact_index("email", "quinn.doe@example.org")
    if make_url(database_url).get_backend_name() == "sqlite":  # not in the file, its WAL or free pages either
        database = Path(make_url(database_url).database)
        raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
        for needle in PERSONAL:
            assert needle.encode() not in raw, needle


def test_the_store_reads_it_back_decrypted(store):
    seed(store)
    first = store.get_inquiry("web-1")
    assert first["callback"] == {"first_name": "Quinn", "contact_method": "phone", "contact_value": "+16145550100",
                                 "requested_at": first["callback"]["requested_at"]}
    assert first["preferences"]["notes"] == "widowed last spring"
    assert store.get_inquiry("web-2")["callback"]["contact_value"] == "Quinn.Doe@example.org"


def test_a_value_under_an_unknown_key_reads_as_unreadable_not_an_error(store, monkeypatch):
    seed(store)
    use_test_data_keys(monkeypatch, Fernet.generate_key())  # the original key is lost
    callback = store.get_inquiry("web-1")["callback"]
    assert callback["first_name"] == UNREADABLE and callback["contact_value"] == UNREADABLE


# -- migration 0004 ------------------------------------------------------------------------
LEGACY_ROWS = [
    # what the old store wrote: plain text, phone numbers by the old normaliser (maybe no country code)
    {"cid": "old-phone", "name": "Quinn", "method": "phone", "value": "6145550100", "prefs": '{"state":"OH","concern":"Quillfeather"}'},
    {"cid": "old-email", "name": "Robin", "method": "email", "value": "robin@example.org", "prefs": None},
    {"cid": "old-none", "name": None, "method": None, "value": None, "prefs": '{"notes":"widowed last spring"}'},
    # the old normaliser took 7 digits; no E.164 form, so kept (encrypted) without a lookup index
    {"cid": "old-local", "name": "Sam", "method": "phone", "value": "5550177", "prefs": None},
]


def test_migration_encrypts_existing_rows_and_downgrades(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0003_console_sessions")
        with engine.begin() as conn:
            for row in LEGACY_ROWS:
                conn.execute(text(
                    "INSERT INTO inquiries (conversation_id, channel, status, created_at, updated_at, preferences, "
                    "risk_rank, callback_requested, callback_first_name, callback_contact_method, callback_contact_value) "
                    "VALUES (:cid, 'web', 'new', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :prefs, 0, :requested, :name, :method, :value)"
                ), {**row, "requested": row["name"] is not None})

        upgrade(engine)
        assert current_revision(engine) == head_revision()
        stored = " ".join(str(v) for row in raw_inquiry_rows(database_url) for v in row)
        for needle in ("Quinn", "6145550100", "robin@", "Quillfeather", "widowed", "5550177"):
            assert needle not in stored, needle
        store = IntakeStore(database_url)
        try:
            old_phone = store.get_inquiry("old-phone")
            # re-normalised to E.164 on the way, and findable by its blind index
            assert old_phone["callback"]["contact_value"] == "+16145550100"
            assert old_phone["callback"]["first_name"] == "Quinn"
            assert old_phone["preferences"] == {"state": "OH", "concern": "Quillfeather"}
            assert store.get_inquiry("old-email")["callback"]["contact_value"] == "robin@example.org"
            assert store.get_inquiry("old-none")["preferences"] == {"notes": "widowed last spring"}
            assert store.get_inquiry("old-local")["callback"]["contact_value"] == "5550177"
            # a row written after the upgrade is encrypted too, and survives the downgrade
            store.save_callback("new-one", "Avery", "email", "avery@example.org")
        finally:
            store.close()
        indexes = [r[2] for r in raw_inquiry_rows(database_url)]
        assert indexes == [contact_index("phone", "+16145550100"), contact_index("email", "robin@example.org"), None,
                           None, contact_index("email", "avery@example.org")]

        downgrade(engine, "0003_console_sessions")
        assert "callback_contact_index" not in {c["name"] for c in inspect(engine).get_columns("inquiries")}
        with engine.connect() as conn:
            plain = conn.execute(text(
                "SELECT conversation_id, callback_first_name, callback_contact_value, preferences FROM inquiries ORDER BY id"
            )).all()
        assert [tuple(r) for r in plain] == [
            ("old-phone", "Quinn", "+16145550100", '{"state":"OH","concern":"Quillfeather"}'),
            ("old-email", "Robin", "robin@example.org", None),
            ("old-none", None, None, '{"notes":"widowed last spring"}'),
            ("old-local", "Sam", "5550177", None),
            ("new-one", "Avery", "avery@example.org", None),
        ]
        upgrade(engine)
        assert "Avery" not in " ".join(str(v) for row in raw_inquiry_rows(database_url) for v in row)
    finally:
        engine.dispose()


# -- key rotation --------------------------------------------------------------------------
@pytest.fixture
def tracker_url(database_url):
    kind = "sqlite" if database_url.startswith("sqlite") else "postgres"
    with temporary_database_url(kind, prefix="tracker_test") as url:
        yield url


def run_privacy_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "privacy", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def test_rotation_rewrites_intake_rows_and_tracker_events_under_the_newest_key(
        store, database_url, tracker_url, monkeypatch):
    key_a, key_b = Fernet.generate_key(), Fernet.generate_key()
    use_test_data_keys(monkeypatch, key_a)
    seed(store)
    transcripts = TrackerTranscripts(tracker_url)
    transcripts.create_schema()
    try:
        from console.demo import add_transcript

        add_transcript(transcripts, "web-1", [("visitor", "I'm Quinn, 614.555.0100"), ("assistant", "Thanks.")])
        with transcripts.engine.begin() as conn:  # an event stored before encryption existed
            conn.execute(events.insert().values(sender_id="web-1", type_name="user", timestamp=1e10,
                                                data=json.dumps({"event": "user", "text": "a legacy message"})))

        use_test_data_keys(monkeypatch, key_b, key_a)  # B is new; A still decrypts
        assert store.get_inquiry("web-1")["callback"]["first_name"] == "Quinn"
        assert [line.text for line in transcripts.transcript("web-1")] == [
            "I'm Quinn, 614.555.0100", "Thanks.", "a legacy message"]

        result = run_privacy_cli("rotate", env={
            "DATA_ENCRYPTION_KEYS": f"{key_b.decode()},{key_a.decode()}", "DATA_INDEX_KEY": os.environ["DATA_INDEX_KEY"],
            "INTAKE_DATABASE_URL": database_url, "TRACKER_DATABASE_URL": tracker_url,
        })
        assert result.returncode == 0, result.stderr
        assert "re-encrypted 2 inquiries" in result.stdout and "re-encrypted 5 events" in result.stdout
        assert "Quinn" not in result.stdout + result.stderr

        use_test_data_keys(monkeypatch, key_b)  # A is retired
        first = store.get_inquiry("web-1")
        assert first["callback"]["first_name"] == "Quinn" and first["callback"]["contact_value"] == "+16145550100"
        assert first["preferences"]["concern"] == "Quillfeather grief"
        assert store.get_inquiry("web-2")["callback"]["contact_value"] == "Quinn.Doe@example.org"
        assert [line.text for line in transcripts.transcript("web-1")] == [
            "I'm Quinn, 614.555.0100", "Thanks.", "a legacy message"]
        with transcripts.engine.connect() as conn:
            stored = conn.execute(events.select().with_only_columns(events.c.data)).scalars().all()
        assert all(d.startswith("enc1:") for d in stored) and not any("legacy" in d for d in stored)
        # the blind index does not depend on the encryption key: lookups still find the contact
        assert raw_inquiry_rows(database_url)[0][2] == contact_index("phone", "614-555-0100")
    finally:
        transcripts.close()


def test_new_key_prints_a_fresh_fernet_key():
    first, second = (run_privacy_cli("new-key", env={}).stdout.strip() for _ in range(2))
    assert first != second
    Fernet(first.encode())  # raises if it is not a key
