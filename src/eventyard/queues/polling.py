"""Long polling: a ReceiveMessage that found nothing sleeps until a message may be there.

Each node keeps one set of waiters per queue. A waiter is armed *before* the receive that found
nothing, so a send committing in between still wakes it. It wakes on a send to its queue on this
node, at the moment the earliest delayed or in-flight message becomes visible, at its deadline
(all on the yard's clock), and, on PostgreSQL, when another node's send arrives through
``LISTEN/NOTIFY`` (``Database.listen``). Nothing polls in a loop.
"""

from __future__ import annotations

import asyncio
import contextlib

from eventyard.clock import Clock


class Waiters:
    """Futures of long polls, per queue id, woken by :meth:`notify`."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._waiting: dict[int, set[asyncio.Future[None]]] = {}

    def arm(self, queue_id: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(queue_id, set()).add(future)
        return future

    def disarm(self, queue_id: int, future: asyncio.Future[None]) -> None:
        waiting = self._waiting.get(queue_id)
        if waiting is not None:
            waiting.discard(future)
            if not waiting:
                del self._waiting[queue_id]
        if not future.done():
            future.cancel()

    def notify(self, queue_id: int) -> None:
        """Something may be receivable on ``queue_id``: wake every long poll waiting on it."""
        waiting = self._waiting.pop(queue_id, None)
        if waiting:
            for future in waiting:
                if not future.done():
                    future.set_result(None)

    async def wait(self, future: asyncio.Future[None], until: float) -> None:
        """Wait until ``future`` is woken or the clock reaches ``until``, whichever comes first."""
        if future.done():
            return
        sleeper = asyncio.ensure_future(self.clock.sleep_until(until))
        try:
            await asyncio.wait((future, sleeper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not sleeper.done():
                sleeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sleeper
