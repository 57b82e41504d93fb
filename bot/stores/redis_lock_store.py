"""A Redis ticket-lock store whose read-modify-write steps are atomic.

Rasa 3.6's RedisLockStore reads a conversation's TicketLock, changes it in
Python and writes it back with plain GET/SET. Two Rasa servers that take a
message of the same conversation at the same moment can both read the same lock,
both issue the same ticket number, and both process at once — the result is
interleaved events in the tracker (rasa issue 9213; the upstream fix, PR 11256,
was reverted by PR 11428). This store keeps Rasa's ticket algorithm and storage
format but runs every read-modify-write inside a Redis WATCH/MULTI transaction
(redis-py's `transaction` retries it on a concurrent change), so ticket numbers
are unique and removals are never lost. Keys also get a TTL so a crashed server's
lock cannot outlive its tickets.

Most turns find their conversation's lock free, and for them the same steps take two round trips
to Redis instead of seven (each blocked the worker's event loop: 11% of its busy time under
bench_scale's load, 2026-11-30): the lock is created with the turn's ticket by one `SET NX` (the
ticket is then being served: no read is needed to know it), and removed by a compare-and-delete
script while its value is still the one written (no one else took a ticket meanwhile). Any other
case takes the transactions below, as before.

A lock store that cannot reach Redis must not silence a crisis reply: when Redis is down or does
not answer within REDIS_TIMEOUT_S, the conversation is serialised by an in-process lock instead
(correct for one Rasa process; with several, two messages of one conversation could interleave
for the length of the outage), the outage is logged, and Redis is tried again after
REDIS_RETRY_AFTER_S rather than on every message.

endpoints.yml:
    lock_store:
      type: bot.stores.redis_lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 1
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from typing import Any, AsyncGenerator, Optional, Text, Tuple

import redis

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Extra seconds a lock key lives past its newest ticket's expiry.
KEY_TTL_MARGIN_S = 30
# How long one Redis call may take before the in-process lock is used instead.
REDIS_TIMEOUT_S = 0.5
# After a failure, how long to use the in-process lock before trying Redis again.
REDIS_RETRY_AFTER_S = 5.0
_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# The lock key is deleted only while it holds exactly what this turn wrote: only this turn's ticket.
_DELETE_IF_UNCHANGED = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class _WaitingTicketsDoNotStrand:
    """Rasa's `_acquire_lock` waits until its ticket is served; but a waiting ticket expires like a
    serving one. When a server dies holding a conversation's lock, the next message's ticket can
    expire in the same second as the dead one, and then `now_serving` is 0 for ever: that message,
    and every later one of the conversation, waited for ever (found by killing a worker mid-load
    behind HAProxy). Here a waiter whose own ticket has expired has waited a whole lock lifetime:
    every ticket ahead of it was issued earlier and has expired too, so it goes ahead."""

    async def _acquire_lock(self, conversation_id: Text, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        while True:
            lock = self.get_lock(conversation_id)
            if lock is None:
                return self.create_lock(conversation_id)
            if not lock.is_locked(ticket):
                return lock
            if all(waiting.number != ticket for waiting in lock.tickets):
                logger.warning("lock store: waited a whole lock lifetime for a conversation; going ahead")
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            self.update_lock(conversation_id)


class _InProcessLockStore(_WaitingTicketsDoNotStrand, InMemoryLockStore):
    """The outage fallback: Rasa's in-process lock store, with the same waiting rule."""


class AtomicRedisLockStore(_WaitingTicketsDoNotStrand, RedisLockStore):
    """RedisLockStore with atomic ticket issue, expiry clean-up and removal."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {**endpoint_config.kwargs, **kwargs}
            kwargs.setdefault("host", endpoint_config.url or "localhost")
        kwargs.pop("type", None)
        kwargs.setdefault("socket_timeout", REDIS_TIMEOUT_S)
        super().__init__(**kwargs)
        self._fallback = _InProcessLockStore()
        self._redis_down_until = 0.0
        self._compare_and_delete = None  # registered on first use (redis-py runs it by its sha)

    # -- outage fallback --------------------------------------------------------------------
    def redis_is_reachable(self) -> bool:
        """For health checks: one PING within the timeout."""
        try:
            return bool(self.red.ping())
        except _REDIS_DOWN:
            return False

    def _use_fallback(self) -> bool:
        return time.monotonic() < self._redis_down_until

    def _mark_down(self, error: BaseException) -> None:
        if not self._use_fallback():
            logger.error("lock store: Redis unreachable (%s); serialising conversations in this process "
                         "for %.0f s", type(error).__name__, REDIS_RETRY_AFTER_S)
        self._redis_down_until = time.monotonic() + REDIS_RETRY_AFTER_S

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        queued = None
        if not self._use_fallback():
            try:
                queued = await self._queue_for(conversation_id, lock_lifetime, wait_time_in_seconds)
            except LockError as error:  # from issue_ticket, Rasa's contract
                if not isinstance(error.__cause__, _REDIS_DOWN):
                    raise
                self._mark_down(error.__cause__)
            except _REDIS_DOWN as error:  # Redis went away before the lock was ours
                self._mark_down(error)
        if queued is None:
            async with self._fallback.lock(conversation_id, lock_lifetime, wait_time_in_seconds) as lock:
                yield lock
            return
        ticket, acquired, written = queued
        try:
            yield acquired
        finally:
            try:
                if written is None or not self._delete_if_unchanged(self._key(conversation_id), written):
                    self.cleanup(conversation_id, ticket)
            except _REDIS_DOWN as error:  # the ticket expires with its key's TTL
                self._mark_down(error)

    async def _queue_for(self, conversation_id: Text, lock_lifetime: float,
                         wait_time_in_seconds: float) -> Tuple[int, TicketLock, Optional[Text]]:
        """(the turn's ticket, the lock once that ticket is served, the lock's value as written when
        the lock was free and so taken in one step, else None)."""
        lock = self.create_lock(conversation_id)
        ticket = lock.issue_ticket(lock_lifetime)
        written = lock.dumps()
        if self.red.set(self._key(conversation_id), written, nx=True, ex=self._key_ttl(lock_lifetime)):
            return ticket, lock, written
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        return ticket, await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds), None

    def _delete_if_unchanged(self, key: Text, written: Text) -> bool:
        if self._compare_and_delete is None:
            self._compare_and_delete = self.red.register_script(_DELETE_IF_UNCHANGED)
        return bool(self._compare_and_delete(keys=[key], args=[written]))

    def _key(self, conversation_id: Text) -> Text:
        return self.key_prefix + conversation_id

    def _load(self, pipe: Any, conversation_id: Text) -> Optional[TicketLock]:
        raw = pipe.get(self._key(conversation_id))
        return TicketLock.from_dict(json.loads(raw)) if raw else None

    @staticmethod
    def _key_ttl(lifetime: float) -> int:
        return max(1, math.ceil(lifetime + KEY_TTL_MARGIN_S))

    def _store(self, pipe: Any, lock: TicketLock, lifetime: float) -> None:
        pipe.set(self._key(lock.conversation_id), lock.dumps(), ex=self._key_ttl(lifetime))

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        issued = {}

        def issue(pipe: Any) -> None:
            lock = self._load(pipe, conversation_id) or self.create_lock(conversation_id)
            ticket = lock.issue_ticket(lock_lifetime)
            pipe.multi()
            self._store(pipe, lock, lock_lifetime)
            issued["ticket"] = ticket

        try:
            self.red.transaction(issue, self._key(conversation_id))
        except Exception as error:  # same contract as Rasa's LockStore.issue_ticket
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return issued["ticket"]

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(pipe: Any) -> None:
            lock = self._load(pipe, conversation_id)
            if lock is None:
                return
            lock.remove_expired_tickets()
            pipe.multi()
            self._store(pipe, lock, LOCK_LIFETIME)

        self.red.transaction(drop_expired, self._key(conversation_id))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove the ticket and, when no one else waits, the lock — in one step."""

        def finish(pipe: Any) -> None:
            lock = self._load(pipe, conversation_id)
            if lock is None:
                return
            lock.remove_ticket_for(ticket_number)
            pipe.multi()
            if lock.is_someone_waiting():
                self._store(pipe, lock, LOCK_LIFETIME)
            else:
                pipe.delete(self._key(conversation_id))

        self.red.transaction(finish, self._key(conversation_id))
