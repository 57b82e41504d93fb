"""Retention purge and deletion on request, across the intake database and the tracker store."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import Engine

from console import audit
from console.transcripts import TrackerTranscripts, compact_sqlite
from intake.models import inquiries, risk_events, status_changes
from intake.store import normalize_phone, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeletionResult:
    inquiries: int
    transcript_events: int


def _delete_inquiries(conn, inquiry_ids: list[int]) -> int:
    """Children first, so nothing is left even where foreign keys are not enforced."""
    if not inquiry_ids:
        return 0
    deleted = 0
    for start in range(0, len(inquiry_ids), 500):
        chunk = inquiry_ids[start:start + 500]
        conn.execute(delete(risk_events).where(risk_events.c.inquiry_id.in_(chunk)))
        conn.execute(delete(status_changes).where(status_changes.c.inquiry_id.in_(chunk)))
        deleted += conn.execute(delete(inquiries).where(inquiries.c.id.in_(chunk))).rowcount
    return deleted


def purge_expired(engine: Engine, transcripts: TrackerTranscripts, retention_days: int, actor: str = "retention") -> DeletionResult:
    """Delete inquiries without activity for `retention_days`, their transcripts, and all older transcript events."""
    if retention_days < 1:
        raise ValueError("retention period must be at least one day")
    cutoff = utcnow() - timedelta(days=retention_days)
    with engine.begin() as conn:
        rows = conn.execute(
            select(inquiries.c.id, inquiries.c.conversation_id).where(inquiries.c.updated_at < cutoff)
        ).all()
        deleted = _delete_inquiries(conn, [r.id for r in rows])
        audit.record(conn, actor, "purge", None, f"{deleted} inquiries older than {retention_days} days")
    compact_sqlite(engine)
    events = transcripts.delete_conversations(r.conversation_id for r in rows)
    events += transcripts.delete_before(cutoff)
    logger.info("retention purge removed %d inquiries and %d transcript events", deleted, events)
    return DeletionResult(deleted, events)


def delete_person(
    engine: Engine,
    transcripts: TrackerTranscripts,
    *,
    conversation_id: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    actor: str = "cli",
) -> DeletionResult:
    """Remove everything held about a person: their inquiries (by conversation id; by phone the
    SMS conversation and any callback to that number; by email any callback to that address)
    and the transcripts of those conversations."""
    conditions = []
    conversation_ids: set[str] = set()
    if conversation_id:
        conditions.append(inquiries.c.conversation_id == conversation_id)
        conversation_ids.add(conversation_id)
    if phone:
        number = normalize_phone(phone)
        conditions.append(inquiries.c.conversation_id == number)
        conditions.append(
            (inquiries.c.callback_contact_method == "phone") & (inquiries.c.callback_contact_value == number)
        )
        conversation_ids.add(number)
    if email:
        address = email.strip()
        conditions.append(
            (inquiries.c.callback_contact_method == "email")
            & (inquiries.c.callback_contact_value.ilike(address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"), escape="\\"))
        )
    if not conditions:
        raise ValueError("give a conversation id, a phone number or an email address")
    with engine.begin() as conn:
        rows = conn.execute(select(inquiries.c.id, inquiries.c.conversation_id).where(or_(*conditions))).all()
        deleted = _delete_inquiries(conn, [r.id for r in rows])
        conversation_ids.update(r.conversation_id for r in rows)
        for row in rows:
            audit.record(conn, actor, "delete_on_request", row.id)
        if not rows:
            audit.record(conn, actor, "delete_on_request", None, "no inquiry matched")
    compact_sqlite(engine)
    events = transcripts.delete_conversations(conversation_ids)
    logger.info("deletion on request removed %d inquiries and %d transcript events", deleted, events)
    return DeletionResult(deleted, events)
