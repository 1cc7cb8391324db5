"""Amazon Kinesis Data Streams: :class:`StreamService` joins the operation groups.

Every method takes the request as botocore's model names it (already checked against the model
by the gateway or the in-process client) and returns the response as boto3 shows it: blobs as
bytes, timestamps as epoch seconds. Stream ARNs are ``arn:aws:kinesis:{region}:{account}:stream/{name}``.

Background work this service needs is done lazily by the calls themselves (a stream reads as
ACTIVE once its transition time has passed, reads skip records past retention, puts trim them);
:meth:`StreamService.trim_expired` runs every few minutes as a kernel job (``retention.py``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from eventyard.storage.base import Listener
from eventyard.streams import as_target
from eventyard.streams.consumers import Consumers
from eventyard.streams.errors import InvalidArgumentException
from eventyard.streams.lifecycle import Lifecycle
from eventyard.streams.queue_store import MIGRATIONS as QUEUE_MIGRATIONS
from eventyard.streams.reading import Reading
from eventyard.streams.record_store import CHANNEL
from eventyard.streams.resharding import Resharding
from eventyard.streams.retention import RetentionSweep
from eventyard.streams.settings import Settings
from eventyard.streams.shards import Shards
from eventyard.streams.staged_puts import StagedPuts
from eventyard.streams.store import MIGRATIONS
from eventyard.streams.stream_queues import StreamQueues
from eventyard.streams.subscriptions import Subscriptions
from eventyard.streams.tagging import Tagging

log = logging.getLogger(__name__)
#: Members whose text may hold anything: partition keys are stored as bytes, Data is bytes already,
#: and PutRecords' Records hold only those and ExplicitHashKey (digits, by the model's pattern).
_FREE_TEXT = frozenset({"PartitionKey", "Data", "Records"})


def _refuse_nul(value: Any, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidArgumentException(f"{where or 'A member'} must not contain the NUL character.")
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _FREE_TEXT:
                _refuse_nul(item, key)
    elif isinstance(value, list):
        for item in value:
            _refuse_nul(item, where)


class StreamService(
    Lifecycle, Settings, Tagging, Shards, Resharding, StagedPuts, Subscriptions, Reading, Consumers, StreamQueues
):
    """Kinesis Data Streams in-process: the stream, record, consumer and queue operations of botocore's model."""

    name = "kinesis"
    migrations = (*MIGRATIONS, *QUEUE_MIGRATIONS)

    def __init__(self, yard: Any) -> None:
        super().__init__(yard)
        self._listener: Listener | None = None
        self.retention = RetentionSweep(self)
        yard.kernel.register(self.retention)
        as_target.register(self)

    async def start(self) -> None:
        await self.retention.arm()
        try:
            self._listener = await self.yard.db.listen(CHANNEL, self._woken)
        except Exception:  # subscriptions still wake for this node's puts, and every second anyway
            log.warning("kinesis: LISTEN failed; cross-node subscription wake-ups are off", exc_info=True)

    async def stop(self) -> None:
        if self._listener is not None:
            await asyncio.to_thread(self._listener.stop)
            self._listener = None

    def operation(self, operation: str) -> Any:
        """The operation, behind a check that no text of the request holds a NUL character: names,
        ARNs, tags and policies are kept as database text, which PostgreSQL refuses NUL in (partition
        keys, which AWS lets hold any Unicode, are stored as bytes and exempt)."""
        method = super().operation(operation)
        if method is None:
            return None

        async def checked(context: Any, request: dict[str, Any]) -> Any:
            _refuse_nul(request, "")
            return await method(context, request)

        checked.__name__ = getattr(method, "__name__", operation)
        return checked

    def _woken(self, payload: str) -> None:
        if payload.isdigit():
            self.waiters.notify(int(payload))

    async def trim_expired(self, now: float) -> int:
        """Delete every record past its stream's retention at ``now``; returns how many went.

        Reads never return such records anyway and puts trim the shards they write to; this sweep
        is for shards nobody writes to any more. The kernel should call it every few minutes.
        """
        return await self.records.trim(int(now * 1000))
