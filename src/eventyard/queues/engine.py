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
from eventyard.queues.message_store import CHANNEL
from eventyard.queues.polling import Waiters
from eventyard.queues.store import QueueCatalogue
from eventyard.storage.base import Database, Listener

SWEEP_SECONDS = 60.0
log = logging.getLogger(__name__)


class QueueEngine:
    def __init__(self, db: Database, clock: Clock, catalogue: QueueCatalogue, waiters: Waiters) -> None:
        self.db = db
        self.clock = clock
        self.catalogue = catalogue
        self.waiters = waiters
        self.tasks: set[asyncio.Task[None]] = set()
        self.listener: Listener | None = None

    async def start(self) -> None:
        self.spawn(self._sweep_forever)
        try:
            self.listener = await self.db.listen(CHANNEL, self._woken)
        except Exception:  # long polls still work on this node; other nodes' sends wait for deadlines
            log.warning("queues: LISTEN failed; cross-node long-poll wake-ups are off", exc_info=True)

    def _woken(self, payload: str) -> None:
        if payload.isdigit():
            self.waiters.notify(int(payload))

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
