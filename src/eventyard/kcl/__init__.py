"""A Kinesis consumer library in the spirit of the KCL, on a yard's leases and checkpoints.

Write a record processor (see :class:`RecordProcessor`) and run workers::

    class Counter(RecordProcessor):
        async def process_records(self, records, checkpointer):
            for record in records:
                handle(record.data)
            await checkpointer.checkpoint()

    worker = Worker("billing", "clicks", Counter, yard="postgresql://...")  # or yard=an open Yard
    await worker.run()          # until ``await worker.shutdown()``

Every worker of an application shares the yard's database (one process on SQLite, any number of
processes and machines on PostgreSQL): each shard is a lease in the kernel's lease table, held by
one worker at a time, and its checkpoint is a row beside it. Records are read through the yard's
own Kinesis API (GetShardIterator, GetRecords, ListShards), not over HTTP: the leases need the
database anyway, so a worker that has it needs no endpoint.

- **Balance.** Each worker aims at an even share of the shards; one below its share takes free or
  expired leases first, and steals one lease a round from the most loaded worker when there are
  none (:mod:`.balance`). A worker that stops without shutting down keeps its leases until they
  expire (``lease_seconds``, 10 by default), then the others take them over.
- **Checkpoints** are durable, per shard per application, and written only while the lease is
  held: a checkpoint renews the lease and records the position in one transaction, so a worker
  whose lease was taken gets :class:`LeaseLost` and moves nothing.
- **Reshards.** A child shard is processed only once each parent has been checkpointed at
  ``SHARD_END`` (:mod:`.lineage`); it starts at its trim horizon.

Restart semantics: at least once. A worker that takes a shard (after a restart, a takeover or a
steal) starts after the shard's checkpoint, so every record after the last checkpoint is
delivered again, and records at or before it never are. A processor that checkpoints after each
batch sees at most one batch again per shard; one that never checkpoints sees everything again
(with ``initial_position=LATEST``, a shard never checkpointed starts at its latest record again, as
with the KCL). A batch whose ``process_records`` raised is delivered again at once. A clean
:meth:`Worker.shutdown` lets each processor checkpoint (the default ``shutdown_requested`` does, at
the last record delivered) and releases the leases, so a worker that shut down cleanly leaves
nothing to deliver twice.
"""

from eventyard.kcl.processor import (
    LATEST,
    SHARD_END,
    TRIM_HORIZON,
    Checkpointer,
    LeaseLost,
    Record,
    RecordProcessor,
)
from eventyard.kcl.worker import Worker

__all__ = [
    "LATEST",
    "SHARD_END",
    "TRIM_HORIZON",
    "Checkpointer",
    "LeaseLost",
    "Record",
    "RecordProcessor",
    "Worker",
]
