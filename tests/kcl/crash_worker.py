"""A process running one KCL worker on a database: prints each record it processed, then each checkpoint it makes.

Run by ``test_kcl_crash.py``, which SIGKILLs it mid-stream and starts others: every record must be
printed by some run (none lost), and a run that takes a shard over starts after its checkpoint.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from eventyard import yard as yards
from eventyard.kcl import Checkpointer, Record, RecordProcessor, Worker

STREAM = "clicks"
APPLICATION = "crash"


class Printing(RecordProcessor):
    def __init__(self) -> None:
        self.shard = ""

    async def initialize(self, shard_id: str, starting_sequence: str) -> None:
        self.shard = shard_id

    async def process_records(self, records: list[Record], checkpointer: Checkpointer) -> None:
        for record in records:
            sys.stdout.write(f"{self.shard} {record.sequence_number} {record.data.decode()}\n")
        sys.stdout.flush()
        await asyncio.sleep(0.02)  # slow enough to be killed between a batch and its checkpoint
        sys.stdout.write(f"{self.shard} {records[-1].sequence_number} checkpoint\n")  # before: it may be recorded
        sys.stdout.flush()
        await checkpointer.checkpoint()


async def main(url: str, worker_id: str) -> None:
    worker = Worker(
        APPLICATION,
        STREAM,
        Printing,
        yard=url,
        worker_id=worker_id,
        initial_position="TRIM_HORIZON",
        lease_seconds=2.0,
        idle_seconds=0.05,
        max_records=10,
    )
    await worker.run()


def only_streams() -> dict[str, Any]:
    return {"kinesis": yards.SERVICES["kinesis"]}


if __name__ == "__main__":
    yards.SERVICES = only_streams()
    asyncio.run(main(sys.argv[1], sys.argv[2]))
