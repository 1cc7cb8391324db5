"""The KCL suite: workers in-process over every store, on a virtual clock, driven round by round."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock
from eventyard.kcl import Checkpointer, Record, RecordProcessor, Worker
from eventyard.yard import SERVICES


@pytest.fixture
async def yard(store: str, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[eventyard.Yard]:
    monkeypatch.setattr("eventyard.yard.SERVICES", {"kinesis": SERVICES["kinesis"]})
    async with eventyard.open(store, clock=clock) as opened:
        yield opened


@pytest.fixture
def kinesis(yard: eventyard.Yard) -> Any:
    return yard.client("kinesis")


@dataclass
class Journal:
    """What every processor of a test saw, in order: ("init"|"records"|"end"|"shutdown"|"lost", ...)."""

    yard: eventyard.Yard
    events: list[tuple[Any, ...]] = field(default_factory=list)

    def delivered(self, shard: str | None = None) -> list[str]:
        """Data of every record delivered (of one shard), in delivery order, duplicates included."""
        return [e[3] for e in self.events if e[0] == "record" and (shard is None or e[2] == shard)]

    def processor(self, worker: str, *, checkpoint_every: int = 1) -> Any:
        """A factory of processors that record what they see and checkpoint every n-th batch."""
        journal = self

        class Recording(RecordProcessor):
            def __init__(self) -> None:
                self.shard = ""
                self.batches = 0

            async def initialize(self, shard_id: str, starting_sequence: str) -> None:
                self.shard = shard_id
                journal.events.append(("init", worker, shard_id, starting_sequence))

            async def process_records(self, records: list[Record], checkpointer: Checkpointer) -> None:
                owner = "kcl/000000000000/us-east-1/app/clicks"
                holder = await journal.yard.kernel.leases.holder(owner, self.shard)
                assert holder == worker, f"{worker} got records of {self.shard}, whose lease {holder} holds"
                for record in records:
                    journal.events.append(("record", worker, self.shard, record.data.decode(), record.sequence_number))
                self.batches += 1
                if checkpoint_every and self.batches % checkpoint_every == 0:
                    await checkpointer.checkpoint()
                    journal.events.append(("checkpoint", worker, self.shard, records[-1].sequence_number))

            async def lease_lost(self) -> None:
                journal.events.append(("lost", worker, self.shard))

            async def shard_ended(self, checkpointer: Checkpointer) -> None:
                await checkpointer.checkpoint()
                journal.events.append(("end", worker, self.shard))

            async def shutdown_requested(self, checkpointer: Checkpointer) -> None:
                await checkpointer.checkpoint()
                journal.events.append(("shutdown", worker, self.shard))

        return Recording


@pytest.fixture
def journal(yard: eventyard.Yard) -> Journal:
    return Journal(yard)


def worker(yard: eventyard.Yard, journal: Journal, name: str, **options: Any) -> Worker:
    checkpoint_every = options.pop("checkpoint_every", 1)
    options.setdefault("initial_position", "TRIM_HORIZON")
    return Worker(
        "app",
        "clicks",
        journal.processor(name, checkpoint_every=checkpoint_every),
        yard=yard,
        worker_id=name,
        **options,
    )


async def holders(yard: eventyard.Yard) -> dict[str, str]:
    """shard -> the worker holding its live lease, as the lease table says."""
    held = await yard.kernel.leases.held("kcl/000000000000/us-east-1/app/clicks")
    return {key: holder for key, holder, _ in held}


async def rounds(yard: eventyard.Yard, workers: list[Worker], count: int, seconds: float = 1.0) -> None:
    """``count`` rounds: each worker steps in turn, then the clock moves. After each step the worker
    that stepped holds exactly the leases the table gives it (so no shard has two processing holders)."""
    for _ in range(count):
        for each in workers:
            await each.step()
            table = await holders(yard)
            assert set(each.shards) == {s for s, h in table.items() if h == each.id}
        await yard.advance(seconds)


async def put(kinesis: Any, count: int, prefix: str = "r", keys: int = 16) -> list[str]:
    """``count`` records spread over partition keys; returns their data, in put order."""
    data = [f"{prefix}{i}" for i in range(count)]
    for i, item in enumerate(data):
        await kinesis.put_record(StreamName="clicks", PartitionKey=f"key-{i % keys}", Data=item.encode())
    return data
