"""Fictional demo data (names, 555-01xx numbers, example.org addresses) for screenshots and benchmarks.

Written in the assistant's own vocabulary, so the console is tried on what it will really read:
Rasa's channel names (`socketio`, `sms`, `rest`), namespaced conversation ids (`web:`, `sms:` +
keyed hash, `rest:`), risk levels and situations from risk/constants.py (`imminent` for the
emergency situations, `high`, and `concern` for the screening tier), preferences as the
preferences form records them (`age_range: 25_44`, `format: video`), matches in the shape the
provider search returns, and transcripts with button payloads the way Rasa stores a tap.
"""
from __future__ import annotations

import hashlib
import json
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine

from console.transcripts import SMS_OPT_OUT_SLOT, TrackerTranscripts, events
from intake.encryption import callback_columns, seal_preferences, sms_number_columns
from intake.levels import risk_rank
from intake.migrate import ensure_schema
from intake.models import inquiries, risk_events
from intake.store import IntakeStore, utcnow
from privacy.crypto import cipher
from privacy.identifiers import sms_conversation_id
from risk.constants import DISTRESS, EMERGENCY_SITUATIONS, SITUATIONS

FIRST_NAMES = ["Avery", "Jordan", "Robin", "Sam", "Alex", "Casey", "Morgan", "Riley", "Quinn", "Rowan", "Noor", "Mika"]
STATES = ["CA", "NY", "TX", "OR", "WA", "IL", "MA", "CO", "OH"]
CONCERNS = ["depression", "anxiety", "relationships", "trauma", "grief", "stress", "other"]
AGE_RANGES = ["18_24", "25_44", "25_44", "45_64", "65_plus"]
INSURANCE = ["Aetna", "Cigna", "Blue Cross Blue Shield", "Medicaid", "UnitedHealthcare", "self_pay"]
FORMATS = ["video", "in_person", "either"]
LANGUAGES = ["English", "English", "Spanish", "Mandarin", None]
# Rasa's input channel names, with how often each turns up in the generated queue
CHANNEL_MIX = ["socketio"] * 11 + ["sms"] * 6 + ["rest"] * 3
HIGH_SITUATIONS = [s for s in SITUATIONS if s not in EMERGENCY_SITUATIONS]
SMS_DEMO_NUMBERS = [f"+1555010{n:04d}"[:12] for n in range(100, 200)]  # +1 555 010 01xx: fictional

Turn = tuple  # (speaker, text) or (speaker, text, extra): buttons offered, or the visitor event's metadata


def fictional_preferences(rng: random.Random) -> dict:
    """What the preferences form records (actions/preferences.py recorded_preferences)."""
    fmt = rng.choice(FORMATS)
    return {
        "concern": rng.choice(CONCERNS),
        "age_range": rng.choice(AGE_RANGES),
        "state": rng.choice(STATES),
        "insurance": rng.choice(INSURANCE),
        "format": fmt,
        "zip": f"{rng.randint(10000, 99999)}" if fmt == "in_person" else None,
        "gender": rng.choice(["female", "male", None, None]),
        "language": rng.choice(LANGUAGES),
        "availability": rng.choice(["weekday_daytime", "evenings", "weekends", None]),
        "approach": rng.choice(["open", "open", "psychodynamic"]),
    }


def fictional_match(rng: random.Random, n: int) -> dict:
    """A provider as the provider search returns it (actions.provider_client)."""
    formats = rng.choice([["video"], ["in_person"], ["video", "in_person"]])
    return {
        "id": n,
        "name": f"Dr. {rng.choice(FIRST_NAMES)} Example (demo)",
        "credentials": rng.choice([["PhD"], ["LMFT"], ["LCSW"], ["PsyD", "LMFT"]]),
        "approaches": rng.sample(["Psychodynamic", "CBT", "ACT", "EMDR"], 2),
        "languages": ["English"] + rng.sample(["Spanish", "Mandarin"], rng.randint(0, 1)),
        "format": formats,
        "soonest_appointment": (utcnow().date() + timedelta(days=rng.randint(1, 14))).isoformat(),
        "booking_url": f"https://booking.example.com/demo/providers/{n}",
        "distance": round(rng.uniform(0.5, 20), 1) if "in_person" in formats else None,
        "fictional": True,
    }


def _bulk_risk(rng: random.Random) -> tuple[str, str] | None:
    roll = rng.random()
    if roll < 0.015:
        return rng.choice(EMERGENCY_SITUATIONS), "imminent"
    if roll < 0.045:
        return rng.choice(HIGH_SITUATIONS), "high"
    if roll < 0.06:
        return DISTRESS, "concern"
    return None


def seed_bulk(engine: Engine, count: int, seed: int = 7, staff_ids: Sequence[int] = ()) -> None:
    """Insert `count` fictional inquiries quickly (benchmarks): ~6% with risk, ~20% with callbacks,
    some assigned to `staff_ids`, contacted or escalated."""
    ensure_schema(engine)
    rng = random.Random(seed)
    now = utcnow()
    rows, risks = [], []
    for i in range(count):
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 60))
        channel = rng.choice(CHANNEL_MIX)
        tag = hashlib.sha256(f"bulk-{seed}-{i}".encode()).hexdigest()
        cid = {"socketio": f"web:{tag[:32]}", "sms": f"sms:{tag[:40]}", "rest": f"rest:clinic-{tag[:12]}"}[channel]
        prefs = fictional_preferences(rng)
        status = rng.choice(["new", "new", "in_review", "contacted", "closed"])
        row: dict[str, Any] = {
            "conversation_id": cid, "channel": channel, "status": status,
            "created_at": created, "updated_at": created, "preferences": seal_preferences(json.dumps(prefs)),
            "state": prefs["state"], "risk_rank": 0, "callback_requested": False, "callback_first_name": None,
            "callback_contact_method": None, "callback_contact_value": None, "callback_contact_index": None,
            "callback_requested_at": None, "risk_level": None, "last_risk_at": None, "last_risk_category": None,
            "sms_number": None, "sms_number_index": None, "assigned_to": None, "assigned_at": None,
            "last_contact_at": None, "escalated_at": None, "escalated_by": None,
        }
        if channel == "sms":
            row.update(sms_number_columns(rng.choice(SMS_DEMO_NUMBERS)))
        if rng.random() < 0.2:
            row.update(callback_requested=True, callback_requested_at=created,
                       **callback_columns(rng.choice(FIRST_NAMES), "email", f"person{i}@example.org"))
        risk = _bulk_risk(rng)
        if risk:
            category, level = risk
            row.update(risk_level=level, risk_rank=risk_rank(level), last_risk_at=created, last_risk_category=category)
            risks.append((i, category, level, channel, created))
            if rng.random() < 0.15:
                row.update(escalated_at=created + timedelta(minutes=30), escalated_by="demo")
        if staff_ids and status != "closed" and rng.random() < 0.4:
            row.update(assigned_to=rng.choice(list(staff_ids)), assigned_at=created + timedelta(minutes=5))
        if status == "contacted":
            row["last_contact_at"] = min(now, created + timedelta(hours=rng.randint(1, 96)))
        rows.append(row)
    with engine.begin() as conn:
        for start in range(0, len(rows), 1000):
            conn.execute(inquiries.insert(), rows[start:start + 1000])
        ids = dict(conn.execute(select(inquiries.c.conversation_id, inquiries.c.id)).all())
        if risks:
            conn.execute(risk_events.insert(), [
                {"inquiry_id": ids[rows[i]["conversation_id"]], "category": c, "level": lv, "risk_rank": risk_rank(lv),
                 "channel": ch, "occurred_at": at}
                for i, c, lv, ch, at in risks
            ])


def _event(conversation_id: str, type_name: str, at: float, data: dict, intent: str | None = None,
           action: str | None = None) -> dict:
    return {
        "sender_id": conversation_id, "type_name": type_name, "timestamp": at, "intent_name": intent,
        "action_name": action, "data": cipher().encrypt(json.dumps({"event": type_name, "timestamp": at, **data})),
    }


def add_transcript(transcripts: TrackerTranscripts, conversation_id: str, turns: list[Turn],
                   start: float | None = None) -> None:
    """Write user/bot events the way our Rasa tracker store stores them (data encrypted).

    A turn is (speaker, text) or (speaker, text, extra): for the assistant, extra lists the
    buttons it offered as (title, payload); for the visitor, it is the user event's metadata
    (e.g. {"sms": {"option": 2}}). A tap is a visitor turn whose text is the button's payload."""
    t = start or time.time() - 600
    rows = []
    for i, turn in enumerate(turns):
        speaker, text = turn[0], turn[1]
        extra = turn[2] if len(turn) > 2 else None
        at = t + i * 20
        if speaker == "visitor":
            intent = text[1:].split("{")[0] if text.startswith("/") else "inform"
            data = {"text": text, "parse_data": {"intent": {"name": intent}}, "metadata": extra or {}}
            rows.append(_event(conversation_id, "user", at, data, intent=intent))
        else:
            buttons = [{"title": title, "payload": payload} for title, payload in (extra or [])]
            rows.append(_event(conversation_id, "bot", at, {"text": text, "data": {"buttons": buttons or None}}))
        rows.append(_event(conversation_id, "action", at + 1, {"name": "action_listen"}, action="action_listen"))
    with transcripts.engine.begin() as conn:
        conn.execute(events.insert(), rows)


def add_sms_opt_out(transcripts: TrackerTranscripts, conversation_id: str, opted_out: bool, at: float) -> None:
    """The slot event the SMS channel writes on STOP (True) or START (False)."""
    with transcripts.engine.begin() as conn:
        conn.execute(events.insert(), [_event(conversation_id, "slot", at, {"name": SMS_OPT_OUT_SLOT, "value": opted_out})])


def _ago(seconds: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


AVERY_PREFERENCES = {
    "concern": "anxiety", "age_range": "25_44", "state": "OR", "insurance": "Aetna", "format": "video",
    "zip": None, "gender": None, "language": "English", "availability": "evenings", "approach": "open",
}


def seed_showcase(store: IntakeStore, transcripts: TrackerTranscripts, owner_id: int | None = None) -> dict[str, str]:
    """A handful of realistic, fictional inquiries for screenshots, browser tests and manual testing.
    Returns their conversation ids by name; `owner_id` (a staff id) gets two of them assigned."""
    from console.inquiries import InquiryRepository

    transcripts.create_schema()
    rng = random.Random(11)
    now = time.time()
    ids = {
        "crisis_sms": sms_conversation_id("+15550100123"),
        "stopped_sms": sms_conversation_id("+15550100145"),
        "avery": "web:demo-avery-5f2c9a71d04e",
        "rowan": "web:demo-rowan-0c4d8e2b9a13",
        "jordan": "rest:clinic-emr-4471",
    }

    # Texted in with an imminent plan; nobody has called yet.
    store.record_sms_number(ids["crisis_sms"], "+15550100123")
    store.save_preferences(ids["crisis_sms"], "sms", {"concern": "depression", "state": "OH"})
    store.record_risk_event(ids["crisis_sms"], "sms", "imminent_danger", "imminent",
                            _ago(55 * 60))
    add_transcript(transcripts, ids["crisis_sms"], [
        ("assistant", "Hi, I'm the clinic's assistant. What brings you here today?",
         [("Depression or low mood", '/inform{"concern":"depression"}'), ("Anxiety", '/inform{"concern":"anxiety"}')]),
        ("visitor", '/inform{"concern":"depression"}', {"sms": {"option": 1}}),
        ("assistant", "Thanks. Which state are you in?"),
        ("visitor", "ohio. honestly i have the pills here and i'm going to take them tonight"),
        ("assistant", "I'm really glad you told me. If you are in danger right now, call 911. You can also call or "
                      "text 988 any time to reach the Suicide & Crisis Lifeline.",
         [("Show the numbers again", "/express_risk")]),
        ("visitor", "can someone from the clinic call me"),
    ], start=now - 60 * 60)

    # Said they don't want to be alive; asked for a callback by phone. Markup must stay text.
    store.save_preferences(ids["rowan"], "socketio", {"concern": "grief", "age_range": "45_64", "state": "TX",
                                                      "language": "Spanish"})
    store.record_risk_event(ids["rowan"], "socketio", "suicidal", "high", _ago(3 * 3600))
    store.save_callback(ids["rowan"], "Rowan", "phone", "+1 555 010 0199")
    add_transcript(transcripts, ids["rowan"], [
        ("visitor", "/greet"),
        ("assistant", "Hola, soy el asistente de la clínica. ¿En qué te puedo ayudar?"),
        ("visitor", "<b>hola</b> <script>alert('hi')</script> — ya no quiero estar vivo desde que murió mi madre"),
        ("assistant", "Gracias por contármelo. Puedes llamar o enviar un mensaje al 988 ahora mismo, a cualquier hora."),
    ], start=now - 3 * 3600 - 60)

    # Finished the preferences form with taps, saw matches, asked to be emailed.
    store.save_preferences(ids["avery"], "socketio", AVERY_PREFERENCES)
    store.save_matches(ids["avery"], [fictional_match(rng, 17), fictional_match(rng, 23)], ["availability"])
    store.save_callback(ids["avery"], "Avery", "email", "avery@example.org")
    add_transcript(transcripts, ids["avery"], [
        ("visitor", "/greet"),
        ("assistant", "Hi! I can explain psychodynamic therapy or help you find a therapist.",
         [("What is psychodynamic therapy?", "What is psychodynamic therapy?"),
          ("Find a therapist", "I want to find a therapist")]),
        ("visitor", "I want to find a therapist"),
        ("assistant", "What brings you to therapy?",
         [("Anxiety", '/inform{"concern":"anxiety"}'), ("Depression", '/inform{"concern":"depression"}')]),
        ("visitor", '/inform{"concern":"anxiety"}'),
        ("assistant", "Which age range are you in?", [("18-24", '/inform{"age_range":"18_24"}'),
                                                     ("25-44", '/inform{"age_range":"25_44"}')]),
        ("visitor", '/inform{"age_range":"25_44"}'),
        ("assistant", "Here's what I have: anxiety, 25-44, Oregon, Aetna, video. Shall I search for therapists now?",
         [("Yes, search", "/affirm"), ("Change something", "/correct_answer")]),
        ("visitor", "/affirm"),
        ("assistant", "Would you like someone from the intake team to contact you to help you book?",
         [("Yes, contact me", "/give_consent"), ("No thanks", "/deny")]),
        ("visitor", "/give_consent"),
        ("assistant", "What's the best phone number or email address to reach you?"),
        ("visitor", "avery@example.org"),
    ], start=now - 5 * 3600)

    # Asked a screening question by the assistant (the concern tier), from a clinic's own system.
    store.save_preferences(ids["jordan"], "rest", {"concern": "stress", "age_range": "18_24", "state": "NY",
                                                   "format": "in_person", "zip": "10027"})
    store.record_risk_event(ids["jordan"], "rest", DISTRESS, "concern", _ago(26 * 3600))
    add_transcript(transcripts, ids["jordan"], [
        ("visitor", "everything is too much lately, I can't cope"),
        ("assistant", "That sounds really hard. Are you having any thoughts of harming yourself?",
         [("Yes", "/affirm"), ("No", "/deny")]),
        ("visitor", "/deny"),
    ], start=now - 26 * 3600 - 60)

    # Texted STOP after a high-risk conversation; the team has already called once.
    store.record_sms_number(ids["stopped_sms"], "+15550100145")
    store.record_risk_event(ids["stopped_sms"], "sms", "self_harm", "high", _ago(30 * 3600))
    store.record_sms_opt_out("demo-phone-hash-0145", True, conversation_id=ids["stopped_sms"])
    add_transcript(transcripts, ids["stopped_sms"], [
        ("visitor", "i've been cutting again"),
        ("assistant", "Thank you for telling me. You can call or text 988 any time, day or night."),
    ], start=now - 30 * 3600 - 40)
    add_sms_opt_out(transcripts, ids["stopped_sms"], True, now - 29 * 3600)

    repo = InquiryRepository(store.engine)
    stopped = store.get_inquiry(ids["stopped_sms"])["id"]
    repo.change_status(stopped, "in_review", "demo", "Calling the number from the SMS record.")
    repo.log_contact(stopped, "demo", "reached", "Talked for 20 minutes; safety plan agreed; will text a referral.")
    if owner_id is not None:
        repo.assign(store.get_inquiry(ids["avery"])["id"], owner_id, "demo")
        repo.assign(stopped, owner_id, "demo")
    return ids
