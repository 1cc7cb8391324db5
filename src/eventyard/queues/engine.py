"""The queue service's background work: the retention sweep (a kernel job) and cross-node wake-ups.

Retention is enforced twice: a receive never leases an expired message (it deletes them first),
and :class:`RetentionSweep` deletes expired messages, deduplication ids and receive attempts of
idle queues, so storage does not grow with what nobody receives: a minute of clock time after a
sweep that found something, ten minutes after one that found nothing. Its one timer is fired by one
node at a time, whichever claims it.

Where other nodes share the database, a send on one node wakes the long polls waiting on the
others: the send's transaction notifies (``message_store``) and :class:`QueueEngine` listens.
"""

from __future__ import annotations

import asyncio
import logging

from eventyard.kernel import Firing, Job, Kernel
from eventyard.queues.message_store import CHANNEL
from eventyard.queues.polling import Waiters
from eventyard.queues.store import QueueCatalogue
from eventyard.storage.base import Database, Listener

SWEEP_SECONDS = 60.0
IDLE_SWEEP_SECONDS = 600.0
log = logging.getLogger(__name__)


class RetentionSweep(Job):
    owner = "sqs.retention"
    concurrency = 1

    def __init__(self, catalogue: QueueCatalogue, kernel: Kernel) -> None:
        self.catalogue = catalogue
        self.kernel = kernel

    async def arm(self) -> None:
        due = self.kernel.clock.now() + SWEEP_SECONDS
        await self.kernel.db.write(lambda c: self.kernel.ensure(c, self.owner, "sweep", due))

    async def fire(self, firing: Firing) -> None:
        deleted = await self.catalogue.sweep(firing.now)
        firing.rearm(firing.timer, firing.now + (SWEEP_SECONDS if deleted else IDLE_SWEEP_SECONDS))


class QueueEngine:
    """Long polls woken by other nodes' sends (nothing to do where no other node can send)."""

    def __init__(self, db: Database, waiters: Waiters) -> None:
        self.db = db
        self.waiters = waiters
        self.listener: Listener | None = None

    async def start(self) -> None:
        try:
            self.listener = await self.db.listen(CHANNEL, self._woken)
        except Exception:  # long polls still work on this node; other nodes' sends wait for deadlines
            log.warning("queues: LISTEN failed; cross-node long-poll wake-ups are off", exc_info=True)

    def _woken(self, payload: str) -> None:
        if payload.isdigit():
            self.waiters.notify(int(payload))

    async def stop(self) -> None:
        if self.listener is not None:
            await asyncio.to_thread(self.listener.stop)
            self.listener = None
