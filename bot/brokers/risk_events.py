"""Risk events reach staff through Rasa's own event broker, never through the crisis reply's path.

A crisis reply is a domain response the Rasa server sends by itself; nothing on the person's side
waits for the intake database or the action server. Every tracker event goes to the configured
event broker as the tracker store saves it (bot/stores/encrypted_tracker_store.py publishes the
turn's events even when the tracker database is down); these brokers pass on only **crisis
replies**, turned into a small risk record with no message text:

    {"event": "risk_event", "key": <sha256 of conversation, time, situation>, "conversation_id": ...,
     "channel": "rest"|"socketio"|"sms", "situation": ..., "level": "imminent"|"high", "lang": ...,
     "occurred_at": <unix time>}

- `RiskEventSQLBroker` (laptop default): Rasa's SQLEventBroker writing into a local outbox
  database (var/risk-events.db), which stays writable when the intake database is down.
- `RiskEventPikaBroker` (scale-out): Rasa's PikaEventBroker publishing to a durable RabbitMQ queue;
  while RabbitMQ is unreachable Rasa keeps the records and sends them on reconnect.

The intake side (intake/risk_relay.py) consumes them, writes each once (the key is unique in
`risk_events.event_key`) and only then deletes or acknowledges it, so an outage delays a record and
never loses or doubles it.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.brokers.sql import SQLEventBroker

from intake.channels import channel_of_conversation
from risk.constants import EMERGENCY_SITUATIONS, SITUATIONS

logger = logging.getLogger(__name__)

RISK_EVENT = "risk_event"
REPLY_KIND = "reply"


def crisis_marker(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The `crisis` marker of a bot event sent from a crisis response, else None."""
    if event.get("event") != "bot":
        return None
    marker: Any = event.get("data")
    for key in ("custom", "data", "crisis"):
        marker = marker.get(key) if isinstance(marker, dict) else None
    return marker if isinstance(marker, dict) else None


def risk_record(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The risk record for a crisis reply event (see the module docstring), else None."""
    marker = crisis_marker(event)
    if not marker or marker.get("kind") != REPLY_KIND:
        return None
    conversation_id = str(event.get("sender_id") or "")
    situation = marker.get("situation") if marker.get("situation") in SITUATIONS else "general"
    occurred_at = float(event.get("timestamp") or 0.0)
    channel = channel_of_conversation(conversation_id) or "unknown"
    key_source = f"{conversation_id}\x00{occurred_at!r}\x00{situation}".encode("utf-8")
    return {
        "event": RISK_EVENT,
        "key": hashlib.sha256(key_source).hexdigest(),
        "conversation_id": conversation_id,
        "channel": channel,
        "situation": situation,
        "level": "imminent" if situation in EMERGENCY_SITUATIONS else "high",
        "lang": marker.get("lang") or "en",
        "occurred_at": occurred_at,
    }


class RiskEventSQLBroker(SQLEventBroker):
    """SQLEventBroker that stores only risk records, in a local outbox database.

    endpoints.yml:
        event_broker:
          type: bot.brokers.risk_events.RiskEventSQLBroker
          dialect: sqlite
          db: var/risk-events.db
    """

    def publish(self, event: Dict[Text, Any]) -> None:
        record = risk_record(event)
        if record is None:
            return
        try:
            super().publish({**record, "sender_id": record["conversation_id"]})
        except Exception as failure:  # noqa: BLE001 - never break the turn; say what was lost
            logger.error("risk event not queued for staff: outbox write failed (%s) situation=%s",
                         type(failure).__name__, record["situation"])


class RiskEventPikaBroker(PikaEventBroker):
    """PikaEventBroker that publishes only risk records, and never loses one to an outage.

    Rasa's broker keeps failed messages in memory and republishes them when aio_pika's robust
    connection calls back after a reconnect; in our fault tests (tests/faults) a RabbitMQ that hung
    and then went down left that connection without a callback, and the records of the outage were
    never sent. So here a publish that fails or takes longer than PUBLISH_TIMEOUT_S goes to a local
    pending file (SQLite, `pending_db`), and a background task resends pending records every
    RESEND_EVERY_S, reconnecting from scratch when the old connection is not usable. The relay
    drops repeats by key, so a record sent twice is still recorded once.

    endpoints.scale.yml:
        event_broker:
          type: bot.brokers.risk_events.RiskEventPikaBroker
          url: ${RABBITMQ_HOST}
          username: ${RABBITMQ_USERNAME}
          password: ${RABBITMQ_PASSWORD}
          queues: [risk_events]
          pending_db: var/risk-events-pending.db
    """

    PUBLISH_TIMEOUT_S = 2.0
    RESEND_EVERY_S = 3.0

    def __init__(self, *args: Any, pending_db: Text = "var/risk-events-pending.db", **kwargs: Any) -> None:
        kwargs["should_keep_unpublished_messages"] = False  # the pending file keeps them instead
        super().__init__(*args, **kwargs)
        self._pending = PendingRecords(pending_db)
        self._resender: Optional[asyncio.Task] = None

    def is_ready(self) -> bool:
        """Connected now (not merely "not closed": a robust connection that is reconnecting is
        not closed) and nothing waiting to be resent."""
        connection = getattr(self, "_connection", None)
        connected = getattr(connection, "connected", None)
        return bool(connection is not None and not connection.is_closed and connected is not None
                    and connected.is_set() and self._exchange is not None and not self._pending.oldest(1))

    async def connect(self) -> None:
        await super().connect()
        if self._resender is None:
            self._resender = self._loop.create_task(self._resend_forever())

    def publish(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> None:
        record = risk_record(event)
        if record is None:
            return
        super().publish({**record, "sender_id": record["conversation_id"]}, headers=headers)

    async def _publish(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> None:
        if not await self._send(event, headers):
            # in a thread: two workers may share the file, and waiting for its lock must not
            # stall every other conversation on this worker's event loop
            await asyncio.to_thread(self._pending.add, event)
            logger.error("risk event kept for resending: RabbitMQ unavailable (situation=%s)", event.get("situation"))

    async def _send(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> bool:
        if self._exchange is None:
            return False
        try:
            await asyncio.wait_for(self._exchange.publish(self._message(event, headers), ""), self.PUBLISH_TIMEOUT_S)
            return True
        except Exception:  # noqa: BLE001 - any failure: keep the record, resend later
            return False

    async def _resend_forever(self) -> None:
        while True:
            await asyncio.sleep(self.RESEND_EVERY_S)
            try:
                await self._resend_pending()
            except Exception as failure:  # noqa: BLE001 - keep trying; never end the task
                logger.error("risk event resend failed (%s)", type(failure).__name__)

    async def _resend_pending(self) -> None:
        pending = await asyncio.to_thread(self._pending.oldest, 100)
        if not pending:
            return
        sent = 0
        for row_id, event in pending:
            if not await self._send(event):
                break
            await asyncio.to_thread(self._pending.remove, row_id)
            sent += 1
        if sent < len(pending):  # the connection is not usable: start a new one for next time
            await self._reconnect()
        else:
            logger.info("risk events resent after an outage: %d", sent)

    async def _reconnect(self) -> None:
        old, self._connection, self._exchange = getattr(self, "_connection", None), None, None
        if old is not None:
            try:
                await asyncio.wait_for(old.close(), 2)
            except Exception:  # noqa: BLE001 - it is being replaced
                pass
        try:
            await asyncio.wait_for(super().connect(), self.PUBLISH_TIMEOUT_S * 3)
        except Exception as failure:  # noqa: BLE001 - try again at the next round
            logger.error("RabbitMQ still unavailable (%s); risk events stay pending", type(failure).__name__)


class PendingRecords:
    """Risk records waiting for RabbitMQ, in a local SQLite file (survives a worker restart)."""

    def __init__(self, path: Text) -> None:
        import sqlalchemy as sa
        from sqlalchemy.schema import CreateTable

        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        self._engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 5})
        self._table = sa.Table("pending", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                               sa.Column("data", sa.Text, nullable=False))
        # IF NOT EXISTS in the statement: the workers of one machine share this file and start together,
        # and create_all's check-then-create let two of them race (one failed with "table pending
        # already exists" and so had no event broker)
        with self._engine.begin() as conn:
            conn.execute(CreateTable(self._table, if_not_exists=True))

    def add(self, record: Dict[str, Any]) -> None:
        with self._engine.begin() as conn:
            conn.execute(self._table.insert().values(data=json.dumps(record)))

    def oldest(self, limit: int) -> List[Tuple[int, Dict[str, Any]]]:
        with self._engine.begin() as conn:
            rows = conn.execute(self._table.select().order_by(self._table.c.id).limit(limit)).all()
        return [(row.id, json.loads(row.data)) for row in rows]

    def remove(self, row_id: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(self._table.delete().where(self._table.c.id == row_id))
