"""What a user writes and what it is handed: the record processor, its records, its checkpointer.

A record processor handles one shard at a time, as the KCL's ``ShardRecordProcessor`` does. The
worker creates one per shard lease it takes (from the user's factory) and calls, in order:

- ``initialize(shard_id, starting_sequence)``: where reading starts, the shard's checkpoint
  (a sequence number, ``TRIM_HORIZON`` or ``LATEST``);
- ``process_records(records, checkpointer)`` for each batch read;
- then one of ``shard_ended(checkpointer)`` (the shard was closed by a reshard and read to its end:
  checkpoint now, which records ``SHARD_END`` and lets its children start), ``shutdown_requested
  (checkpointer)`` (the worker is shutting down: a last chance to checkpoint) or ``lease_lost()``
  (another worker took the shard: checkpointing is no longer possible).

Each method may be ``async`` or plain; :class:`RecordProcessor` gives the defaults.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventyard.kcl.shard_consumer import ShardConsumer

#: Checkpoint values that are not sequence numbers, as the KCL names them.
TRIM_HORIZON = "TRIM_HORIZON"
LATEST = "LATEST"
SHARD_END = "SHARD_END"


class LeaseLost(Exception):
    """The worker does not hold the shard's lease any more: the checkpoint was not recorded."""


@dataclass(frozen=True, slots=True)
class Record:
    """One Kinesis record as GetRecords returned it."""

    sequence_number: str
    partition_key: str
    data: bytes
    approximate_arrival_timestamp: float

    @classmethod
    def from_api(cls, record: dict[str, Any]) -> Record:
        return cls(
            sequence_number=record["SequenceNumber"],
            partition_key=record.get("PartitionKey", ""),
            data=record["Data"],
            approximate_arrival_timestamp=float(record["ApproximateArrivalTimestamp"]),
        )


class Checkpointer:
    """Records how far a shard's processing got, durably, while the worker still holds its lease."""

    def __init__(self, shard: ShardConsumer, *, at_shard_end: bool = False) -> None:
        self._shard = shard
        self._at_shard_end = at_shard_end

    async def checkpoint(self, sequence_number: str | None = None) -> None:
        """Checkpoint at ``sequence_number``, or when None at the last record delivered (at the end
        of a shard: ``SHARD_END``). A restart resumes after the checkpoint: records after it are
        delivered again. Raises :class:`LeaseLost` when the lease was taken meanwhile, ValueError
        for a sequence number that is behind the checkpoint or beyond what was delivered."""
        if sequence_number is None and self._at_shard_end:
            await self._shard.record_checkpoint(SHARD_END)
            return
        await self._shard.checkpoint_at(sequence_number)


class RecordProcessor:
    """The base of a user's processor: override ``process_records``; the rest has defaults.

    The defaults of ``shard_ended`` and ``shutdown_requested`` checkpoint (at ``SHARD_END``, at the
    last record delivered), so a processor that overrides neither loses no progress at a clean
    shutdown and never holds a reshard's children back.
    """

    async def initialize(self, shard_id: str, starting_sequence: str) -> None:
        """The processor now owns ``shard_id``; reading starts after ``starting_sequence``."""

    async def process_records(self, records: list[Record], checkpointer: Checkpointer) -> None:
        raise NotImplementedError

    async def lease_lost(self) -> None:
        """Another worker took the shard (or the lease expired): stop; nothing can be checkpointed."""

    async def shard_ended(self, checkpointer: Checkpointer) -> None:
        await checkpointer.checkpoint()

    async def shutdown_requested(self, checkpointer: Checkpointer) -> None:
        await checkpointer.checkpoint()


async def call(method: Any, *args: Any) -> None:
    """Call a processor's method, awaiting it when it is a coroutine function."""
    result = method(*args)
    if inspect.isawaitable(result):
        await result
