"""The turn gate: a busy worker starts a message that reads as risk at once, others wait their turn."""
from __future__ import annotations

import asyncio
from typing import List

import pytest

from bot.channels import turn_gate
from bot.channels.turn_gate import TurnGate

CRISIS = "I want to kill myself tonight"
EVERYDAY = "how long does psychodynamic therapy take"


async def hold(gate: TurnGate, text: str, release: asyncio.Event, started: List[str]) -> None:
    async with gate.turn(text):
        started.append(text)
        await release.wait()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_quiet_worker_starts_every_turn_without_reading_it(monkeypatch):
    read: List[str] = []
    monkeypatch.setattr(turn_gate, "reads_as_risk", lambda text: read.append(text) or False)
    gate, release, started = TurnGate(2), asyncio.Event(), []
    tasks = [asyncio.create_task(hold(gate, f"question {n}", release, started)) for n in range(2)]
    await settle()
    assert started == ["question 0", "question 1"] and gate.running == 2
    assert read == []
    release.set()
    await asyncio.gather(*tasks)
    assert gate.running == 0


async def test_when_the_slots_are_full_a_crisis_message_starts_and_an_everyday_one_waits():
    gate, release, started = TurnGate(1), asyncio.Event(), []
    first = asyncio.create_task(hold(gate, EVERYDAY, release, started))
    await settle()
    waiting = asyncio.create_task(hold(gate, "what does a session cost", release, started))
    crisis = asyncio.create_task(hold(gate, CRISIS, release, started))
    await settle()
    assert started == [EVERYDAY, CRISIS]
    assert gate.running == 2
    release.set()
    await asyncio.gather(first, waiting, crisis)
    assert started == [EVERYDAY, CRISIS, "what does a session cost"]
    assert gate.running == 0


async def test_waiting_turns_start_in_arrival_order_as_slots_free():
    gate, started = TurnGate(1), []
    releases = [asyncio.Event() for _ in range(4)]
    tasks = []
    for n, release in enumerate(releases):
        tasks.append(asyncio.create_task(hold(gate, f"question {n}", release, started)))
        await settle()
    assert started == ["question 0"]
    for n, release in enumerate(releases):
        release.set()
        await settle()
        assert started == [f"question {k}" for k in range(min(n + 2, 4))]
    await asyncio.gather(*tasks)
    assert gate.running == 0


async def test_a_turn_stuck_on_a_dependency_gives_its_slot_up(monkeypatch):
    monkeypatch.setattr(turn_gate, "STUCK_AFTER_S", 0.15)
    gate, stuck, started = TurnGate(1), asyncio.Event(), []
    holder = asyncio.create_task(hold(gate, EVERYDAY, stuck, started))
    await settle()
    done = asyncio.Event()
    done.set()
    waited = asyncio.get_running_loop().time()
    await asyncio.wait_for(hold(gate, "are you there", done, started), timeout=2)
    assert asyncio.get_running_loop().time() - waited >= 0.1
    assert started == [EVERYDAY, "are you there"]
    assert gate.busy_slots() == 0 and gate.running == 1
    stuck.set()
    await holder
    assert gate.running == 0


async def test_a_request_cancelled_while_it_waits_leaves_no_slot_taken():
    gate, release, started = TurnGate(1), asyncio.Event(), []
    holder = asyncio.create_task(hold(gate, EVERYDAY, release, started))
    await settle()
    gone = asyncio.create_task(hold(gate, "hello?", release, started))
    after = asyncio.create_task(hold(gate, "anyone?", release, started))
    await settle()
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    release.set()
    await asyncio.gather(holder, after)
    assert started == [EVERYDAY, "anyone?"]
    assert gate.running == 0


def test_the_slot_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(turn_gate.SLOTS_ENV, "7")
    assert turn_gate._slots_from_environment() == 7
    monkeypatch.setenv(turn_gate.SLOTS_ENV, "many")
    assert turn_gate._slots_from_environment() == turn_gate.DEFAULT_SLOTS
    monkeypatch.setenv(turn_gate.SLOTS_ENV, "0")
    assert turn_gate._slots_from_environment() == 1
