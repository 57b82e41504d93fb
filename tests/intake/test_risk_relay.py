"""Risk events from Rasa's event broker to the intake store: the record a crisis reply makes, the
SQL outbox relay (exactly once, nothing lost while the intake database is down), on SQLite and
PostgreSQL."""
import json

import pytest
from sqlalchemy import insert, select

from bot.brokers.risk_events import RiskEventSQLBroker, risk_record
from intake.config import make_engine
from intake.models import risk_events
from intake.risk_relay import outbox_events, outbox_metadata, relay_outbox_once, run_outbox_relay
from intake.store import IntakeStore


def bot_event(sender="sms:abc", situation="overdose", kind="reply", timestamp=1764370000.25):
    return {"sender_id": sender, "event": "bot", "timestamp": timestamp, "text": "Please call 911 now ...",
            "data": {"custom": {"data": {"crisis": {"kind": kind, "situation": situation, "lang": "en"}}}},
            "metadata": {}}


def test_a_crisis_reply_makes_a_record_without_message_text():
    record = risk_record(bot_event())
    assert record["conversation_id"] == "sms:abc" and record["channel"] == "sms"
    assert record["situation"] == "overdose" and record["level"] == "imminent" and record["lang"] == "en"
    assert len(record["key"]) == 64 and record["key"] == risk_record(bot_event())["key"]
    assert "911" not in json.dumps(record)  # no text of any kind
    assert risk_record(bot_event(sender="web:k1", situation="suicidal"))["level"] == "high"
    assert risk_record(bot_event(sender="rest:x", situation="made_up"))["situation"] == "general"
    assert risk_record(bot_event(timestamp=1764370000.5))["key"] != record["key"]


@pytest.mark.parametrize("event", [
    bot_event(kind="screen"),  # a screening question is not a crisis reply
    {"event": "user", "text": "I want to die", "sender_id": "rest:x", "parse_data": {}},
    {"event": "bot", "text": "hello", "data": {}},
    {"event": "bot", "text": "hello", "data": {"custom": {"data": "x"}}},
    {"event": "slot", "name": "concern", "value": "anxiety"},
])
def test_everything_else_is_not_a_risk_event(event):
    assert risk_record(event) is None


@pytest.fixture
def outbox(tmp_path):
    """A real SQL outbox as Rasa's broker writes it (RiskEventSQLBroker, a subclass of SQLEventBroker)."""
    broker = RiskEventSQLBroker(dialect="sqlite", db=str(tmp_path / "risk-events.db"))
    yield broker, f"sqlite:///{tmp_path / 'risk-events.db'}"
    broker.engine.dispose()


def recorded(store, conversation_id):
    inquiry = store.get_inquiry(conversation_id)
    return inquiry["risk_events"] if inquiry else []


def test_only_crisis_replies_reach_the_outbox_and_each_is_written_once(outbox, store):
    broker, url = outbox
    for event in (bot_event(), bot_event(), {"event": "user", "text": "secret words", "sender_id": "sms:abc"},
                  bot_event(sender="web:k9", situation="suicidal", timestamp=5.0)):
        broker.publish(event)
    engine = make_engine(url)
    with engine.begin() as conn:
        rows = conn.execute(select(outbox_events.c.data)).scalars().all()
    assert len(rows) == 3 and not any("secret words" in row for row in rows)
    count = relay_outbox_once(engine, store)
    assert (count.written, count.repeated, count.dropped, count.waiting) == (2, 1, 0, False)
    assert [e["level"] for e in recorded(store, "sms:abc")] == ["imminent"]
    assert [e["category"] for e in recorded(store, "web:k9")] == ["suicidal"]
    assert store.get_inquiry("web:k9")["channel"] == "socketio"
    with engine.begin() as conn:
        assert conn.execute(select(outbox_events)).first() is None  # written, then removed
    broker.publish(bot_event())  # a redelivery after the outbox was drained
    assert relay_outbox_once(engine, store).repeated == 1
    assert len(recorded(store, "sms:abc")) == 1


def test_records_wait_while_the_intake_database_is_down_and_arrive_once_after(outbox, store, tmp_path):
    broker, url = outbox
    for n in range(5):
        broker.publish(bot_event(sender=f"rest:p{n}", situation="suicidal", timestamp=float(n)))
    down = IntakeStore("postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
    try:
        count = run_outbox_relay(url, down, once=True)
    finally:
        down.close()
    assert count.waiting and count.written == 0
    count = run_outbox_relay(url, store, once=True)
    assert (count.written, count.repeated, count.waiting) == (5, 0, False)
    assert all(len(recorded(store, f"rest:p{n}")) == 1 for n in range(5))
    assert run_outbox_relay(url, store, once=True).written == 0


def test_unreadable_rows_are_dropped_not_retried_forever(outbox, store):
    _, url = outbox
    engine = make_engine(url)
    outbox_metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(outbox_events), [{"sender_id": "x", "data": "{not json"},
                                             {"sender_id": "x", "data": json.dumps({"event": "risk_event"})}])
    count = relay_outbox_once(engine, store)
    assert count.dropped == 2 and count.written == 0


def test_event_keys_are_unique_in_the_intake_store(store):
    key = "a" * 64
    assert store.record_risk_event("rest:k", "rest", "suicidal", "high", event_key=key) is True
    assert store.record_risk_event("rest:k", "rest", "suicidal", "high", event_key=key) is False
    with store.engine.begin() as conn:
        assert conn.execute(select(risk_events.c.event_key)).scalars().all() == [key]
    with pytest.raises(ValueError):
        store.record_risk_event("rest:k", "rest", "suicidal", "high", event_key="../etc")


def test_workers_starting_together_share_one_pending_file(tmp_path):
    """The RabbitMQ broker's pending file is shared by the workers of a machine, which start at the
    same moment: creating it from several at once must not fail any of them (one used to fail with
    "table pending already exists" and started without an event broker)."""
    import threading

    from bot.brokers.risk_events import PendingRecords

    for attempt in range(5):
        path = str(tmp_path / f"pending-{attempt}.db")
        start, failures, opened = threading.Barrier(6), [], []

        def open_pending():
            start.wait()
            try:
                opened.append(PendingRecords(path))
            except Exception as failure:  # noqa: BLE001 - any failure is the finding
                failures.append(failure)

        threads = [threading.Thread(target=open_pending) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        opened[0].add({"event_key": "k1"})
        assert [record for _, record in opened[-1].oldest(10)] == [{"event_key": "k1"}]
