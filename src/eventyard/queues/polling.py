"""Long polling: a ReceiveMessage that found nothing sleeps until a message may be there.

Each node keeps one set of waiters per queue. A waiter is armed *before* the receive that found
nothing, so a send committing in between still wakes it. It wakes on a send to its queue on this
node, at the moment the earliest delayed or in-flight message becomes visible, at its deadline
(all on the yard's clock), and, on PostgreSQL, when another node's send arrives through
``LISTEN/NOTIFY`` (``Database.listen``). Nothing polls in a loop.
"""

from __future__ import annotations

from eventyard.wakeups import Wakeups, wait_or_timeout

#: Futures of long polls per queue id, woken by ``notify`` (see :mod:`eventyard.wakeups`).
Waiters = Wakeups[int]

__all__ = ["Waiters", "wait_or_timeout"]
