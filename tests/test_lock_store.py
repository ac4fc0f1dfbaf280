"""The leased conversation lock (bot/lock_store.py) on a real redis-server (conftest.py).

Two "replicas" are two lock stores on the same Redis; a replica killed while it holds a
ticket is one that issued a ticket and then never renews it."""
from __future__ import annotations

import asyncio
import time

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import LeasedRedisLockStore

LEASE = 1.0


def store(redis_server: str) -> LeasedRedisLockStore:
    port = int(redis_server.rsplit(":", 1)[1].split("/")[0])
    return LeasedRedisLockStore(EndpointConfig(url="127.0.0.1", port=port, db=3, key_prefix="test"), lease=LEASE)


def test_two_replicas_never_handle_one_conversation_at_once(redis_server):
    one, two = store(redis_server), store(redis_server)
    inside, most, order = [0], [0], []

    async def handle(lock_store, name, seconds):
        async with lock_store.lock("c-serial"):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            order.append(name)
            await asyncio.sleep(seconds)  # longer than a lease: the holder renews it meanwhile
            inside[0] -= 1

    async def main():
        await asyncio.gather(handle(one, "a", 2.5 * LEASE), handle(two, "b", 0.1), handle(one, "c", 0.1))

    asyncio.run(main())
    assert most[0] == 1 and sorted(order) == ["a", "b", "c"] and order[0] == "a"
    assert one.get_lock("c-serial") is None  # nothing left behind


def test_ticket_of_a_dead_replica_blocks_one_lease_at_most(redis_server):
    dead, alive = store(redis_server), store(redis_server)
    dead.issue_ticket("c-dead")  # killed right after: never served, never renewed, never given back

    async def main():
        started = time.monotonic()
        async with alive.lock("c-dead"):
            return time.monotonic() - started

    waited = asyncio.run(main())
    assert 0.5 * LEASE < waited < 2 * LEASE


def test_waiter_whose_ticket_vanished_queues_again(redis_server):
    """Rasa's RedisLockStore waits for ever here (its own ticket expired with the dead one's)."""
    alive = store(redis_server)
    blocker = store(redis_server)
    blocker.issue_ticket("c-gone")

    async def main():
        async def vanish():  # the waiter's ticket disappears while it waits
            await asyncio.sleep(0.2)
            lock = alive.get_lock("c-gone")
            lock.tickets.pop()
            alive.save_lock(lock)

        remover = asyncio.create_task(vanish())
        async with alive.lock("c-gone"):
            await remover
            return True

    assert asyncio.run(asyncio.wait_for(main(), 5 * LEASE))


def test_redis_down_is_a_lock_error():
    from rasa.core.lock_store import LockError

    down = LeasedRedisLockStore(EndpointConfig(url="127.0.0.1", port=1, socket_timeout=1), lease=LEASE)
    with pytest.raises(LockError):
        down.issue_ticket("c")
