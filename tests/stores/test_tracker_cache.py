"""The encrypted SQL tracker store keeps each conversation's tracker in memory between turns, and
uses it only while the database still holds exactly what it was built from."""
import asyncio
import sqlite3
import time

import psycopg2
import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

from bot.stores import encrypted_tracker_store
from bot.stores.encrypted_tracker_store import DB_ANSWER_TIMEOUT_S, EncryptedSQLTrackerStore

DOMAIN = Domain.load("domain.yml")


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "tracker.db")


def store(db):
    return EncryptedSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)


def postgres_store(name):
    return EncryptedSQLTrackerStore(domain=DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432,
                                    db=name, username="postgres", password="")


def run(coroutine):
    return asyncio.run(coroutine)


def turn(tracker, text):
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(ActionExecuted("action_listen"))


def first_turn(worker, sender="rest:cache-test"):
    tracker = run(worker.get_or_create_tracker(sender))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    turn(tracker, "hello")
    run(worker.save(tracker))
    return tracker


def stored_user_texts(worker, sender="rest:cache-test"):
    tracker = run(worker.retrieve_full_tracker(sender))
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


def test_the_next_turn_gets_the_saved_tracker_and_nothing_is_saved_twice(db):
    worker = store(db)
    first_turn(worker)
    # the first turn's tracker starts before its session (action_session_start): not kept
    reread = run(worker.retrieve("rest:cache-test"))
    assert run(worker.retrieve("rest:cache-test")) is reread
    turn(reread, "second")
    run(worker.save(reread))
    again = run(worker.retrieve("rest:cache-test"))
    assert again is reread
    turn(again, "third")
    run(worker.save(again))
    assert stored_user_texts(worker) == ["hello", "second", "third"]
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from events where type_name = 'user'").fetchone()[0] == 3


def event_dicts(tracker):
    return [event.as_dict() for event in tracker.events]


def test_another_workers_turn_is_read_from_the_database(db):
    worker_a, worker_b = store(db), store(db)
    first_turn(worker_a)
    mine = run(worker_a.retrieve("rest:cache-test"))
    theirs = run(worker_b.retrieve("rest:cache-test"))
    turn(theirs, "on worker b")
    run(worker_b.save(theirs))
    fresh = run(worker_a.retrieve("rest:cache-test"))
    assert [e.text for e in fresh.events if isinstance(e, UserUttered)] == ["hello", "on worker b"]
    # only worker b's rows were read, and applied to the kept tracker: what a whole read gives
    assert fresh is mine
    assert event_dicts(fresh) == event_dicts(run(store(db).retrieve("rest:cache-test")))
    assert fresh.latest_message.text == "on worker b"
    turn(fresh, "back on a")
    run(worker_a.save(fresh))
    assert stored_user_texts(worker_b) == ["hello", "on worker b", "back on a"]


def test_catching_up_on_another_workers_turn_reads_only_its_rows(db):
    worker_a, worker_b = store(db), store(db)
    first_turn(worker_a)
    run(worker_a.retrieve("rest:cache-test"))
    theirs = run(worker_b.retrieve("rest:cache-test"))
    turn(theirs, "on worker b")
    run(worker_b.save(theirs))
    sent = statements_during(worker_a, lambda: run(worker_a.retrieve("rest:cache-test")))
    assert sent == ["SELECT", "SELECT"]  # the stamp, then the rows after the kept ones


def test_a_new_session_on_another_worker_is_read_whole(db):
    worker_a, worker_b = store(db), store(db)
    first_turn(worker_a)
    mine = run(worker_a.retrieve("rest:cache-test"))
    theirs = run(worker_b.retrieve("rest:cache-test"))
    theirs.update(ActionExecuted("action_session_start"))
    theirs.update(SessionStarted())
    theirs.update(ActionExecuted("action_listen"))
    turn(theirs, "a new session")
    run(worker_b.save(theirs))
    fresh = run(worker_a.retrieve("rest:cache-test"))
    assert fresh is not mine
    assert [e.text for e in fresh.events if isinstance(e, UserUttered)] == ["a new session"]
    assert event_dicts(fresh) == event_dicts(run(store(db).retrieve("rest:cache-test")))


def test_rows_deleted_while_another_worker_wrote_are_not_kept(db):
    worker_a, worker_b = store(db), store(db)
    first_turn(worker_a)
    mine = run(worker_a.retrieve("rest:cache-test"))
    with sqlite3.connect(db) as connection:  # one of the kept rows goes (the console deletes rows)
        connection.execute("delete from events where sender_id = 'rest:cache-test' and type_name = 'user'")
    theirs = run(worker_b.retrieve("rest:cache-test"))
    turn(theirs, "on worker b")
    run(worker_b.save(theirs))
    fresh = run(worker_a.retrieve("rest:cache-test"))
    assert fresh is not mine
    assert [e.text for e in fresh.events if isinstance(e, UserUttered)] == ["on worker b"]


def test_a_turn_that_failed_before_saving_is_not_reused(db):
    worker = store(db)
    first_turn(worker)
    tracker = run(worker.retrieve("rest:cache-test"))
    tracker.update(UserUttered("never saved", {"name": "greet", "confidence": 1.0}))
    tracker.update(SlotSet("concern", "anxiety"))
    fresh = run(worker.retrieve("rest:cache-test"))
    assert fresh is not tracker
    assert [e.text for e in fresh.events if isinstance(e, UserUttered)] == ["hello"]


def test_a_deleted_conversation_is_not_brought_back(db):
    worker = store(db)
    first_turn(worker)
    run(worker.retrieve("rest:cache-test"))
    with sqlite3.connect(db) as connection:  # what the console's deletion does to the rows
        connection.execute("delete from events where sender_id = 'rest:cache-test'")
    assert run(worker.retrieve("rest:cache-test")) is None


def statements_during(worker, action):
    """The SQL statements the store sends while `action()` runs."""
    import sqlalchemy as sa

    sent = []

    def record(conn, cursor, statement, *args):
        sent.append(statement.split()[0].upper())

    sa.event.listen(worker.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(worker.engine, "before_cursor_execute", record)
    return sent


def test_a_turn_on_a_kept_tracker_costs_two_small_queries_and_one_insert(db):
    worker = store(db)
    first_turn(worker)
    kept = run(worker.retrieve("rest:cache-test"))
    turn(kept, "second")
    run(worker.save(kept))

    def next_turn():
        tracker = run(worker.retrieve("rest:cache-test"))
        assert tracker is kept
        turn(tracker, "third")
        run(worker.save(tracker))

    sent = statements_during(worker, next_turn)
    # the stamp checked before the turn and the one after its save; the turn's three events in one INSERT
    assert sent.count("SELECT") == 2 and sent.count("INSERT") == 1
    with worker.engine.connect() as connection:
        assert worker._cached()["rest:cache-test"].stamp == worker._stamp(connection, "rest:cache-test")
    assert stored_user_texts(worker) == ["hello", "second", "third"]


@pytest.mark.postgres
def test_on_postgresql_the_kept_tracker_follows_turns_of_two_workers():
    from tests.support.databases import temporary_postgres_database

    with temporary_postgres_database("tracker_cache") as name:
        worker_a, worker_b = postgres_store(name), postgres_store(name)
        first_turn(worker_a)
        for text in ("a1", "a2"):
            tracker = run(worker_a.retrieve("rest:cache-test"))
            turn(tracker, text)
            run(worker_a.save(tracker))
        kept_by_a = run(worker_a.retrieve("rest:cache-test"))
        with worker_a.engine.connect() as connection:
            assert worker_a._cached()["rest:cache-test"].stamp == worker_a._stamp(connection, "rest:cache-test")
        theirs = run(worker_b.retrieve("rest:cache-test"))
        turn(theirs, "b1")
        run(worker_b.save(theirs))
        fresh = run(worker_a.retrieve("rest:cache-test"))
        assert fresh is kept_by_a  # caught up with worker b's rows
        assert event_dicts(fresh) == event_dicts(run(postgres_store(name).retrieve("rest:cache-test")))
        turn(fresh, "a3")
        run(worker_a.save(fresh))
        assert stored_user_texts(worker_b) == ["hello", "a1", "a2", "b1", "a3"]
        worker_a.engine.dispose()
        worker_b.engine.dispose()


# by the test's clock, a turn's wait can end a hair short of the time limit (a clean-clone CI run saw 1.99995 s)
TIMER_SLACK_S = 0.01


async def while_the_loop_ticks(work):
    """(what `work` gave, seconds it took, how often a 10 ms timer of the same loop ran meanwhile)."""
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    try:
        result = await work
    finally:
        ticker.cancel()
    return result, time.monotonic() - started, ticks


@pytest.mark.postgres
def test_a_database_that_stops_answering_mid_query_holds_up_only_the_turn_that_waits(monkeypatch):
    """A database that is up but does not answer (here: a lock held by another session; a stalled
    server is the same to the client) holds up the turn that reads or saves for DB_ANSWER_TIMEOUT_S,
    which then goes on without it; the worker's event loop, and so every other conversation, runs on
    meanwhile. Nothing saved before is lost."""
    from tests.support.databases import ADMIN, temporary_postgres_database

    monkeypatch.setattr(encrypted_tracker_store, "DB_RETRY_AFTER_S", 0.5)
    with temporary_postgres_database("tracker_stalled") as name:
        worker = postgres_store(name)
        first_turn(worker)
        kept = run(worker.retrieve("rest:cache-test"))
        blocker = psycopg2.connect(**{**ADMIN, "dbname": name})
        try:
            cursor = blocker.cursor()
            # released by the server at the latest after 8 s, so that a worker that waits does not hang the suite
            cursor.execute("SET idle_in_transaction_session_timeout = '8s'")
            cursor.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")

            tracker, waited, ticks = run(while_the_loop_ticks(worker.retrieve("rest:cache-test")))
            assert tracker is None  # the turn is answered without history, as when the database is down
            assert DB_ANSWER_TIMEOUT_S - TIMER_SLACK_S <= waited < DB_ANSWER_TIMEOUT_S + 1
            assert ticks >= DB_ANSWER_TIMEOUT_S / 0.01 / 2  # the loop went on while the turn waited

            time.sleep(0.6)  # rested; tried again
            turn(kept, "while stalled")
            _, waited, ticks = run(while_the_loop_ticks(worker.save(kept)))
            assert DB_ANSWER_TIMEOUT_S - TIMER_SLACK_S <= waited < DB_ANSWER_TIMEOUT_S + 1
            assert ticks >= DB_ANSWER_TIMEOUT_S / 0.01 / 2
        finally:
            blocker.rollback()
            blocker.close()
        time.sleep(0.6)  # rested
        # the save waited behind the stalled read and was dropped when its turn stopped waiting: that
        # turn is not saved, as when the database is down; what was saved before is all there
        assert stored_user_texts(worker) == ["hello"]
        assert stored_user_texts(postgres_store(name)) == ["hello"]
        worker.engine.dispose()


def test_the_sqlite_tracker_database_is_in_wal_mode_and_another_process_reads_each_turn(db):
    """make run's SQLite tracker store commits in WAL mode (0.02 ms, not two disk syncs): what a turn
    saved is there for any other reader at once (the console deletes conversations from its own
    process)."""
    worker = store(db)
    first_turn(worker)
    with worker.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    kept = run(worker.retrieve("rest:cache-test"))
    turn(kept, "second")
    run(worker.save(kept))
    with sqlite3.connect(db) as other:
        assert other.execute("select count(*) from events where type_name = 'user'").fetchone()[0] == 2
