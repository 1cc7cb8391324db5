"""Wake-ups for SubscribeToShard: a subscription waiting for records sleeps on its shard's future.

A put on this node wakes the shard's waiters once its transaction committed; a put on another node
(PostgreSQL) wakes them through ``LISTEN/NOTIFY`` (the put's transaction notifies, the service
listens: see ``service.py``). A waiter is armed before the read that found nothing, so a put that
commits in between still wakes it. Nothing polls.
"""

from __future__ import annotations

from eventyard.wakeups import Wakeups, wait_or_timeout

#: Futures per shard row, woken by ``notify`` (see :mod:`eventyard.wakeups`).
ShardWaiters = Wakeups[int]

__all__ = ["ShardWaiters", "wait_or_timeout"]
