"""Rasa's Redis ticket lock with leases: a dead replica blocks a conversation seconds, not forever.

Two replicas share one lock per conversation (``endpoints.yml``: ``lock_store: type:
bot.lock_store.LeasedRedisLockStore``), so two messages of one conversation are never handled at
once.  Rasa's own ``RedisLockStore`` gives each message a ticket that lives a fixed
``TICKET_LOCK_LIFETIME``; measured under ``kill -9`` of a replica (bench/prod.py) it fails twice:

* the ticket of a message the dead replica was handling blocks that conversation for the whole
  lifetime, which must exceed the slowest turn under load (20 s here, 60 s by default);
* a waiting message's *own* ticket also expires; when both expire between two of its polls (the
  message nginx passes on to the other replica is queued a few ms after the dead one), the lock is
  left with no ticket, ``TicketLock.is_locked`` stays true for ever and the message hangs until
  the client gives up (observed: 180 s, nginx's ``proxy_read_timeout``).

Here a ticket is a lease of ``TICKET_LOCK_LIFETIME`` seconds (default 6) that its live holder
renews every third of it, while waiting and while being served; a dead replica's tickets run out
within one lease.  A waiter whose ticket is gone anyway (expired, or removed) takes a new one at
the end of the queue instead of waiting for nothing.  Every change of a lock is a Redis
``WATCH``/``MULTI`` transaction, so replicas issuing, renewing and returning tickets of one
conversation at the same moment never overwrite one another's; the key expires on its own when
nobody renews it.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from contextlib import asynccontextmanager, suppress
from typing import AsyncGenerator, Callable, Optional, TypeVar

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

LEASE_SECONDS = float(os.environ.get("TICKET_LOCK_LIFETIME", "6"))
POLL_SECONDS = 0.05  # a waiter looks again this often (Rasa's: 1 s)
T = TypeVar("T")


class LeasedRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose tickets are renewed by the process holding them."""

    def __init__(self, endpoint_config: EndpointConfig, lease: float = LEASE_SECONDS,
                 poll: float = POLL_SECONDS) -> None:
        settings = dict(endpoint_config.kwargs)
        settings.pop("type", None)
        super().__init__(host=endpoint_config.url or "localhost", **settings)
        self.lease, self.poll = lease, poll

    # ------------------------------------------------------------------ one atomic change of a lock
    def _change(self, conversation_id: str, change: Callable[[TicketLock], T]) -> T:
        """Read the lock, ``change`` it, write it back, as one transaction (retried when another
        process changed the lock in between); the key lives a few leases unless renewed."""
        from redis.exceptions import WatchError

        key = self.key_prefix + conversation_id
        while True:
            with self.red.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else TicketLock(conversation_id)
                    lock.conversation_id = conversation_id
                    result = change(lock)
                    pipe.multi()
                    if lock.tickets:
                        pipe.set(key, lock.dumps(), ex=max(1, int(self.lease * 4)))
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except WatchError:
                    continue

    def _take_ticket(self, conversation_id: str) -> int:
        return self._change(conversation_id, lambda lock: lock.issue_ticket(self.lease))

    def _renew(self, conversation_id: str, number: int) -> bool:
        """Extend ticket ``number`` by one lease; False when it is gone."""

        def renew(lock: TicketLock) -> bool:
            lock.remove_expired_tickets()
            for i, ticket in enumerate(lock.tickets):
                if ticket.number == number:
                    lock.tickets[i] = Ticket(number, time.time() + self.lease)
                    return True
            return False

        return self._change(conversation_id, renew)

    def _serving(self, conversation_id: str, number: int) -> Optional[bool]:
        """True: ``number`` is first in line; False: others first; None: the ticket is gone."""

        lock = self.get_lock(conversation_id)  # a read: nothing to write back
        if lock is None:
            return None
        lock.remove_expired_tickets()
        numbers = [t.number for t in lock.tickets]
        if number not in numbers:
            return None
        return numbers[0] == number

    def _give_back(self, conversation_id: str, number: int) -> None:
        def remove(lock: TicketLock) -> None:
            lock.remove_expired_tickets()
            lock.tickets = type(lock.tickets)(t for t in lock.tickets if t.number != number)

        self._change(conversation_id, remove)

    # ------------------------------------------------------------------ Rasa's interface
    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LEASE_SECONDS) -> int:
        try:
            return self._take_ticket(conversation_id)
        except Exception as exc:  # noqa: BLE001 - as Rasa's: Redis down is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LEASE_SECONDS,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncGenerator[TicketLock, None]:
        """Wait for this message's turn in the conversation (renewing the ticket meanwhile),
        hold it while the message is handled (renewed in the background), give it back."""
        number = self.issue_ticket(conversation_id)
        renewed = time.monotonic()
        keeper: Optional[asyncio.Task] = None
        try:
            while True:
                serving = self._serving(conversation_id, number)
                if serving:
                    break
                if serving is None:  # our ticket ran out (the loop was stalled): queue again
                    number = self.issue_ticket(conversation_id)
                    renewed = time.monotonic()
                    continue
                await asyncio.sleep(self.poll)
                if time.monotonic() - renewed > self.lease / 3:
                    self._renew(conversation_id, number)
                    renewed = time.monotonic()
            keeper = asyncio.create_task(self._keep(conversation_id, number))
            yield self.get_lock(conversation_id) or TicketLock(conversation_id)
        finally:
            if keeper is not None:
                keeper.cancel()
                with suppress(asyncio.CancelledError):
                    await keeper
            try:
                self._give_back(conversation_id, number)
            except Exception:  # noqa: BLE001 - the lease runs out on its own
                logger.exception("Không trả được vé khóa hội thoại %s", conversation_id)

    async def _keep(self, conversation_id: str, number: int) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                if not self._renew(conversation_id, number):
                    logger.warning("Vé khóa hội thoại %s đã hết hạn khi đang xử lý", conversation_id)
                    return
            except Exception:  # noqa: BLE001 - Redis unreachable a moment: try again next time
                logger.exception("Không gia hạn được vé khóa hội thoại %s", conversation_id)
