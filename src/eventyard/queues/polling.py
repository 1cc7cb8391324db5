"""Long polling: a ReceiveMessage that found nothing sleeps until a message may be there.

Each node keeps one set of waiters per queue. A waiter is armed *before* the receive that found
nothing, so a send committing in between still wakes it. It wakes on a send to its queue on this
node, at the moment the earliest delayed or in-flight message becomes visible, at its deadline
(all on the yard's clock), and, on PostgreSQL, when another node's send arrives through
``LISTEN/NOTIFY`` (``Database.listen``). Nothing polls in a loop.
"""

from __future__ import annotations

import asyncio

from eventyard.clock import Clock
from eventyard.wakeups import Wakeups, wait_or_timeout


class Waiters(Wakeups[int]):
    """Futures of long polls, per queue id, woken by :meth:`notify` (see :mod:`eventyard.wakeups`)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    async def wait(self, future: asyncio.Future[None], until: float) -> None:
        """Wait until ``future`` is woken or the clock reaches ``until``, whichever comes first."""
        await wait_or_timeout(self.clock, future, until)
