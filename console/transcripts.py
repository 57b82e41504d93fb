"""Read-only view of (and deletion from) Rasa's SQL tracker store, without importing rasa.

The table mirrors rasa.core.tracker_store.SQLTrackerStore.SQLEvent (Rasa 3.6). Our Rasa server
stores each event's `data` encrypted (privacy.crypto); rows written before that hold plain JSON
and are read as they are. Only `user` and `bot` events with text are shown; the text goes to
templates that escape it.

A tapped button (or an SMS reply "2" to a numbered list) reaches the tracker as its payload
(`/affirm`, `/inform{"format":"video"}`): the transcript shows the title of the button the
assistant had just offered, else a readable label (console.payloads), never the payload itself.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from intake.config import make_engine
from console.payloads import is_payload, payload_label
from privacy import contact
from privacy.crypto import DecryptionError, cipher

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
SCAN_BATCH = 500
EXPORT_BATCH = 200  # conversations per query when exporting many transcripts
# the SMS channel's opt-out slot (bot/channels/sms_tracker.py OPT_OUT_SLOT): STOP sets it, START clears it
SMS_OPT_OUT_SLOT = "sms_opted_out"
MAX_SLOT_EVENTS_SCANNED = 5000


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str  # "visitor" or "assistant"
    text: str  # what the person typed, the title of what they tapped, or what the assistant said
    at: datetime | None
    tapped: bool = False  # the visitor chose an offered option (button, or an SMS number reply)
    reply: str | None = None  # the SMS reply that chose the option, e.g. "2"
    options: tuple[str, ...] = ()  # titles of the buttons the assistant offered with this message


@dataclass(frozen=True)
class OptOut:
    opted_out: bool
    at: datetime | None


def _when(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).replace(tzinfo=None) if timestamp else None


def _buttons(data: dict) -> list[dict]:
    buttons = (data.get("data") or {}).get("buttons") if isinstance(data.get("data"), dict) else None
    return [b for b in buttons or [] if isinstance(b, dict) and isinstance(b.get("payload"), str)]


def transcript_lines(rows: Iterable[Any]) -> list[TranscriptLine]:
    """Lines of one conversation from its `user`/`bot` event rows (type_name, timestamp, data), in order."""
    lines: list[TranscriptLine] = []
    offered: list[dict] = []  # buttons the assistant offered since the visitor's last message
    for row in rows:
        data = event_data(row.data)
        if data is None:
            continue
        text = data.get("text")
        if row.type_name == "bot":
            buttons = _buttons(data)
            offered.extend(buttons)
            if isinstance(text, str) and text:
                titles = tuple(str(b.get("title") or "") for b in buttons if b.get("title"))
                lines.append(TranscriptLine("assistant", text, _when(row.timestamp), options=titles))
            continue
        if not isinstance(text, str) or not text:
            continue
        if is_payload(text):
            title = next((b.get("title") for b in reversed(offered) if b["payload"] == text and b.get("title")), None)
            metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
            sms = metadata.get("sms") if isinstance(metadata.get("sms"), dict) else {}
            option = sms.get("option")
            lines.append(TranscriptLine(
                "visitor", str(title) if title else payload_label(text), _when(row.timestamp), tapped=True,
                reply=str(option) if isinstance(option, (int, str)) and str(option).isdigit() else None,
            ))
        else:
            lines.append(TranscriptLine("visitor", text, _when(row.timestamp)))
        offered = []
    return lines


def transcript_text(lines: Iterable[TranscriptLine]) -> str:
    """A plain-text transcript (exports): one line per message, taps marked as such."""
    out = []
    for line in lines:
        when = line.at.strftime("%Y-%m-%d %H:%M") if line.at else ""
        who = "Visitor" if line.speaker == "visitor" else "Assistant"
        text = f"[tapped] {line.text}" if line.tapped else line.text
        out.append(f"{when} {who}: {text}".strip())
    return "\n".join(out)


class TranscriptUnavailable(Exception):
    """The tracker store could not be read (missing, down, or not a Rasa tracker store)."""


def event_data(stored: str | None) -> dict[str, Any] | None:
    """An event's `data` as a dict: decrypted, or legacy plain JSON; None if unreadable."""
    try:
        data = json.loads(cipher().decrypt(stored or "{}"))
    except DecryptionError:
        logger.error("a tracker event does not decrypt with the configured data keys")
        return None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class TrackerTranscripts:
    def __init__(self, database_url: str):
        self.engine = make_engine(database_url)

    def close(self) -> None:
        self.engine.dispose()

    def create_schema(self) -> None:
        """For tests and demo data only; Rasa creates this table itself."""
        tracker_metadata.create_all(self.engine)

    def _read(self, query) -> list:
        try:
            with self.engine.connect() as conn:
                return conn.execute(query).all()
        except SQLAlchemyError as exc:
            logger.warning("tracker store unreadable (%s)", type(exc).__name__)
            raise TranscriptUnavailable() from None

    def transcript(self, conversation_id: str, limit: int = MAX_TRANSCRIPT_EVENTS) -> list[TranscriptLine]:
        return transcript_lines(self._read(
            select(events.c.type_name, events.c.timestamp, events.c.data)
            .where(events.c.sender_id == conversation_id, events.c.type_name.in_(("user", "bot")))
            .order_by(events.c.timestamp, events.c.id)
            .limit(limit)
        ))

    def transcripts(self, conversation_ids: Iterable[str]) -> dict[str, list[TranscriptLine]]:
        """Transcripts of many conversations (CSV export), a batch of conversations per query."""
        ids = sorted(set(conversation_ids))
        found: dict[str, list[TranscriptLine]] = {}
        for start in range(0, len(ids), EXPORT_BATCH):
            rows = self._read(
                select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
                .where(events.c.sender_id.in_(ids[start:start + EXPORT_BATCH]), events.c.type_name.in_(("user", "bot")))
                .order_by(events.c.sender_id, events.c.timestamp, events.c.id)
            )
            by_conversation: dict[str, list] = {}
            for row in rows:
                by_conversation.setdefault(row.sender_id, []).append(row)
            for conversation_id, conversation_rows in by_conversation.items():
                found[conversation_id] = transcript_lines(conversation_rows[:MAX_TRANSCRIPT_EVENTS])
        return found

    def sms_opt_out(self, conversation_id: str) -> OptOut | None:
        """The conversation's latest STOP/START as the SMS channel keeps it (the slot it sets in the
        tracker, the state that channel acts on); None if the person never sent either."""
        rows = self._read(
            select(events.c.timestamp, events.c.data)
            .where(events.c.sender_id == conversation_id, events.c.type_name == "slot")
            .order_by(events.c.timestamp.desc(), events.c.id.desc())
            .limit(MAX_SLOT_EVENTS_SCANNED)
        )
        for row in rows:
            data = event_data(row.data)
            if data and data.get("name") == SMS_OPT_OUT_SLOT:
                return OptOut(bool(data.get("value")), _when(row.timestamp))
        return None

    def _visitor_messages(self) -> Iterator[tuple[str, str]]:
        """(conversation id, text) of every visitor message, read in id batches: a full scan,
        since encrypted data cannot be searched in the database."""
        last_id = 0
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(events.c.id, events.c.sender_id, events.c.data)
                    .where(events.c.id > last_id, events.c.type_name == "user")
                    .order_by(events.c.id).limit(SCAN_BATCH)
                ).all()
            for row in rows:
                data = event_data(row.data)
                text = data.get("text") if data else None
                if isinstance(text, str) and text:
                    yield row.sender_id, text
            if len(rows) < SCAN_BATCH:
                return
            last_id = rows[-1].id

    def conversations_mentioning(self, *, phones: Iterable[str] = (), emails: Iterable[str] = ()) -> set[str]:
        """Ids of the conversations whose visitor messages mention one of these phone numbers
        (E.164) or email addresses (normalised). Decrypts every visitor message: deletion
        requests are rare."""
        phones, emails = set(phones), set(emails)
        found: set[str] = set()
        if not phones and not emails:
            return found
        for conversation_id, text in self._visitor_messages():
            if conversation_id not in found and contact.mentions(text, phones=phones, emails=emails):
                found.add(conversation_id)
        return found

    def rotate_encryption(self) -> int:
        """Re-encrypt every event's data under the newest key (legacy plain JSON gets encrypted).
        Returns how many events changed."""
        c = cipher()
        changed = 0
        last_id = 0
        while True:
            with self.engine.begin() as conn:
                rows = conn.execute(
                    select(events.c.id, events.c.data).where(events.c.id > last_id, events.c.data.is_not(None))
                    .order_by(events.c.id).limit(SCAN_BATCH)
                ).all()
                for row in rows:
                    changed += conn.execute(
                        update(events).where(events.c.id == row.id, events.c.data == row.data)
                        .values(data=c.rotate(row.data))
                    ).rowcount
            if len(rows) < SCAN_BATCH:
                self._compact()  # no old ciphertext or plain JSON left in the SQLite WAL
                return changed
            last_id = rows[-1].id

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
