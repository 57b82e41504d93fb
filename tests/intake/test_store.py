"""IntakeStore on SQLite and PostgreSQL: records written and read back, upserts, validation."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from intake.models import inquiries, risk_events, sms_opt_out_events


def test_every_method_upserts_one_inquiry_and_reads_back(store):
    cid = "conv-1"
    store.save_matches(cid, [{"name": "Dr. Imaginary", "id": "p1"}], ["distance"])  # first touch: no channel
    store.save_preferences(cid, "web", {"state": "OR", "modality": "online", "language": "Español"})
    store.save_callback(cid, "Ana", "email", "ana@example.org")
    store.record_risk_event(cid, "web", "self_harm", "moderate")

    inquiry = store.get_inquiry(cid)
    assert inquiry["channel"] == "web"  # recorded when a later call knew it
    assert inquiry["status"] == "new"
    assert inquiry["preferences"] == {"state": "OR", "modality": "online", "language": "Español"}
    assert inquiry["state"] == "OR"
    assert inquiry["matches"] == [{"name": "Dr. Imaginary", "id": "p1"}]
    assert inquiry["relaxed"] == ["distance"]
    assert inquiry["callback"]["first_name"] == "Ana"
    assert inquiry["callback"]["contact_method"] == "email"
    assert inquiry["callback"]["contact_value"] == "ana@example.org"
    assert [(e["category"], e["level"], e["channel"], e["conversation_id"]) for e in inquiry["risk_events"]] == [
        ("self_harm", "moderate", "web", cid)
    ]
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inquiries)).scalar() == 1


def test_risk_level_keeps_the_highest_and_events_keep_their_time(store):
    cid = "+14155550100"
    early = datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)
    store.record_risk_event(cid, "sms", "suicidal_ideation", "imminent", occurred_at=early)
    store.record_risk_event(cid, "sms", "substance_use", "low", occurred_at=early + timedelta(minutes=5))
    inquiry = store.get_inquiry(cid)
    assert inquiry["risk_level"] == "imminent" and inquiry["risk_rank"] == 4
    assert inquiry["last_risk_category"] == "substance_use"
    assert [e["occurred_at"] for e in inquiry["risk_events"]] == [
        datetime(2024, 1, 1, 12, 0), datetime(2024, 1, 1, 12, 5)
    ]


def test_callback_phone_is_normalised(store):
    store.save_callback("c2", "Bo", "phone", "+1 (415) 555-0100")
    assert store.get_inquiry("c2")["callback"]["contact_value"] == "+14155550100"


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.save_callback("c", "Ana", "fax", "123"),
        lambda s: s.save_callback("c", "Ana", "email", "not-an-email"),
        lambda s: s.save_callback("c", "Ana", "phone", "call me maybe"),
        lambda s: s.save_callback("c", "", "phone", "+14155550100"),
        lambda s: s.save_callback("c", "A" * 500, "phone", "+14155550100"),
        lambda s: s.save_preferences("", "web", {}),
        lambda s: s.save_preferences("c", "web", "not a dict"),
        lambda s: s.save_preferences("c", "web", {"blob": "x" * 100_000}),
        lambda s: s.save_matches("c", ["not a dict"], []),
        lambda s: s.record_risk_event("c", "web", "I want to die <script>", "high"),
        lambda s: s.record_risk_event("c" * 300, "web", "self_harm", "high"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_error_and_writes_nothing(store, call):
    with pytest.raises(ValueError):
        call(store)
    assert store.get_inquiry("c") is None


def test_non_english_and_hostile_preferences_round_trip(store):
    prefs = {"notes_tag": "<script>alert(1)</script>", "language": "日本語", "emoji": "🙂"}
    store.save_preferences("c3", "web", prefs)
    assert store.get_inquiry("c3")["preferences"] == prefs


def test_sms_opt_out_keeps_state_and_audit_trail(store):
    store.record_sms_opt_out("hash-abc", True)
    assert store.is_sms_opted_out("hash-abc") is True
    store.record_sms_opt_out("hash-abc", False)
    assert store.is_sms_opted_out("hash-abc") is False
    assert store.is_sms_opted_out("never-seen") is False
    with store.engine.connect() as conn:
        trail = conn.execute(
            select(sms_opt_out_events.c.opted_out).order_by(sms_opt_out_events.c.id)
        ).scalars().all()
    assert trail == [True, False]


def test_unknown_conversation_reads_as_none(store):
    assert store.get_inquiry("nobody") is None


def test_risk_event_rows_reference_the_inquiry(store):
    store.record_risk_event("c4", "web", "violence", "high")
    with store.engine.connect() as conn:
        row = conn.execute(select(risk_events)).one()
        assert row.inquiry_id == conn.execute(select(inquiries.c.id)).scalar()
