"""Fictional demo data (names, 555-01xx numbers, example.org addresses) for screenshots and benchmarks."""
from __future__ import annotations

import json
import random
import time
from datetime import timedelta

from sqlalchemy.engine import Engine

from console.transcripts import TrackerTranscripts, events
from intake.encryption import callback_columns, seal_preferences
from intake.levels import risk_rank
from intake.migrate import ensure_schema
from intake.models import inquiries, risk_events
from intake.store import IntakeStore, utcnow
from privacy.crypto import cipher

FIRST_NAMES = ["Avery", "Jordan", "Robin", "Sam", "Alex", "Casey", "Morgan", "Riley", "Quinn", "Rowan", "Noor", "Mika"]
STATES = ["CA", "NY", "TX", "OR", "WA", "IL", "MA", "CO"]
CONCERNS = ["anxiety", "low mood", "relationships", "grief", "work stress", "sleep"]
MODALITIES = ["online", "in person", "either"]
LANGUAGES = ["English", "Spanish", "Mandarin", "Arabic"]
CATEGORIES = [("suicidal_ideation", "imminent"), ("self_harm", "high"), ("harm_to_others", "high"), ("abuse", "moderate")]


def fictional_preferences(rng: random.Random) -> dict:
    return {
        "state": rng.choice(STATES),
        "concern": rng.choice(CONCERNS),
        "modality": rng.choice(MODALITIES),
        "language": rng.choice(LANGUAGES),
        "budget": rng.choice(["insurance", "sliding scale", "self-pay"]),
    }


def seed_bulk(engine: Engine, count: int, seed: int = 7) -> None:
    """Insert `count` fictional inquiries quickly (benchmarks): ~5% with risk, ~20% with callbacks."""
    ensure_schema(engine)
    rng = random.Random(seed)
    now = utcnow()
    rows, risks = [], []
    for i in range(count):
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 60))
        channel = rng.choice(["web", "web", "sms"])
        cid = f"+1555010{i:04d}" if channel == "sms" else f"web-{seed}-{i:06d}"
        prefs = fictional_preferences(rng)
        row = {
            "conversation_id": cid, "channel": channel, "status": rng.choice(["new", "new", "in_review", "contacted", "closed"]),
            "created_at": created, "updated_at": created, "preferences": seal_preferences(json.dumps(prefs)), "state": prefs["state"],
            "risk_rank": 0, "callback_requested": False, "callback_first_name": None,
            "callback_contact_method": None, "callback_contact_value": None, "callback_contact_index": None,
            "callback_requested_at": None,
            "risk_level": None, "last_risk_at": None, "last_risk_category": None,
        }
        if rng.random() < 0.2:
            row.update(callback_requested=True, callback_requested_at=created,
                       **callback_columns(rng.choice(FIRST_NAMES), "email", f"person{i}@example.org"))
        if rng.random() < 0.05:
            category, level = rng.choice(CATEGORIES)
            row.update(risk_level=level, risk_rank=risk_rank(level), last_risk_at=created, last_risk_category=category)
            risks.append((i, category, level, channel, created))
        rows.append(row)
    with engine.begin() as conn:
        for start in range(0, len(rows), 1000):
            conn.execute(inquiries.insert(), rows[start:start + 1000])
        ids = dict(conn.execute(inquiries.select().with_only_columns(inquiries.c.conversation_id, inquiries.c.id)).all())
        if risks:
            conn.execute(risk_events.insert(), [
                {"inquiry_id": ids[rows[i]["conversation_id"]], "category": c, "level": lv, "risk_rank": risk_rank(lv),
                 "channel": ch, "occurred_at": at}
                for i, c, lv, ch, at in risks
            ])


def add_transcript(transcripts: TrackerTranscripts, conversation_id: str, turns: list[tuple[str, str]], start: float | None = None) -> None:
    """Write user/bot events the way our Rasa tracker store stores them (data encrypted)."""
    t = start or time.time() - 600
    rows = []
    for i, (speaker, text) in enumerate(turns):
        type_name = "user" if speaker == "visitor" else "bot"
        rows.append({
            "sender_id": conversation_id, "type_name": type_name, "timestamp": t + i * 20,
            "intent_name": "inform" if type_name == "user" else None,
            "action_name": None,
            "data": cipher().encrypt(json.dumps({"event": type_name, "timestamp": t + i * 20, "text": text})),
        })
        rows.append({"sender_id": conversation_id, "type_name": "action", "timestamp": t + i * 20 + 1,
                     "intent_name": None, "action_name": "action_listen",
                     "data": cipher().encrypt(json.dumps({"event": "action", "name": "action_listen"}))})
    with transcripts.engine.begin() as conn:
        conn.execute(events.insert(), rows)


def seed_showcase(store: IntakeStore, transcripts: TrackerTranscripts) -> None:
    """A handful of realistic, fictional inquiries for screenshots and manual testing."""
    transcripts.create_schema()
    store.save_preferences("web-demo-avery", "web", {"state": "OR", "concern": "anxiety", "modality": "online", "language": "English"})
    store.save_callback("web-demo-avery", "Avery", "email", "avery@example.org")
    add_transcript(transcripts, "web-demo-avery", [
        ("visitor", "Hi, I'm looking for a therapist for anxiety, online if possible."),
        ("assistant", "I can help with that. Which state are you in?"),
        ("visitor", "Oregon"),
        ("assistant", "Thanks. Would you like someone from our intake team to call or email you?"),
        ("visitor", "Email please, avery@example.org"),
    ])
    store.record_risk_event("+15550100123", "sms", "suicidal_ideation", "imminent")
    store.save_preferences("+15550100123", "sms", {"state": "CA", "concern": "low mood"})
    add_transcript(transcripts, "+15550100123", [
        ("visitor", "i dont see the point of going on anymore"),
        ("assistant", "I'm really glad you told me. You can call or text 988 right now to reach the Suicide & Crisis Lifeline, any time."),
        ("visitor", "ok. can someone from the clinic talk to me too"),
        ("assistant", "Yes. Someone from our intake team will reach out. If you are in danger right now, call 911."),
    ])
    store.save_preferences("web-demo-jordan", "web", {"state": "NY", "concern": "relationships", "modality": "in person", "budget": "sliding scale"})
    store.save_matches("web-demo-jordan", [{"name": "Dr. Imaginary Example", "city": "Albany"}, {"name": "Fictional Counseling Collective", "city": "Troy"}], ["distance"])
    store.save_preferences("web-demo-rowan", "web", {"state": "TX", "concern": "grief", "language": "Spanish"})
    store.record_risk_event("web-demo-rowan", "web", "self_harm", "high")
    store.save_callback("web-demo-rowan", "Rowan", "phone", "+1 555 010 0199")
    add_transcript(transcripts, "web-demo-rowan", [
        ("visitor", "<b>hola</b> <script>alert('hi')</script> — busco terapia para el duelo"),
        ("assistant", "Lo siento mucho por tu pérdida. ¿En qué estado vives?"),
    ])
