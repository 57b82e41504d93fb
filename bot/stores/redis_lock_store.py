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

endpoints.yml:
    lock_store:
      type: bot.stores.redis_lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 1
"""
from __future__ import annotations

import json
import logging
import math
from typing import Any, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Extra seconds a lock key lives past its newest ticket's expiry.
KEY_TTL_MARGIN_S = 30


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore with atomic ticket issue, expiry clean-up and removal."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {**endpoint_config.kwargs, **kwargs}
            kwargs.setdefault("host", endpoint_config.url or "localhost")
        kwargs.pop("type", None)
        super().__init__(**kwargs)

    def _key(self, conversation_id: Text) -> Text:
        return self.key_prefix + conversation_id

    def _load(self, pipe: Any, conversation_id: Text) -> Optional[TicketLock]:
        raw = pipe.get(self._key(conversation_id))
        return TicketLock.from_dict(json.loads(raw)) if raw else None

    def _store(self, pipe: Any, lock: TicketLock, lifetime: float) -> None:
        pipe.set(self._key(lock.conversation_id), lock.dumps(),
                 ex=max(1, math.ceil(lifetime + KEY_TTL_MARGIN_S)))

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
