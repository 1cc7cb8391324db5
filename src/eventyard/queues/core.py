"""What every part of the queue service shares: the stores, the clock, and finding queues.

The operations are split by concept (sending, receiving, settling, move tasks, the catalogue);
each is a mixin over this core, and :class:`~eventyard.queues.service.QueueService` joins them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from eventyard.arn import parse_as
from eventyard.queues.errors import QueueDoesNotExist
from eventyard.queues.message_store import MessageStore
from eventyard.queues.polling import Waiters
from eventyard.queues.store import Queue, QueueCatalogue
from eventyard.service import RequestContext, Service

if TYPE_CHECKING:
    from eventyard.yard import Yard

#: How long a node trusts its cached copy of a queue on PostgreSQL, where other nodes may change it.
#: AWS itself documents up to 60 s for attribute changes to propagate.
SHARED_CACHE_SECONDS = 1.0


class QueueCore(Service):
    def __init__(self, yard: Yard) -> None:
        super().__init__(yard)
        self.catalogue = QueueCatalogue(yard.db)
        self.messages = MessageStore(yard.db)
        self.waiters = Waiters()
        self._cache: dict[tuple[str, str, str], tuple[Queue, float]] = {}
        self._shared = yard.db.shared_by_nodes

    def now(self) -> float:
        return self.yard.clock.now()

    # --- finding queues --------------------------------------------------------------------------

    async def find(self, account: str, region: str, name: str) -> Queue | None:
        key = (account, region, name)
        cached = self._cache.get(key)
        if cached is not None and (not self._shared or self.now() - cached[1] < SHARED_CACHE_SECONDS):
            return cached[0]
        queue = await self.catalogue.find(account, region, name)
        if queue is None:
            self._cache.pop(key, None)
        else:
            self._cache[key] = (queue, self.now())
        return queue

    def forget(self, queue: Queue) -> None:
        """Drop a queue from the cache after this node changed or deleted it."""
        self._cache.pop((queue.account, queue.region, queue.name), None)

    def remember(self, queue: Queue) -> None:
        self._cache[(queue.account, queue.region, queue.name)] = (queue, self.now())

    async def queue_at(self, context: RequestContext, url: Any) -> Queue:
        """The queue a QueueUrl names. Any host is accepted: the path's ``/{account}/{name}`` decides."""
        account, name = parse_queue_url(str(url or ""), context.account)
        queue = await self.find(account, context.region, name)
        if queue is None:
            raise QueueDoesNotExist()
        return queue

    async def queue_by_arn(self, arn: str) -> Queue | None:
        parts = parse_as(arn, "sqs")
        if parts is None:
            return None
        return await self.find(parts.account, parts.region, parts.resource)

    def wake(self, queue_id: int) -> None:
        self.waiters.notify(queue_id)


def parse_queue_url(url: str, default_account: str) -> tuple[str, str]:
    """``http://host:4566/000000000000/orders`` -> (account, name); a bare name means the caller's account."""
    path = urlsplit(url).path if "://" in url else url
    parts = [part for part in path.split("/") if part]
    if not parts:
        raise QueueDoesNotExist()
    if len(parts) == 1:
        return default_account, parts[0]
    return parts[-2], parts[-1]
