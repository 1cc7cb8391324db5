"""Wake-ups: callers waiting for something to arrive under a key sleep on futures, woken by a notify.

Long polls of a queue, SubscribeToShard on a shard and GetActivityTask on an activity all wait the
same way: a waiter is armed *before* the read that found nothing (so what commits in between still
wakes it), then sleeps until :meth:`Wakeups.notify` (a commit on this node, or ``LISTEN/NOTIFY``
from another) or a deadline on the yard's clock. Nothing polls.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Hashable
from typing import Generic, TypeVar

from eventyard.clock import Clock

K = TypeVar("K", bound=Hashable)


class Wakeups(Generic[K]):
    """Futures per key, woken by :meth:`notify`."""

    def __init__(self) -> None:
        self._waiting: dict[K, set[asyncio.Future[None]]] = {}

    def arm(self, key: K) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, set()).add(future)
        return future

    def disarm(self, key: K, future: asyncio.Future[None]) -> None:
        waiting = self._waiting.get(key)
        if waiting is not None:
            waiting.discard(future)
            if not waiting:
                del self._waiting[key]
        if not future.done():
            future.cancel()

    def notify(self, key: K) -> None:
        """Something may have arrived under ``key``: wake everyone waiting on it."""
        waiting = self._waiting.pop(key, None)
        if waiting:
            for future in waiting:
                if not future.done():
                    future.set_result(None)

    def waiting_on(self, key: K) -> int:
        return len(self._waiting.get(key, ()))


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
