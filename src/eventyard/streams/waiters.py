"""Wake-ups for SubscribeToShard: a subscription waiting for records sleeps on its shard's future.

A put on this node wakes the shard's waiters once its transaction committed; a put on another node
(PostgreSQL) wakes them through ``LISTEN/NOTIFY`` (the put's transaction notifies, the service
listens: see ``service.py``). A waiter is armed before the read that found nothing, so a put that
commits in between still wakes it. Nothing polls.
"""

from __future__ import annotations

import asyncio
import contextlib

from eventyard.clock import Clock


class ShardWaiters:
    """Futures per shard row, woken by :meth:`notify`."""

    def __init__(self) -> None:
        self._waiting: dict[int, set[asyncio.Future[None]]] = {}

    def arm(self, shard_row: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(shard_row, set()).add(future)
        return future

    def disarm(self, shard_row: int, future: asyncio.Future[None]) -> None:
        waiting = self._waiting.get(shard_row)
        if waiting is not None:
            waiting.discard(future)
            if not waiting:
                del self._waiting[shard_row]
        if not future.done():
            future.cancel()

    def notify(self, shard_row: int) -> None:
        """Records may have arrived on ``shard_row``: wake everyone waiting on it."""
        waiting = self._waiting.pop(shard_row, None)
        if waiting:
            for future in waiting:
                if not future.done():
                    future.set_result(None)

    def waiting_on(self, shard_row: int) -> int:
        return len(self._waiting.get(shard_row, ()))


async def wait_or_timeout(clock: Clock, future: asyncio.Future[None], until: float) -> None:
    """Wait until ``future`` is woken or the clock reaches ``until``, whichever comes first."""
    if future.done():
        return
    sleeper = asyncio.ensure_future(clock.sleep_until(until))
    try:
        await asyncio.wait((future, sleeper), return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not sleeper.done():
            sleeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sleeper
