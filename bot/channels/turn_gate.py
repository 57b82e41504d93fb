"""Which turn a busy Rasa worker runs first: a message that reads as risk never queues.

A Rasa worker runs every turn on one event loop. Under load (32 clients on two workers in
scripts/bench_scale.py) each worker interleaves a dozen turns at once, and a crisis message waited
behind all of them: its reply took over a second at p95, when it is the one reply that must not wait.
The channels (REST, widget, SMS) ask this gate before a turn starts:

- while fewer than `TURN_SLOTS` turns run, every message starts at once (a quiet worker pays nothing:
  the text is not even read);
- when the slots are full, the message is read by the risk pattern detector (risk/detector.py, well
  under a millisecond, no model): a message that reads as any risk starts at once, past the slots;
  any other waits for a free slot, first come first served. A turn running for over
  `STUCK_AFTER_S` is waiting on a dependency, not using the loop, and gives its slot up.

Why hand-written: asyncio's Semaphore has no bypass and cannot take a slot back from a stuck turn, and a priority queue of
waiters would still make a crisis message wait for a slot. The detector reads only the text and is
in-process: the crisis reply still waits on nothing but this Rasa server.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import os
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, Deque, Dict, Optional, Tuple

logger = logging.getLogger(__name__)

SLOTS_ENV = "TURN_SLOTS"
# Two: a turn runs mostly without yielding (the tracker store and lock store calls are
# synchronous), so more slots add no throughput, only turns for a crisis turn to interleave with
# (32 clients on two workers: crisis p95 2.3 s with four slots, 1.5-1.7 s with one); the second
# slot lets a turn that waits on the action server not hold everything else back.
DEFAULT_SLOTS = 2
# A turn still running after this long is waiting on something (a hung action server times out
# after 10 s): it stops holding a slot, so a hung dependency never holds the line back for good.
STUCK_AFTER_S = 3.0


def reads_as_risk(text: Optional[str]) -> bool:
    """Any level of risk in the pattern detector's verdict, concern included (the screening question
    must not wait either): cheap, and never the final word (the NLU decides the reply)."""
    from risk.detector import assess

    try:
        return assess(text or "").level != "none"
    except Exception:  # noqa: BLE001 - a detector bug must not stop a turn; the NLU still judges it
        logger.exception("Risk patterns failed on a message at the turn gate; it takes its turn in line.")
        return False


class TurnGate:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a turn gate needs at least one slot")
        self.slots = slots
        self._started: Dict[object, float] = {}  # running turn -> when it started (monotonic)
        self._waiting: Deque[Tuple[object, asyncio.Future]] = collections.deque()

    @property
    def running(self) -> int:
        return len(self._started)

    def busy_slots(self) -> int:
        """Running turns that still hold a slot (started less than STUCK_AFTER_S ago)."""
        now = time.monotonic()
        return sum(1 for started in self._started.values() if now - started < STUCK_AFTER_S)

    @asynccontextmanager
    async def turn(self, text: Optional[str]) -> AsyncIterator[None]:
        token = object()
        if self.busy_slots() < self.slots or reads_as_risk(text):
            self._started[token] = time.monotonic()
        else:
            await self._wait_for_slot(token)  # returns with the turn in `_started`
        try:
            yield
        finally:
            del self._started[token]
            self._wake_next()

    async def _wait_for_slot(self, token: object) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append((token, waiter))
        try:
            while not waiter.done():
                try:
                    await asyncio.wait_for(asyncio.shield(waiter), STUCK_AFTER_S / 3)
                except asyncio.TimeoutError:
                    self._wake_next()  # a running turn may have got stuck since
        except BaseException:  # the request was cancelled while it waited: leave the line
            if waiter.done() and not waiter.cancelled():
                del self._started[token]
                self._wake_next()
            else:
                waiter.cancel()
                self._waiting.remove((token, waiter))
            raise

    def _wake_next(self) -> None:
        while self._waiting and self.busy_slots() < self.slots:
            token, waiter = self._waiting.popleft()
            self._started[token] = time.monotonic()  # handed over: counted before the waiter runs
            waiter.set_result(None)


def _slots_from_environment() -> int:
    raw = os.environ.get(SLOTS_ENV, "")
    try:
        return max(1, int(raw)) if raw.strip() else DEFAULT_SLOTS
    except ValueError:
        logger.warning("%s=%r is not a number; using %d turn slots.", SLOTS_ENV, raw, DEFAULT_SLOTS)
        return DEFAULT_SLOTS


_gate: Optional[TurnGate] = None


def gate() -> TurnGate:
    """The worker's one gate (one event loop per worker process)."""
    global _gate
    if _gate is None:
        _gate = TurnGate(_slots_from_environment())
    return _gate
