"""The atomic Redis lock store against the real Redis server on 127.0.0.1:6379."""
from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

from bot.stores.redis_lock_store import AtomicRedisLockStore
from rasa.utils.endpoints import EndpointConfig

pytestmark = pytest.mark.redis


@pytest.fixture
def prefix():
    return "t" + uuid.uuid4().hex[:12]


def make_store(prefix: str) -> AtomicRedisLockStore:
    config = EndpointConfig(url="127.0.0.1", type="bot.stores.redis_lock_store.AtomicRedisLockStore",
                            port=6379, db=1, key_prefix=prefix)
    return AtomicRedisLockStore(endpoint_config=config)


def test_built_from_endpoint_config_like_rasa_does(prefix):
    from rasa.core.lock_store import LockStore

    config = EndpointConfig(url="127.0.0.1", type="bot.stores.redis_lock_store.AtomicRedisLockStore",
                            port=6379, db=1, key_prefix=prefix)
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix.startswith(prefix)


def test_concurrent_servers_never_get_the_same_ticket(prefix):
    """Eight 'servers' (own connections) issue 25 tickets each for one conversation at once."""
    stores = [make_store(prefix) for _ in range(8)]
    tickets, barrier = [], threading.Barrier(len(stores))
    guard = threading.Lock()

    def issue_many(store):
        barrier.wait()
        for _ in range(25):
            ticket = store.issue_ticket("conv-1", lock_lifetime=30)
            with guard:
                tickets.append(ticket)

    threads = [threading.Thread(target=issue_many, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tickets) == 200
    assert len(set(tickets)) == 200, "two servers were issued the same ticket"
    lock = stores[0].get_lock("conv-1")
    assert len(lock.tickets) == 200


def test_cleanup_removes_only_its_ticket_and_then_the_lock(prefix):
    store = make_store(prefix)
    first = store.issue_ticket("conv-2")
    second = store.issue_ticket("conv-2")
    store.cleanup("conv-2", first)
    lock = store.get_lock("conv-2")
    assert lock is not None and lock.now_serving == second
    store.cleanup("conv-2", second)
    assert store.get_lock("conv-2") is None


def test_lock_keys_expire(prefix):
    store = make_store(prefix)
    store.issue_ticket("conv-3", lock_lifetime=5)
    ttl = store.red.ttl(store.key_prefix + "conv-3")
    assert 0 < ttl <= 5 + 30


async def test_lock_serialises_two_holders(prefix):
    """The second holder of a conversation's lock only enters after the first left."""
    store_a, store_b = make_store(prefix), make_store(prefix)
    order = []

    async def hold(store, name):
        async with store.lock("conv-4", wait_time_in_seconds=0.01):
            order.append(f"{name}-in")
            await asyncio.sleep(0.05)
            order.append(f"{name}-out")

    await asyncio.gather(hold(store_a, "a"), hold(store_b, "b"))
    assert order in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])
    assert store_a.get_lock("conv-4") is None  # nothing left behind


def round_trips_during(monkeypatch, work):
    """How many times redis-py sent to Redis while `work()` ran (a pipeline is sent at once)."""
    import redis

    sent = []
    send = redis.connection.Connection.send_packed_command

    def counted(connection, command, *args, **kwargs):
        sent.append(command)
        return send(connection, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counted)
    work()
    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", send)
    return len(sent)


def test_a_free_lock_is_taken_and_given_back_in_two_round_trips(prefix, monkeypatch):
    store = make_store(prefix)
    store.red.ping()  # connected (and the script registered) before counting
    asyncio.run(hold_once(store, "conv-warm"))
    entered = []

    async def turn():
        async with store.lock("conv-6") as lock:
            entered.append(lock.now_serving)
            assert store.get_lock("conv-6").now_serving == lock.now_serving

    assert round_trips_during(monkeypatch, lambda: asyncio.run(turn())) == 2 + 1  # + the check inside
    assert entered == [0]
    assert store.red.get(store.key_prefix + "conv-6") is None


async def hold_once(store, conversation):
    async with store.lock(conversation):
        pass


async def test_a_ticket_taken_while_the_lock_is_held_is_served_next(prefix):
    """The holder took the free lock in one step; a message of the same conversation on another
    server queued meanwhile: leaving removes only the holder's ticket, and the waiter is served."""
    holder, other = make_store(prefix), make_store(prefix)
    async with holder.lock("conv-7"):
        waiting = other.issue_ticket("conv-7")
        assert other.get_lock("conv-7").is_locked(waiting)
    lock = other.get_lock("conv-7")
    assert lock is not None and not lock.is_locked(waiting) and [t.number for t in lock.tickets] == [waiting]
    other.cleanup("conv-7", waiting)
    assert other.get_lock("conv-7") is None


# -- Redis outages: the lock store must never be what silences a reply -------------------------

@pytest.fixture
def redis_proxy():
    from tests.support.faults import FaultProxy

    with FaultProxy("127.0.0.1", 6379) as proxy:
        yield proxy


def proxied_store(prefix: str, port: int) -> AtomicRedisLockStore:
    config = EndpointConfig(url="127.0.0.1", type="bot.stores.redis_lock_store.AtomicRedisLockStore",
                            port=port, db=1, key_prefix=prefix)
    return AtomicRedisLockStore(endpoint_config=config)


@pytest.mark.parametrize("fault", ["down", "hang"])
def test_a_stopped_or_hung_redis_falls_back_to_an_in_process_lock_quickly(prefix, redis_proxy, fault, monkeypatch):
    import time

    from bot.stores import redis_lock_store

    store = proxied_store(prefix, redis_proxy.port)

    async def one_turn(conversation):
        started = time.monotonic()
        async with store.lock(conversation):
            pass
        return time.monotonic() - started

    assert asyncio.run(one_turn("c1")) < 1.0 and store.redis_is_reachable()
    getattr(redis_proxy, fault)()
    assert asyncio.run(one_turn("c1")) < 1.5  # one timeout at most ...
    assert asyncio.run(one_turn("c2")) < 0.2  # ... then the in-process lock without waiting
    assert not store.redis_is_reachable()

    # serialised within this process during the outage
    order = []

    async def turn(n):
        async with store.lock("c3"):
            order.append(("in", n))
            await asyncio.sleep(0.05)
            order.append(("out", n))

    async def both():
        await asyncio.gather(turn(1), turn(2))

    asyncio.run(both())
    assert [kind for kind, _ in order] == ["in", "out", "in", "out"]

    # Redis back: used again after the retry pause
    redis_proxy.up()
    monkeypatch.setattr(redis_lock_store, "REDIS_RETRY_AFTER_S", 0.0)
    store._redis_down_until = 0.0
    asyncio.run(one_turn("c4"))
    assert store.redis_is_reachable() and not store._use_fallback()


def test_a_server_that_died_holding_the_lock_delays_the_conversation_but_never_strands_it(prefix):
    """Found behind HAProxy: the next message's ticket expired in the same second as the dead
    server's, and Rasa's wait loop then waited for ever."""
    import time

    dead, live = make_store(prefix), make_store(prefix)
    dead.issue_ticket("c-dead", lock_lifetime=1)  # the worker is killed before it cleans up

    async def two_turns():
        started = time.monotonic()
        async with live.lock("c-dead", lock_lifetime=1, wait_time_in_seconds=0.2):
            first = time.monotonic() - started
        async with live.lock("c-dead", lock_lifetime=1, wait_time_in_seconds=0.2):
            second = time.monotonic() - started
        return first, second

    first, second = asyncio.run(asyncio.wait_for(two_turns(), timeout=10))
    assert first < 3 and second < 3.5
