"""API tokens for clinics pulling inquiries: random 256-bit tokens, stored only as SHA-256."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from intake.models import api_tokens
from intake.store import utcnow

TOKEN_PREFIX = "ict_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_token(engine: Engine, name: str, created_by: str) -> str:
    """Return the new token; it is shown once and cannot be recovered."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 64:
        raise ValueError("token name: 1-64 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            api_tokens.insert().values(name=name, token_hash=_digest(token), created_by=created_by, created_at=utcnow())
        )
    return token


def verify_token(engine: Engine, token: str) -> str | None:
    """The token's name if it is valid and not revoked."""
    if not token or len(token) > 200:
        return None
    with engine.begin() as conn:
        row = conn.execute(
            select(api_tokens.c.id, api_tokens.c.name).where(
                api_tokens.c.token_hash == _digest(token), api_tokens.c.revoked_at.is_(None)
            )
        ).first()
        if row is None:
            return None
        conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=utcnow()))
    return row.name


def list_tokens(engine: Engine):
    with engine.connect() as conn:
        return conn.execute(select(api_tokens).order_by(api_tokens.c.created_at.desc())).all()


def revoke_token(engine: Engine, token_id: int) -> bool:
    with engine.begin() as conn:
        return bool(
            conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            ).rowcount
        )
