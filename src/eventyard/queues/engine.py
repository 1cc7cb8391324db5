"""The queue service's background work: the retention sweep and, on PostgreSQL, cross-node wake-ups.

Retention is enforced twice: a receive never leases an expired message (it deletes them first),
and this sweep deletes expired messages, deduplication ids and receive attempts of idle queues
once a minute of clock time, so storage does not grow with what nobody receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from eventyard.clock import Clock
from eventyard.queues.polling import NotificationListener, Waiters
from eventyard.queues.store import QueueCatalogue
from eventyard.storage.base import Database

SWEEP_SECONDS = 60.0
log = logging.getLogger(__name__)


def channel_for(db: Database) -> str:
    """The NOTIFY channel: one per schema, so test runs (and tenants) sharing a server stay apart."""
    schema = getattr(db, "schema", None) or "public"
    return f"eventyard_sqs_{schema}".lower()


class QueueEngine:
    def __init__(self, db: Database, clock: Clock, catalogue: QueueCatalogue, waiters: Waiters) -> None:
        self.db = db
        self.clock = clock
        self.catalogue = catalogue
        self.waiters = waiters
        self.tasks: set[asyncio.Task[None]] = set()
        self.listener: NotificationListener | None = None

    async def start(self) -> None:
        self.spawn(self._sweep_forever)
        if self.db.dialect == "postgres":
            self.listener = NotificationListener(getattr(self.db, "url", ""), channel_for(self.db), self.waiters)
            try:
                await asyncio.to_thread(self.listener.start, asyncio.get_running_loop())
            except Exception:  # long polls still work on this node; other nodes' sends wait for deadlines
                log.warning("queues: LISTEN failed; cross-node long-poll wake-ups are off", exc_info=True)
                self.listener = None

    def spawn(self, work: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("queues: background task failed")

        task = asyncio.get_running_loop().create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.listener is not None:
            await asyncio.to_thread(self.listener.stop)
            self.listener = None

    async def _sweep_forever(self) -> None:
        while True:
            await self.clock.sleep(SWEEP_SECONDS)
            await self.catalogue.sweep(self.clock.now())
