"""Long polling: a ReceiveMessage that found nothing sleeps until a message may be there.

Each node keeps one set of waiters per queue. A waiter is armed *before* the receive that found
nothing, so a send committing in between still wakes it. It wakes on a send to its queue on this
node, at the moment the earliest delayed or in-flight message becomes visible, at its deadline
(all on the yard's clock), and, on PostgreSQL, when another node's send arrives through
``LISTEN/NOTIFY`` (:class:`NotificationListener`). Nothing polls in a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

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


class NotificationListener:
    """PostgreSQL only: a thread LISTENing on the queue channel, forwarding other nodes' sends.

    It has its own connection (a LISTENing connection cannot run the group-commit jobs) and
    turns each notification, whose payload is a queue id, into :meth:`Waiters.notify` on the loop.
    """

    def __init__(self, url: str, channel: str, waiters: Waiters) -> None:
        self.url = url
        self.channel = channel
        self.waiters = waiters
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Connect and LISTEN (blocking: call it in a thread); notifications go to ``loop``."""
        import psycopg

        self._loop = loop
        connection = psycopg.connect(self.url, autocommit=True)
        connection.execute(f"LISTEN {self.channel}")
        self._thread = threading.Thread(
            target=self._listen, args=(connection,), name="eventyard-sqs-listen", daemon=True
        )
        self._thread.start()

    def _listen(self, connection: Any) -> None:
        try:
            while not self._stop.is_set():
                for notification in connection.notifies(timeout=0.1):
                    self._forward(notification.payload)
                    if self._stop.is_set():
                        break
        except Exception:  # the connection went away: long polls fall back to their deadlines
            pass
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def _forward(self, payload: str) -> None:
        loop = self._loop
        if loop is None or not payload.isdigit():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed under us
            loop.call_soon_threadsafe(self.waiters.notify, int(payload))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
