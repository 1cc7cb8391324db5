"""One shard as one worker processes it: its processor, its place in the shard, its checkpoint.

The consumer reads a batch with GetRecords and hands it to the processor. A batch whose
``process_records`` raised is read and delivered again (the iterator does not move past it);
one that returned is done, and the next read starts after it. A shard closed by a reshard and
read to its end (no NextShardIterator) goes to ``shard_ended``, again on every poll until the
processor has checkpointed ``SHARD_END``; then the consumer is finished and the worker lets its
lease go.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from eventyard.errors import EventyardError
from eventyard.kcl.processor import LATEST, SHARD_END, TRIM_HORIZON, Checkpointer, LeaseLost, Record, call

if TYPE_CHECKING:
    from eventyard.kcl.worker import Worker

log = logging.getLogger("eventyard.kcl")
_RETRY_LATER = frozenset({"ProvisionedThroughputExceededException", "KMSThrottlingException", "LimitExceededException"})


class ShardConsumer:
    def __init__(self, worker: Worker, shard_id: str, processor: Any, checkpoint: str) -> None:
        self.worker = worker
        self.shard_id = shard_id
        self.processor = processor
        self.checkpoint = checkpoint  # as recorded: a sequence number, TRIM_HORIZON, LATEST or SHARD_END
        self.last_delivered: str | None = None  # the last record of the batch processed (or in process)
        self.iterator: str | None = None
        self.ended = False  # read to the end of a closed shard
        self.finished = False  # ... and checkpointed at SHARD_END

    async def start(self) -> None:
        await call(self.processor.initialize, self.shard_id, self.checkpoint)
        self.iterator = await self._iterator_after(None)

    async def _iterator_after(self, sequence: str | None) -> str | None:
        request: dict[str, Any] = {"StreamName": self.worker.stream_name, "ShardId": self.shard_id}
        start = sequence or self.checkpoint
        if start in (TRIM_HORIZON, LATEST):
            request["ShardIteratorType"] = start
        elif start == SHARD_END:
            return None
        else:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=start)
        answer = await self.worker.kinesis.get_shard_iterator(**request)
        iterator: str = answer["ShardIterator"]
        return iterator

    async def poll(self) -> int:
        """Read one batch and process it; returns how many records were delivered."""
        if self.finished:
            return 0
        if self.ended:
            await self._end()
            return 0
        if self.iterator is None:
            self.iterator = await self._iterator_after(self.last_delivered)
            if self.iterator is None:
                return 0
        try:
            answer = await self.worker.kinesis.get_records(ShardIterator=self.iterator, Limit=self.worker.max_records)
        except EventyardError as error:
            if error.code == "ExpiredIteratorException":
                self.iterator = None  # the next poll starts again after what was delivered
                return 0
            if error.code in _RETRY_LATER:
                return 0
            raise
        records = [Record.from_api(r) for r in answer["Records"]]
        if records:
            previous, self.last_delivered = self.last_delivered, records[-1].sequence_number
            try:
                await call(self.processor.process_records, records, Checkpointer(self))
            except LeaseLost:
                raise
            except Exception:
                self.last_delivered = previous  # delivered again: the iterator stays where it was
                raise
        following = answer.get("NextShardIterator")
        if following is None:
            self.ended = True
            await self._end()
        else:
            self.iterator = following
        return len(records)

    async def _end(self) -> None:
        await call(self.processor.shard_ended, Checkpointer(self, at_shard_end=True))
        if self.checkpoint == SHARD_END:
            self.finished = True
        else:
            log.warning("kcl: %s: shard_ended returned without checkpointing SHARD_END; asking again", self.shard_id)

    async def shutdown_requested(self) -> None:
        await call(self.processor.shutdown_requested, Checkpointer(self, at_shard_end=self.ended))

    async def checkpoint_at(self, sequence: str | None) -> None:
        if sequence is None:
            if self.last_delivered is None:
                return  # nothing delivered yet: the checkpoint stands
            sequence = self.last_delivered
        if not sequence.isdigit():
            raise ValueError(f"{sequence!r} is not a sequence number")
        if self.last_delivered is None or int(sequence) > int(self.last_delivered):
            raise ValueError(f"cannot checkpoint at {sequence}: it is beyond the last record delivered")
        if self.checkpoint.isdigit() and int(sequence) < int(self.checkpoint):
            raise ValueError(f"cannot checkpoint at {sequence}: it is behind the checkpoint {self.checkpoint}")
        await self.record_checkpoint(sequence)

    async def record_checkpoint(self, position: str) -> None:
        worker = self.worker
        leases = worker.yard.kernel.leases
        if not await leases.checkpoint(worker.lease_owner, self.shard_id, position, worker.lease_seconds, worker.id):
            raise LeaseLost(f"{worker.id} no longer holds the lease of {self.shard_id}")
        self.checkpoint = position
