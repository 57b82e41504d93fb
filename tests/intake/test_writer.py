"""write_safely: runs in a thread, retries, never raises, logs no contact details or text."""
from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy.exc import OperationalError

import intake.writer as writer
from intake.store import IntakeStore
from intake.writer import write_safely


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(writer, "BASE_DELAY_SECONDS", 0.001)


async def test_writes_through_to_the_store_off_the_event_loop(store):
    loop_thread = threading.get_ident()
    seen = {}

    def save(*args):
        seen["thread"] = threading.get_ident()
        store.save_callback(*args)

    assert await write_safely(save, "c1", "Ana", "phone", "+14155550100") is True
    assert seen["thread"] != loop_thread
    assert store.get_inquiry("c1")["callback"]["first_name"] == "Ana"


async def test_retries_transient_failures_then_succeeds():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("INSERT ...", {"contact_value": "+14155550100"}, Exception("locked"))

    assert await write_safely(flaky, attempts=3) is True
    assert len(calls) == 3


async def test_gives_up_without_raising_and_logs_no_secrets(caplog):
    def always_down(conversation_id, first_name, method, value):
        raise OperationalError("INSERT ...", {"v": value}, Exception(f"db down for {value}"))

    with caplog.at_level(logging.DEBUG, logger="intake.writer"):
        ok = await write_safely(always_down, "+14155550100", "Ana", "phone", "+14155550100", attempts=2)
    assert ok is False
    assert "OperationalError" in caplog.text
    assert "4155550100" not in caplog.text and "Ana" not in caplog.text


async def test_invalid_input_is_not_retried(store, caplog):
    with caplog.at_level(logging.WARNING, logger="intake.writer"):
        ok = await write_safely(store.save_callback, "c2", "Ana", "phone", "not a phone number")
    assert ok is False
    assert "not a phone number" not in caplog.text


async def test_crashed_database_returns_false():
    store = IntakeStore("postgresql://postgres@127.0.0.1:1/nowhere")  # nothing listens on port 1
    try:
        assert await write_safely(store.save_preferences, "c", "web", {"a": 1}, attempts=2) is False
    finally:
        store.close()
