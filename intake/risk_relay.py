"""The intake side of risk events: take them from Rasa's event broker, write each exactly once.

The Rasa server's broker (bot/brokers/risk_events.py) queues a small risk record for every crisis
reply, in a local SQL outbox (laptop) or a durable RabbitMQ queue (scale-out). This relay writes
each record to the intake store with its key (`risk_events.event_key` is unique, so a record
delivered twice is written once) and only then deletes it from the outbox or acknowledges it to
RabbitMQ. While the intake database is down nothing is lost: records wait, and the relay retries.

    python -m intake relay                      # SQL outbox at RISK_OUTBOX_URL (default var/risk-events.db)
    python -m intake relay --rabbitmq amqp://guest:guest@127.0.0.1:5672/ --queue risk_events
    python -m intake relay --once               # drain what is there now and exit
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, select
from sqlalchemy.exc import SQLAlchemyError

from intake.config import make_engine

logger = logging.getLogger(__name__)

DEFAULT_OUTBOX_URL = "sqlite:///var/risk-events.db"
DEFAULT_QUEUE = "risk_events"
BATCH = 100
RETRY_S = 2.0

# Rasa's SQLEventBroker table (rasa.core.brokers.sql.SQLEventBroker.SQLBrokerEvent, Rasa 3.6)
outbox_metadata = MetaData()
outbox_events = Table(
    "events", outbox_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)


def outbox_url_from_env() -> str:
    return os.environ.get("RISK_OUTBOX_URL") or DEFAULT_OUTBOX_URL


class MalformedRecord(ValueError):
    """A queued record that can never be written (it is dropped, with a log line)."""


@dataclass
class RelayCount:
    written: int = 0
    repeated: int = 0
    dropped: int = 0
    waiting: bool = False  # the intake store failed: records are kept for the next pass


def write_record(store: Any, record: Any) -> bool:
    """Write one broker record; True if new, False if its key was already recorded."""
    if not isinstance(record, dict) or record.get("event") != "risk_event":
        raise MalformedRecord("not a risk event record")
    try:
        occurred = datetime.fromtimestamp(float(record["occurred_at"]), tz=timezone.utc)
        return store.record_risk_event(
            record["conversation_id"], record["channel"], record["situation"], record["level"],
            occurred, event_key=record["key"],
        )
    except (KeyError, TypeError, ValueError, OverflowError) as bad:
        raise MalformedRecord(type(bad).__name__) from None


def relay_outbox_once(outbox_engine: Any, store: Any) -> RelayCount:
    """One pass over the SQL outbox: write what is queued, delete what was written."""
    count = RelayCount()
    outbox_metadata.create_all(outbox_engine)  # Rasa creates it on start; the relay may start first
    while True:
        with outbox_engine.begin() as conn:
            rows = conn.execute(select(outbox_events).order_by(outbox_events.c.id).limit(BATCH)).all()
        if not rows:
            return count
        for row in rows:
            try:
                new = write_record(store, json.loads(row.data or "null"))
            except (MalformedRecord, json.JSONDecodeError):
                logger.error("risk relay dropped an unreadable outbox row id=%d", row.id)
                count.dropped += 1
            except (SQLAlchemyError, OSError) as failure:
                logger.error("risk relay: intake store unavailable (%s); %d waiting, retrying",
                             type(failure).__name__, len(rows))
                count.waiting = True
                return count
            else:
                count.written += int(new)
                count.repeated += int(not new)
            with outbox_engine.begin() as conn:
                conn.execute(delete(outbox_events).where(outbox_events.c.id == row.id))


def run_outbox_relay(outbox_url: str, store: Any, once: bool = False, interval_s: float = RETRY_S,
                     should_stop: Callable[[], bool] = lambda: False) -> RelayCount:
    engine = make_engine(outbox_url)
    total = RelayCount()
    try:
        while True:
            try:
                count = relay_outbox_once(engine, store)
            except SQLAlchemyError as failure:  # the outbox itself: local, so rare
                logger.error("risk relay: outbox unreadable (%s)", type(failure).__name__)
                count = RelayCount(waiting=True)
            total.written += count.written
            total.repeated += count.repeated
            total.dropped += count.dropped
            total.waiting = count.waiting
            if count.written or count.dropped:
                logger.info("risk relay: %d written, %d repeats, %d dropped", count.written, count.repeated,
                            count.dropped)
            if once or should_stop():
                return total
            time.sleep(interval_s)
    finally:
        engine.dispose()


async def run_rabbitmq_relay(url: str, queue_name: str, store: Any, once: bool = False,
                             idle_s: float = 1.0) -> RelayCount:
    """Consume the broker's durable queue; acknowledge a record only after it is written."""
    import aio_pika

    total = RelayCount()
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=10)
        queue = await channel.declare_queue(queue_name, durable=True)
        while True:
            message = await queue.get(fail=False, no_ack=False)
            if message is None:
                if once:
                    return total
                await asyncio.sleep(idle_s)
                continue
            try:
                new = await asyncio.to_thread(write_record, store, json.loads(message.body or b"null"))
            except (MalformedRecord, json.JSONDecodeError):
                logger.error("risk relay dropped an unreadable queue message")
                total.dropped += 1
                await message.ack()
            except (SQLAlchemyError, OSError) as failure:
                logger.error("risk relay: intake store unavailable (%s); message returned to the queue",
                             type(failure).__name__)
                total.waiting = True
                await message.nack(requeue=True)
                if once:
                    return total
                await asyncio.sleep(RETRY_S)
            else:
                total.written += int(new)
                total.repeated += int(not new)
                await message.ack()
