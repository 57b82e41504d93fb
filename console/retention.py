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
from intake.store import utcnow
from privacy import contact
from privacy.identifiers import sms_conversation_id

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
    for chunk in _chunks(inquiry_ids):
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
    """Remove everything held about a person, in the intake database and the tracker store:

    - by conversation id: that conversation's inquiry and transcript;
    - by phone (any format): inquiries with a callback to the number or texted from it (found by
      their blind indexes), the SMS conversation from it (inquiry and transcript), and every
      conversation whose visitor messages mention it;
    - by email: inquiries with a callback to the address and every conversation mentioning it.

    Raises ValueError (without echoing it) for a phone number or address that cannot be one.
    The audit trail records inquiry ids only.
    """
    conditions = []
    conversation_ids: set[str] = set()
    phones: list[str] = []
    emails: list[str] = []
    if conversation_id:
        conversation_ids.add(conversation_id)
    if phone:
        number = contact.normalize_phone(phone)
        phones.append(number)
        index = contact.contact_index(contact.PHONE, number)
        conditions.append(inquiries.c.callback_contact_index == index)
        conditions.append(inquiries.c.sms_number_index == index)
        # the SMS conversation, and its id from before ids were namespaced (the number itself)
        conversation_ids.update((sms_conversation_id(number), number))
    if email:
        address = contact.normalize_email(email)
        emails.append(address)
        conditions.append(inquiries.c.callback_contact_index == contact.contact_index(contact.EMAIL, address))
    if not conditions and not conversation_ids:
        raise ValueError("give a conversation id, a phone number or an email address")
    conversation_ids |= transcripts.conversations_mentioning(phones=phones, emails=emails)
    conditions.extend(inquiries.c.conversation_id.in_(chunk) for chunk in _chunks(sorted(conversation_ids)))
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


def _chunks(values: list, size: int = 500) -> list[list]:
    """Keeps IN lists within the databases' parameter limits."""
    return [values[start:start + size] for start in range(0, len(values), size)]
