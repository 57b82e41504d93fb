"""Rasa's SQL tracker store with every event's content encrypted at rest.

What people tell the assistant (message text, slot values, metadata) is health information, and
SQLTrackerStore keeps it as plain JSON in `events.data`. This store writes that column as
`privacy.crypto.cipher().encrypt(json)` and decrypts on read; rows written before it (plain JSON)
are still read, and `python -m privacy rotate` re-encrypts them. Columns Rasa queries on stay as
Rasa writes them: sender_id (a namespaced conversation id, never a phone number — see
privacy/identifiers.py), type_name, timestamp, intent_name, action_name.

endpoints.yml:
    tracker_store:
      type: bot.stores.encrypted_tracker_store.EncryptedSQLTrackerStore
      dialect: "sqlite"          # or postgresql with url/port/db/username/password
      db: "var/tracker.db"
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, UserUttered, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.exc import SQLAlchemyError

from bot.stores.states_tracker import StatesTracker, install as let_featurizers_keep_states
from privacy.crypto import cipher

logger = logging.getLogger(__name__)

# After a database failure, how long turns are answered without it before it is tried again.
DB_RETRY_AFTER_S = 5.0
# How long a turn waits for the database to read or save it (a few milliseconds when it is well);
# past that the turn goes on without it, as when it is down.
DB_ANSWER_TIMEOUT_S = 2.0
# Conversations whose tracker is kept in memory between turns (least recently used out first).
CACHED_CONVERSATIONS = 256


@dataclass
class _Cached:
    tracker: DialogueStateTracker
    length: int  # len(tracker.events) when it was cached: more means a turn changed it unsaved
    stamp: Tuple[int, Optional[int]]  # the database's (events of the session, highest row id) then


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose `events.data` column is encrypted (see the module docstring).

    Two more differences from Rasa's store, both so that the tracker database is never what
    silences a crisis reply:
    - The event broker gets the new events from the same query that saves them (Rasa's
      `stream_events` reads the whole tracker a second time per turn), and when the database
      cannot be reached it still gets this turn's events (the risk relay drops repeats by key).
    - When the database is down, a conversation is answered from what this turn says (an empty
      tracker) instead of not at all, and the failed save is logged; it is not retried. After a
      failure the database is left alone for DB_RETRY_AFTER_S, so a hung database costs one
      connect timeout (set `query: {connect_timeout: 1}` for PostgreSQL), not one per message.
    - The database is worked in a thread of its own (`_in_database_thread`), never in the event
      loop: a database that stops answering in the middle of a query (a stalled server, a lock
      held elsewhere) costs the turns that wait on it DB_ANSWER_TIMEOUT_S, and no other
      conversation of the worker waits at all.

    And four for the cost of a turn, each explained where it is: the tracker kept in memory
    between turns, its kind (bot.stores.states_tracker.StatesTracker), the turn's queries as
    SQLAlchemy Core statements built once (_TurnStatements), and SQLite's WAL mode.
    """

    _db_down_until = 0.0
    _cache: "OrderedDict[str, _Cached]"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        in_memory = self.engine.dialect.name == "sqlite" and self.engine.url.database in (None, "", ":memory:")
        if self.engine.dialect.name == "sqlite" and not in_memory:
            self._keep_sqlite_connection_in_wal_mode()
        self._sql = _TurnStatements(self.SQLEvent.__table__)
        # An in-memory SQLite database is one per thread (SQLAlchemy's SingletonThreadPool): it stays
        # in the loop's thread, where Rasa's own methods reach it too; it cannot hang.
        self._database_thread = None if in_memory else ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="tracker-store")
        self._cache_lock = threading.Lock()
        # this store's trackers keep the featurized states of past turns (StatesTracker.featurizer_states)
        let_featurizers_keep_states()

    def _keep_sqlite_connection_in_wal_mode(self) -> None:
        """The laptop default (SQLite): each commit in SQLite's default journal waited for two
        disk syncs (0.6 ms of a 15 ms turn). In WAL mode with synchronous=NORMAL a commit is
        0.02 ms and survives the process crashing (a power cut may lose the last turns, not
        corrupt the file; production uses PostgreSQL). Rasa opens SQLite without a pool, and
        closing the last connection of a WAL database writes it back every time, so the engine
        keeps its connection in a pool."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=4,
                                       connect_args={"check_same_thread": False})
        sa.event.listen(self.engine, "connect", _sqlite_wal)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    # Each turn used to decrypt and replay the whole session: turn 160 cost 4.8 times turn 10
    # (scripts/bench_latency.py, long conversations). The tracker a turn saved is kept, as it is,
    # for the next turn, which uses it only while the database still holds exactly what it was built
    # from: the same number of events in the session and the same highest row id (another worker's
    # turn, a deletion by the console or a new session changes them), or that plus rows another
    # worker wrote after it (`_catch_up`), and while nothing changed it since (a turn that failed
    # before saving leaves it longer). The check is one small query; the
    # save that follows writes the events after the ones the tracker was read with in one INSERT and
    # reads the new stamp in the same transaction: a turn on a kept tracker costs two small queries
    # and one insert.

    def _cached(self) -> "OrderedDict[str, _Cached]":
        if not hasattr(self, "_cache"):
            self._cache = OrderedDict()
        return self._cache

    async def _in_database_thread(self, work: Callable[..., Any], *args: Any) -> Any:
        """`work(*args)` in the store's database thread, awaited for at most DB_ANSWER_TIMEOUT_S.

        A query that waits on the database no longer blocks the event loop: other conversations are
        answered meanwhile, and a stalled database holds up only the turns that wait on it. (Under
        bench_scale's load it did not raise throughput: the workers' CPU is the limit, docs/CAPACITY.md.)
        One thread, so the store's work keeps the order it had on the loop.
        When a turn stops waiting, its work is dropped if it has not started, and goes on with its
        result unused if it has; either way the turn goes on as when the database is down (its save,
        if it was one, is not retried). The database is then rested (DB_RETRY_AFTER_S), so a hung
        one is not queued for again and again."""
        if self._database_thread is None:
            return work(*args)
        pending = asyncio.get_running_loop().run_in_executor(self._database_thread, work, *args)
        return await asyncio.wait_for(pending, DB_ANSWER_TIMEOUT_S)

    def _stamp(self, connection, sender_id: Text) -> Tuple[int, Optional[int]]:
        in_session, highest = connection.execute(self._sql.stamp, {"sender_id": sender_id}).one()
        return in_session, highest

    def _remember(self, tracker: DialogueStateTracker, stamp: Tuple[int, Optional[int]]) -> None:
        with self._cache_lock:
            cache = self._cached()
            cache.pop(tracker.sender_id, None)
            # only a tracker that is exactly the session the database would give back (a turn that
            # started a new session still holds the old one's events too)
            if len(tracker.events) == stamp[0]:
                cache[tracker.sender_id] = _Cached(tracker, len(tracker.events), stamp)
                while len(cache) > CACHED_CONVERSATIONS:
                    cache.popitem(last=False)

    def _kept(self, sender_id: Text) -> Optional[_Cached]:
        with self._cache_lock:
            return self._cached().get(sender_id)

    def _forget(self, sender_id: Text) -> None:
        with self._cache_lock:
            self._cached().pop(sender_id, None)

    def init_tracker(self, sender_id: Text) -> DialogueStateTracker:
        """A new conversation's tracker, of the kind this store reads back (StatesTracker)."""
        return StatesTracker(sender_id, self.domain.slots, max_event_history=self.max_event_history)

    def _database_resting(self) -> bool:
        return time.monotonic() < self._db_down_until

    def _mark_down(self, what: str, failure: BaseException) -> None:
        if not self._database_resting():
            logger.error("tracker store unreachable; %s (%s)", what, type(failure).__name__)
        self._db_down_until = time.monotonic() + DB_RETRY_AFTER_S

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        if self._database_resting():
            return None
        try:
            return await self._in_database_thread(self._read, sender_id, fetch_events_from_all_sessions)
        except (SQLAlchemyError, asyncio.TimeoutError) as failure:
            self._mark_down("answering without history", failure)
            return None

    def _read(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        data_cipher = cipher()
        stamp = None
        with self.engine.connect() as connection:
            if not fetch_events_from_all_sessions:
                stamp = self._stamp(connection, sender_id)
                cached = self._kept(sender_id)
                if cached is not None and len(cached.tracker.events) == cached.length:
                    if cached.stamp == stamp or self._catch_up(connection, cached, stamp):
                        with self._cache_lock:
                            if self._cached().get(sender_id) is cached:
                                self._cache.move_to_end(sender_id)
                        return cached.tracker
            query = self._sql.all_sessions if fetch_events_from_all_sessions else self._sql.session
            rows = connection.execute(query, {"sender_id": sender_id}).scalars().all()
        events = [json.loads(data_cipher.decrypt(data)) for data in rows]
        if self.domain and events:
            tracker = StatesTracker.from_dict(sender_id, events, self.domain.slots)
            if stamp is not None:
                self._remember(tracker, stamp)
            return tracker
        return None

    def _catch_up(self, connection, cached: _Cached, stamp: Tuple[int, Optional[int]]) -> bool:
        """Another worker's turns (REST and SMS messages of one conversation go to any worker): when
        the database's session is the kept tracker's events plus rows written after them, only those
        rows are read and applied to it, as a full read would apply them (2026-11-30: a full read was
        7% of a turn under bench_scale's load). Any other change (a new session, a deletion) gives
        counts that do not add up, and the session is read whole."""
        kept_count, kept_highest = cached.stamp
        if kept_highest is None or stamp[1] is None or stamp[0] <= kept_count:
            return False
        rows = connection.execute(self._sql.after, {"sender_id": cached.tracker.sender_id,
                                                    "after_id": kept_highest}).all()
        if kept_count + len(rows) != stamp[0] or rows[-1].id != stamp[1]:
            return False
        data_cipher = cipher()
        for event in deserialise_events([json.loads(data_cipher.decrypt(row.data)) for row in rows]):
            cached.tracker.update(event)
        cached.length, cached.stamp = len(cached.tracker.events), stamp
        return True

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Streaming happens in `save`, from the events it writes (no second read)."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            if self._database_resting():
                raise _Resting()
            new_events = await self._in_database_thread(self._write, tracker)
        except (SQLAlchemyError, asyncio.TimeoutError, _Resting) as failure:
            if not isinstance(failure, _Resting):
                self._mark_down("this turn was not saved", failure)
            self._forget(tracker.sender_id)
            new_events = events_of_latest_turn(tracker)
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

    def _write(self, tracker: DialogueStateTracker) -> List[Event]:
        """Insert the events the database does not have yet; they are what the broker gets."""
        data_cipher = cipher()
        with self.engine.begin() as connection:  # one transaction, committed on leaving
            kept = self._kept(tracker.sender_id)
            if kept is not None and kept.tracker is tracker:
                # read this turn from a stamp the database confirmed: what follows is new
                stored = kept.length
            else:
                stored = self._stamp(connection, tracker.sender_id)[0]
            new_events = list(itertools.islice(tracker.events, stored, None))
            rows = []
            for event in new_events:
                data = event.as_dict()
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": data_cipher.encrypt(json.dumps(data)),
                })
            if rows:
                connection.execute(self._sql.insert, rows)  # one statement for the turn's events
            stamp = self._stamp(connection, tracker.sender_id)
        self._remember(tracker, stamp)
        return new_events


class _TurnStatements:
    """The queries of a turn as SQLAlchemy Core statements, built once (Rasa's store builds ORM
    queries and flushes ORM objects each turn: under load, SQLAlchemy was 23% of a production
    worker's CPU, docs/CAPACITY.md). The same SQL as Rasa's `_event_query`: a session's events are
    those from its latest `SessionStarted` on, in id order."""

    def __init__(self, events: sa.Table) -> None:
        sender = events.c.sender_id == sa.bindparam("sender_id")
        session_start = (sa.select(sa.func.max(events.c.timestamp))
                         .where(sender, events.c.type_name == SessionStarted.type_name)
                         .scalar_subquery())
        in_session = sa.and_(sender, sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))
        # (events in the session, the highest row id): what a kept tracker is checked against
        self.stamp = sa.select(sa.func.count(events.c.id), sa.func.max(events.c.id)).where(in_session)
        self.session = sa.select(events.c.data).where(in_session).order_by(events.c.id)
        self.all_sessions = sa.select(events.c.data).where(sender).order_by(events.c.id)
        # the rows another worker wrote after a kept tracker's highest row
        self.after = (sa.select(events.c.id, events.c.data)
                      .where(sender, events.c.id > sa.bindparam("after_id")).order_by(events.c.id))
        self.insert = events.insert()


def _sqlite_wal(dbapi_connection, _connection_record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _Resting(Exception):
    """The database failed moments ago; not tried again yet."""


def events_of_latest_turn(tracker: DialogueStateTracker) -> List[Event]:
    """The events since the latest user message (the whole tracker if there is none)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return events[index:]
    return events
