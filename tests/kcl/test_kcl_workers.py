"""Workers of one application: balancing, takeover after expiry, checkpoints, reshards, shutdown."""

from __future__ import annotations

from collections import Counter
from typing import Any

import eventyard
from eventyard.kcl import SHARD_END, LeaseLost
from tests.kcl.conftest import Journal, holders, put, rounds, worker

OWNER = "kcl/000000000000/us-east-1/app/clicks"
HALF = 2**127


async def test_three_workers_share_four_shards_evenly(yard: eventyard.Yard, kinesis: Any, journal: Journal) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=4)
    data = await put(kinesis, 80)
    a = worker(yard, journal, "a")
    await rounds(yard, [a], 1)
    assert a.shards == [f"shardId-00000000000{i}" for i in range(4)], "a worker alone takes every shard"
    b, c = worker(yard, journal, "b"), worker(yard, journal, "c")
    await rounds(yard, [a, b, c], 4)
    assert sorted(Counter((await holders(yard)).values()).values()) == [1, 1, 2]
    assert sorted(len(w.shards) for w in (a, b, c)) == [1, 1, 2]
    assert sorted(set(a.shards) | set(b.shards) | set(c.shards)) == sorted(await holders(yard))
    await rounds(yard, [a, b, c], 3)
    assert set(journal.delivered()) == set(data), "every record was delivered"


async def test_two_workers_split_two_shards_one_each(yard: eventyard.Yard, kinesis: Any, journal: Journal) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=2)
    a, b = worker(yard, journal, "a"), worker(yard, journal, "b")
    await rounds(yard, [a, b], 3)
    assert len(a.shards) == len(b.shards) == 1
    await rounds(yard, [a, b], 5)
    assert len(a.shards) == len(b.shards) == 1, "balanced workers do not trade leases back and forth"


async def test_a_stopped_workers_leases_are_taken_over_after_expiry_from_the_checkpoint(
    yard: eventyard.Yard, kinesis: Any, journal: Journal
) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=2)
    data = await put(kinesis, 60)
    a = worker(yard, journal, "a", max_records=4, checkpoint_every=2)
    await rounds(yard, [a], 3)  # three batches a shard: the third is after the last checkpoint
    checkpoints = await yard.kernel.leases.checkpoints(OWNER)
    # a stops without shutting down; b comes up once a's leases have expired
    await yard.advance(a.lease_seconds + 1)
    assert await holders(yard) == {}
    b = worker(yard, journal, "b", max_records=4)
    await rounds(yard, [b], 1)
    assert b.shards == ["shardId-000000000000", "shardId-000000000001"]
    for shard in b.shards:
        assert ("init", "b", shard, checkpoints[shard]) in journal.events, "b starts at a's checkpoint"
    await rounds(yard, [b], 20)
    assert set(journal.delivered()) == set(data), "no record lost"
    for shard in b.shards:
        by_a = [e[3] for e in journal.events if e[0] == "record" and e[1] == "a" and e[2] == shard]
        by_b = [e[3] for e in journal.events if e[0] == "record" and e[1] == "b" and e[2] == shard]
        again = set(by_a) & set(by_b)
        assert again == set(by_a[8:]), "delivered twice: exactly a's records after its last checkpoint"


async def test_a_worker_that_stops_keeps_its_leases_until_they_expire(
    yard: eventyard.Yard, kinesis: Any, journal: Journal
) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    a, b = worker(yard, journal, "a"), worker(yard, journal, "b")
    await rounds(yard, [a], 1)
    await rounds(yard, [b], 5)  # a is silent but its lease (10 s) is live until the clock passes it
    assert b.shards == []
    await rounds(yard, [b], 6)
    assert b.shards == ["shardId-000000000000"]


async def test_a_checkpoint_after_the_lease_was_stolen_is_refused(
    yard: eventyard.Yard, kinesis: Any, journal: Journal
) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    await put(kinesis, 3)
    a = worker(yard, journal, "a", checkpoint_every=0)
    await rounds(yard, [a], 1)
    before = await yard.kernel.leases.checkpoint_of(OWNER, "shardId-000000000000")
    assert await yard.kernel.leases.steal(OWNER, "shardId-000000000000", "a", 10, holder="thief")
    consumer = a.consumers["shardId-000000000000"]
    try:
        await consumer.checkpoint_at(None)
    except LeaseLost:
        pass
    else:
        raise AssertionError("the checkpoint was recorded without the lease")
    assert await yard.kernel.leases.checkpoint_of(OWNER, "shardId-000000000000") == before
    await a.renew()
    assert a.shards == [] and ("lost", "a", "shardId-000000000000") in journal.events


async def test_children_are_processed_only_after_their_parents_reach_shard_end(
    yard: eventyard.Yard, kinesis: Any, journal: Journal
) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    before = await put(kinesis, 12, prefix="parent-")
    await kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF))
    after = await put(kinesis, 12, prefix="child-")
    a, b = worker(yard, journal, "a", max_records=5), worker(yard, journal, "b", max_records=5)
    await rounds(yard, [a, b], 2)
    assert sorted(a.shards + b.shards) == ["shardId-000000000000"], "the children wait for their parent"
    await rounds(yard, [a, b], 8)
    delivered = journal.delivered()
    assert set(delivered) == set(before) | set(after)
    last_parent = max(i for i, d in enumerate(delivered) if d.startswith("parent-"))
    first_child = min(i for i, d in enumerate(delivered) if d.startswith("child-"))
    assert last_parent < first_child
    end = journal.events.index(next(e for e in journal.events if e[0] == "end"))
    inits = [i for i, e in enumerate(journal.events) if e[0] == "init" and e[2] != "shardId-000000000000"]
    assert len(inits) >= 2 and min(inits) > end, "children start after the parent's SHARD_END checkpoint"
    firsts = {}
    for e in journal.events:
        if e[0] == "init" and e[2] != "shardId-000000000000":
            firsts.setdefault(e[2], e[3])
    assert firsts == {"shardId-000000000001": "TRIM_HORIZON", "shardId-000000000002": "TRIM_HORIZON"}
    checkpoints = await yard.kernel.leases.checkpoints(OWNER)
    assert checkpoints["shardId-000000000000"] == SHARD_END


async def test_a_merge_waits_for_both_parents(yard: eventyard.Yard, kinesis: Any, journal: Journal) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=2)
    before = await put(kinesis, 20, prefix="parent-")
    await kinesis.merge_shards(
        StreamName="clicks", ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000001"
    )
    after = await put(kinesis, 6, prefix="child-")
    a = worker(yard, journal, "a", max_records=3)
    await rounds(yard, [a], 12)
    delivered = journal.delivered()
    assert set(delivered) == set(before) | set(after)
    assert max(i for i, d in enumerate(delivered) if d.startswith("parent-")) < delivered.index("child-0")


async def test_shutdown_checkpoints_and_a_successor_sees_nothing_twice(
    yard: eventyard.Yard, kinesis: Any, journal: Journal
) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=2)
    first = await put(kinesis, 20)
    a = worker(yard, journal, "a", checkpoint_every=0)  # checkpoints only when shutting down
    await rounds(yard, [a], 2)
    await a.shutdown()
    assert sorted(e[2] for e in journal.events if e[0] == "shutdown") == [
        "shardId-000000000000",
        "shardId-000000000001",
    ]
    assert await holders(yard) == {}, "a clean shutdown releases the leases at once"
    later = await put(kinesis, 10, prefix="later-")
    b = worker(yard, journal, "b")
    await rounds(yard, [b], 2)
    assert sorted(journal.delivered()) == sorted(first + later), "nothing delivered twice"


async def test_a_failed_batch_is_delivered_again(yard: eventyard.Yard, kinesis: Any) -> None:
    from eventyard.kcl import RecordProcessor, Worker

    seen: list[str] = []

    class Flaky(RecordProcessor):
        failures = 1

        async def process_records(self, records: Any, checkpointer: Any) -> None:
            if Flaky.failures:
                Flaky.failures -= 1
                raise RuntimeError("downstream is down")
            seen.extend(r.data.decode() for r in records)
            await checkpointer.checkpoint()

    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    data = await put(kinesis, 5)
    w = Worker("app", "clicks", Flaky, yard=yard, initial_position="TRIM_HORIZON")
    await rounds(yard, [w], 3)
    assert seen == data


async def test_latest_starts_after_what_the_stream_held(yard: eventyard.Yard, kinesis: Any, journal: Journal) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    await put(kinesis, 5, prefix="old-")
    a = worker(yard, journal, "a", initial_position="LATEST")
    await rounds(yard, [a], 1)
    new = await put(kinesis, 3, prefix="new-")
    await rounds(yard, [a], 2)
    assert journal.delivered() == new


async def test_run_and_shutdown_on_the_clock(yard: eventyard.Yard, kinesis: Any, journal: Journal) -> None:
    import asyncio

    await kinesis.create_stream(StreamName="clicks", ShardCount=2)
    data = await put(kinesis, 30)
    a = worker(yard, journal, "a")
    running = asyncio.create_task(a.run())
    for _ in range(10):
        await yard.advance(1.0)
    await a.shutdown()
    await running
    assert sorted(journal.delivered()) == sorted(data)
    assert await holders(yard) == {}


async def test_a_shard_finished_by_another_worker_meanwhile_is_not_taken(
    yard: eventyard.Yard, kinesis: Any, journal: Journal
) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=1)
    leases = yard.kernel.leases
    assert await leases.claim(OWNER, "shardId-000000000000", 10, holder="other")
    assert await leases.checkpoint(OWNER, "shardId-000000000000", SHARD_END, 10, holder="other")
    assert await leases.release(OWNER, "shardId-000000000000", holder="other")
    a = worker(yard, journal, "a")
    assert not await a._take("shardId-000000000000", "TRIM_HORIZON", None)
    assert a.shards == [] and await holders(yard) == {}
    assert not [e for e in journal.events if e[0] == "init"]
