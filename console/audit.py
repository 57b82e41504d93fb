"""Audit trail: who viewed or changed which inquiry (by numeric id; never personal data)."""
from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from console.keys import ENGINE_KEY
from intake.models import audit_log
from intake.store import utcnow


def record(conn: Connection, actor: str, action: str, inquiry_id: int | None = None, detail: str | None = None) -> None:
    conn.execute(
        audit_log.insert().values(
            occurred_at=utcnow(),
            actor=actor[:80],
            action=action[:40],
            inquiry_id=inquiry_id,
            detail=(detail or None) and detail[:255],
        )
    )


def record_now(engine: Engine, actor: str, action: str, inquiry_id: int | None = None, detail: str | None = None) -> None:
    with engine.begin() as conn:
        record(conn, actor, action, inquiry_id, detail)


async def record_request(
    request: web.Request,
    action: str,
    inquiry_id: int | None = None,
    detail: str | None = None,
    *,
    actor: str | None = None,
) -> None:
    """Record what a console or API request did, in its own transaction, off the event loop.

    The actor is the request's (a staff username, or ``api:<token name>``) unless given: sign-in
    records the username before any session exists."""
    who = request["actor"] if actor is None else actor
    await asyncio.to_thread(record_now, request.app[ENGINE_KEY], who, action, inquiry_id, detail)


def list_entries(engine: Engine, page: int = 1, page_size: int = 100, inquiry_id: int | None = None, actor: str | None = None):
    query = select(audit_log)
    count = select(func.count()).select_from(audit_log)
    if inquiry_id is not None:
        query = query.where(audit_log.c.inquiry_id == inquiry_id)
        count = count.where(audit_log.c.inquiry_id == inquiry_id)
    if actor:
        query = query.where(audit_log.c.actor == actor)
        count = count.where(audit_log.c.actor == actor)
    query = query.order_by(audit_log.c.occurred_at.desc(), audit_log.c.id.desc())
    query = query.limit(page_size).offset((max(page, 1) - 1) * page_size)
    with engine.connect() as conn:
        return conn.execute(query).all(), conn.execute(count).scalar()
