"""IntakeStore: records what the assistant collected about each inquiry, for intake staff.

Blocking (SQLAlchemy) calls; from async code use `intake.writer.write_safely`.
Every write upserts the inquiry row for its conversation id, so calls may come in any order.
Message text is never passed in or stored; contact details only after explicit consent, and
they and the preferences are stored encrypted (intake.encryption).
"""
from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite

from intake.config import intake_database_url_from_env, make_engine
from intake.channels import channel_of_conversation
from intake.encryption import callback_columns, decrypted, seal_preferences, sms_number_columns
from intake.levels import risk_rank
from intake.migrate import ensure_schema
from intake.models import inquiries, risk_events, sms_opt_out_events, sms_opt_outs
from privacy.contact import normalize_contact, normalize_phone

MAX_ID_LENGTH = 255
MAX_JSON_BYTES = 64 * 1024
MAX_MATCHES = 50

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_LABEL = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def utcnow() -> datetime:
    """Naive UTC: the same representation on SQLite and PostgreSQL."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_naive_utc(value: datetime | None) -> datetime:
    if value is None:
        return utcnow()
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _require_text(name: str, value: Any, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    value = value.strip()
    if len(value) > max_length:
        raise ValueError(f"{name} is longer than {max_length} characters")
    if _CONTROL_CHARS.search(value):
        raise ValueError(f"{name} contains control characters")
    return value


def _require_label(name: str, value: Any) -> str:
    """Channel, category and level are short machine labels, never free text."""
    if not isinstance(value, str) or not _LABEL.match(value.strip()):
        raise ValueError(f"{name} must be a short label (letters, digits, _ . : -)")
    return value.strip().lower()


def _to_json(name: str, value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} is not JSON-serialisable") from exc
    if len(text.encode("utf-8")) > MAX_JSON_BYTES:
        raise ValueError(f"{name} is larger than {MAX_JSON_BYTES} bytes")
    return text


def _from_json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _insert_ignoring_duplicates(conn: Connection):
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(inquiries).on_conflict_do_nothing(index_elements=["conversation_id"])
    if dialect == "sqlite":
        return sqlite.insert(inquiries).on_conflict_do_nothing(index_elements=["conversation_id"])
    return inquiries.insert()


def _state_from_preferences(preferences: dict) -> str | None:
    for key in ("state", "location_state", "region"):
        value = preferences.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:64]
    return None


class IntakeStore:
    def __init__(self, database_url: str):
        self.database_url = database_url
        self.engine: Engine = make_engine(database_url)
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    @classmethod
    def from_env(cls) -> "IntakeStore":
        return cls(intake_database_url_from_env())

    def close(self) -> None:
        self.engine.dispose()

    # -- schema -------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Apply migrations on first use (once per process)."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if not self._schema_ready:
                ensure_schema(self.engine)
                self._schema_ready = True

    # -- writes -------------------------------------------------------------------------
    def _upsert_inquiry(self, conn: Connection, conversation_id: str, channel: str | None) -> int:
        """Return the inquiry id for conversation_id, creating the row on first touch."""
        # writes without a channel (matches, callback) can tell it from the conversation id's namespace
        channel = channel or channel_of_conversation(conversation_id)
        row = conn.execute(
            select(inquiries.c.id, inquiries.c.channel).where(inquiries.c.conversation_id == conversation_id)
        ).first()
        now = utcnow()
        if row is None:
            # INSERT .. ON CONFLICT DO NOTHING: a concurrent writer may create the same row
            # (no savepoint: pysqlite's SAVEPOINT handling is unreliable)
            conn.execute(
                _insert_ignoring_duplicates(conn).values(
                    conversation_id=conversation_id, channel=channel, status="new", created_at=now, updated_at=now
                )
            )
            row = conn.execute(
                select(inquiries.c.id, inquiries.c.channel).where(inquiries.c.conversation_id == conversation_id)
            ).one()
        values: dict[str, Any] = {"updated_at": now}
        if channel and not row.channel:
            values["channel"] = channel
        conn.execute(update(inquiries).where(inquiries.c.id == row.id).values(**values))
        return row.id

    def _update_inquiry(self, conversation_id: str, channel: str | None, **values: Any) -> None:
        """Create the conversation's inquiry if needed and set `values` on it, in one transaction."""
        self.ensure_schema()
        with self.engine.begin() as conn:
            inquiry_id = self._upsert_inquiry(conn, conversation_id, channel)
            conn.execute(update(inquiries).where(inquiries.c.id == inquiry_id).values(**values))

    def record_risk_event(
        self,
        conversation_id: str,
        channel: str,
        category: str,
        level: str,
        occurred_at: datetime | None = None,
        event_key: str | None = None,
    ) -> bool:
        """Record a risk event; with `event_key` (the event broker's), only once: a repeat of a
        recorded key changes nothing and returns False."""
        conversation_id = _require_text("conversation_id", conversation_id, MAX_ID_LENGTH)
        channel = _require_label("channel", channel)
        category = _require_label("category", category)
        level = _require_label("level", level)
        if event_key is not None and not re.fullmatch(r"[0-9a-f]{64}", event_key):
            raise ValueError("event_key must be 64 hex characters")
        occurred = to_naive_utc(occurred_at)
        rank = risk_rank(level)
        self.ensure_schema()
        with self.engine.begin() as conn:
            if event_key is not None and conn.execute(
                select(risk_events.c.id).where(risk_events.c.event_key == event_key)
            ).first() is not None:
                return False
            inquiry_id = self._upsert_inquiry(conn, conversation_id, channel)
            conn.execute(
                risk_events.insert().values(
                    inquiry_id=inquiry_id,
                    category=category,
                    level=level,
                    risk_rank=rank,
                    channel=channel,
                    occurred_at=occurred,
                    event_key=event_key,
                )
            )
            current = conn.execute(
                select(inquiries.c.risk_rank, inquiries.c.last_risk_at).where(inquiries.c.id == inquiry_id)
            ).one()
            values: dict[str, Any] = {}
            if rank >= current.risk_rank:
                values.update(risk_rank=rank, risk_level=level)
            if current.last_risk_at is None or occurred >= current.last_risk_at:
                values.update(last_risk_at=occurred, last_risk_category=category)
            if values:
                conn.execute(update(inquiries).where(inquiries.c.id == inquiry_id).values(**values))
        return True

    def save_preferences(self, conversation_id: str, channel: str, preferences: dict) -> None:
        conversation_id = _require_text("conversation_id", conversation_id, MAX_ID_LENGTH)
        channel = _require_label("channel", channel)
        if not isinstance(preferences, dict):
            raise ValueError("preferences must be a dict")
        preferences_json = _to_json("preferences", preferences)
        self._update_inquiry(conversation_id, channel, preferences=seal_preferences(preferences_json),
                             state=_state_from_preferences(preferences))

    def save_matches(self, conversation_id: str, matches: list[dict], relaxed: list[str]) -> None:
        conversation_id = _require_text("conversation_id", conversation_id, MAX_ID_LENGTH)
        if not isinstance(matches, list) or not all(isinstance(m, dict) for m in matches):
            raise ValueError("matches must be a list of dicts")
        if len(matches) > MAX_MATCHES:
            raise ValueError(f"at most {MAX_MATCHES} matches can be recorded")
        if not isinstance(relaxed, list) or not all(isinstance(r, str) for r in relaxed):
            raise ValueError("relaxed must be a list of strings")
        matches_json = _to_json("matches", matches)
        relaxed_json = _to_json("relaxed", relaxed)
        self._update_inquiry(conversation_id, None, matches=matches_json, relaxed=relaxed_json,
                             matches_shown_at=utcnow())

    def save_callback(self, conversation_id: str, first_name: str, contact_method: str, contact_value: str) -> None:
        """Call only after the visitor explicitly consented to be contacted."""
        conversation_id = _require_text("conversation_id", conversation_id, MAX_ID_LENGTH)
        first_name = _require_text("first_name", first_name, 100)
        contact_value = normalize_contact(contact_method, contact_value)  # also checks the method
        self._update_inquiry(
            conversation_id, None,
            callback_requested=True,
            callback_requested_at=utcnow(),
            **callback_columns(first_name, contact_method, contact_value),
        )

    def record_sms_number(self, conversation_id: str, phone: str) -> None:
        """Keep the number an SMS conversation comes from (encrypted, with a blind index), so staff
        can reveal it, audited, to call the person back. Cheap to call on every message: the row is
        only rewritten when the number differs from the one stored."""
        conversation_id = _require_text("conversation_id", conversation_id, MAX_ID_LENGTH)
        columns = sms_number_columns(normalize_phone(phone))  # ValueError (without the number) if not one
        self.ensure_schema()
        with self.engine.begin() as conn:
            stored = conn.execute(
                select(inquiries.c.sms_number_index).where(inquiries.c.conversation_id == conversation_id)
            ).first()
            if stored is not None and stored.sms_number_index == columns["sms_number_index"]:
                return
            inquiry_id = self._upsert_inquiry(conn, conversation_id, "sms")
            conn.execute(update(inquiries).where(inquiries.c.id == inquiry_id).values(**columns))

    def record_sms_opt_out(self, phone_hash: str, opted_out: bool, conversation_id: str | None = None) -> None:
        """STOP/START audit: keeps the latest state and an append-only trail, keyed by a hash only.
        With `conversation_id`, that conversation's inquiry (if there is one) shows the state to staff."""
        phone_hash = _require_text("phone_hash", phone_hash, 128)
        opted_out = bool(opted_out)
        now = utcnow()
        self.ensure_schema()
        with self.engine.begin() as conn:
            if conversation_id:
                conn.execute(
                    update(inquiries).where(inquiries.c.conversation_id == conversation_id)
                    .values(sms_opted_out=opted_out)
                )
            conn.execute(sms_opt_out_events.insert().values(phone_hash=phone_hash, opted_out=opted_out, recorded_at=now))
            changed = conn.execute(
                update(sms_opt_outs)
                .where(sms_opt_outs.c.phone_hash == phone_hash)
                .values(opted_out=opted_out, updated_at=now)
            ).rowcount
            if not changed:
                conn.execute(sms_opt_outs.insert().values(phone_hash=phone_hash, opted_out=opted_out, updated_at=now))

    # -- reads --------------------------------------------------------------------------
    def is_sms_opted_out(self, phone_hash: str) -> bool:
        self.ensure_schema()
        with self.engine.connect() as conn:
            value = conn.execute(
                select(sms_opt_outs.c.opted_out).where(sms_opt_outs.c.phone_hash == phone_hash)
            ).scalar()
        return bool(value)

    def get_inquiry(self, conversation_id: str) -> dict | None:
        self.ensure_schema()
        with self.engine.connect() as conn:
            row = conn.execute(select(inquiries).where(inquiries.c.conversation_id == conversation_id)).first()
            if row is None:
                return None
            events = conn.execute(
                select(risk_events)
                .where(risk_events.c.inquiry_id == row.id)
                .order_by(risk_events.c.occurred_at, risk_events.c.id)
            ).all()
        return inquiry_to_dict(row, events)


def inquiry_to_dict(row, events) -> dict:
    """One serialisation of an inquiry, shared by the store, the console and its JSON API.

    The encrypted columns are decrypted here: callers get readable values."""
    row = decrypted(row)
    callback = None
    if row.callback_requested:
        callback = {
            "first_name": row.callback_first_name,
            "contact_method": row.callback_contact_method,
            "contact_value": row.callback_contact_value,
            "requested_at": row.callback_requested_at,
        }
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "channel": row.channel,
        "status": row.status,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "status_changed_at": row.status_changed_at,
        "preferences": _from_json(row.preferences, {}),
        "state": row.state,
        "matches": _from_json(row.matches, []),
        "relaxed": _from_json(row.relaxed, []),
        "matches_shown_at": row.matches_shown_at,
        "risk_level": row.risk_level,
        "risk_rank": row.risk_rank,
        "last_risk_at": row.last_risk_at,
        "last_risk_category": row.last_risk_category,
        "callback": callback,
        "sms_number": row.sms_number,
        "sms_opted_out": row.sms_opted_out,
        "assigned_to": row.assigned_to,
        "assigned_at": row.assigned_at,
        "last_contact_at": row.last_contact_at,
        "escalated_at": row.escalated_at,
        "escalated_by": row.escalated_by,
        "risk_events": [
            {
                "id": e.id,
                "conversation_id": row.conversation_id,
                "category": e.category,
                "level": e.level,
                "channel": e.channel,
                "occurred_at": e.occurred_at,
            }
            for e in events
        ],
    }
