"""Read-only view of (and deletion from) Rasa's SQL tracker store, without importing rasa.

The table mirrors rasa.core.tracker_store.SQLTrackerStore.SQLEvent (Rasa 3.6). Only `user`
and `bot` events with text are shown; the text goes to templates that escape it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, select
from sqlalchemy.exc import SQLAlchemyError

from intake.config import make_engine

logger = logging.getLogger(__name__)

tracker_metadata = MetaData()
events = Table(
    "events",
    tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

MAX_TRANSCRIPT_EVENTS = 1000


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str  # "visitor" or "assistant"
    text: str
    at: datetime | None


class TranscriptUnavailable(Exception):
    """The tracker store could not be read (missing, down, or not a Rasa tracker store)."""


class TrackerTranscripts:
    def __init__(self, database_url: str):
        self.engine = make_engine(database_url)

    def close(self) -> None:
        self.engine.dispose()

    def create_schema(self) -> None:
        """For tests and demo data only; Rasa creates this table itself."""
        tracker_metadata.create_all(self.engine)

    def transcript(self, conversation_id: str, limit: int = MAX_TRANSCRIPT_EVENTS) -> list[TranscriptLine]:
        query = (
            select(events.c.type_name, events.c.timestamp, events.c.data)
            .where(events.c.sender_id == conversation_id, events.c.type_name.in_(("user", "bot")))
            .order_by(events.c.timestamp, events.c.id)
            .limit(limit)
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            logger.warning("tracker store unreadable (%s)", type(exc).__name__)
            raise TranscriptUnavailable() from None
        lines = []
        for row in rows:
            try:
                data = json.loads(row.data or "{}")
            except ValueError:
                continue
            text = data.get("text") if isinstance(data, dict) else None
            if not isinstance(text, str) or not text:
                continue
            at = datetime.fromtimestamp(row.timestamp, tz=timezone.utc).replace(tzinfo=None) if row.timestamp else None
            lines.append(TranscriptLine("visitor" if row.type_name == "user" else "assistant", text, at))
        return lines

    def delete_conversations(self, conversation_ids: Iterable[str]) -> int:
        ids = sorted(set(conversation_ids))
        if not ids:
            return 0
        deleted = 0
        with self.engine.begin() as conn:
            for start in range(0, len(ids), 500):  # keep the IN list within parameter limits
                deleted += conn.execute(delete(events).where(events.c.sender_id.in_(ids[start:start + 500]))).rowcount
        self._compact()
        return deleted

    def delete_before(self, cutoff: datetime) -> int:
        epoch = cutoff.replace(tzinfo=timezone.utc).timestamp()
        with self.engine.begin() as conn:
            deleted = conn.execute(delete(events).where(events.c.timestamp < epoch)).rowcount
        self._compact()
        return deleted

    def _compact(self) -> None:
        compact_sqlite(self.engine)


def compact_sqlite(engine) -> None:
    """On SQLite, flush the WAL so no old copy of deleted rows survives in it.

    Our connections run with secure_delete (see intake.config), which zeroes deleted content
    in the database file itself.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
