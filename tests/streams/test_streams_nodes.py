"""Two yards on one PostgreSQL database: sequence numbers stay unique and increasing across nodes,
a reshard on one node reroutes the other's puts, and a put on one node wakes a subscription on the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock
from eventyard.yard import SERVICES
from tests.streams.conftest import make_stream, read_all

pytestmark = pytest.mark.parametrize("store", ["postgres"], indirect=True)


@pytest.fixture
async def second_node(
    store: str, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[eventyard.Yard]:
    monkeypatch.setattr("eventyard.yard.SERVICES", {"kinesis": SERVICES["kinesis"]})
    async with eventyard.open(store, clock=clock) as other:
        yield other


async def test_two_nodes_writing_one_shard_never_mint_the_same_or_a_lower_number(
    kinesis: Any, second_node: eventyard.Yard
) -> None:
    await make_stream(kinesis, "clicks")
    nodes = [kinesis, second_node.client("kinesis")]
    acknowledged: dict[str, bytes] = {}
    high_water = [0]  # the highest sequence number acknowledged so far, on either node
    violations: list[str] = []

    async def lane(node: Any, lane_id: int) -> None:
        for call in range(15):
            floor = high_water[0]  # everything acknowledged before this call started
            records = [{"PartitionKey": "one-key", "Data": f"{lane_id}-{call}-{i}".encode()} for i in range(5)]
            answer = await node.put_records(StreamName="clicks", Records=records)
            numbers = [int(r["SequenceNumber"]) for r in answer["Records"]]
            if numbers != sorted(numbers) or numbers[0] <= floor:
                violations.append(f"lane {lane_id} call {call}: {numbers[0]} after {floor}")
            for record, number in zip(records, numbers, strict=True):
                acknowledged[str(number)] = record["Data"]
            high_water[0] = max(high_water[0], numbers[-1])

    await asyncio.gather(*(lane(nodes[i % 2], i) for i in range(8)))
    assert not violations, violations[:3]
    assert len(acknowledged) == 8 * 15 * 5
    stored = await read_all(kinesis, "clicks")
    assert [r["SequenceNumber"] for r in stored] == sorted(acknowledged, key=int)
    assert all(acknowledged[r["SequenceNumber"]] == r["Data"] for r in stored)


async def test_a_split_on_one_node_reroutes_the_other_nodes_puts(kinesis: Any, second_node: eventyard.Yard) -> None:
    await make_stream(kinesis, "clicks")
    other = second_node.client("kinesis")
    await other.put_record(StreamName="clicks", PartitionKey="k", Data=b"cached")  # the other node caches the shard
    await kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    landed = await other.put_record(StreamName="clicks", PartitionKey="alpha", Data=b"after the split")
    assert landed["ShardId"] == "shardId-000000000001"
    parent = (await kinesis.list_shards(StreamName="clicks"))["Shards"][0]
    assert len(await read_all(kinesis, "clicks")) == 1  # nothing landed in the closed parent after it closed
    assert int(parent["SequenceNumberRange"]["EndingSequenceNumber"]) < int(landed["SequenceNumber"])


async def test_a_put_on_one_node_wakes_a_subscription_on_the_other(
    kinesis: Any, service: Any, second_node: eventyard.Yard
) -> None:
    stream = await make_stream(kinesis, "clicks")
    consumer = (await kinesis.register_stream_consumer(StreamARN=stream, ConsumerName="reader"))["Consumer"]
    answer = await kinesis.subscribe_to_shard(
        ConsumerARN=consumer["ConsumerARN"], ShardId="shardId-000000000000", StartingPosition={"Type": "LATEST"}
    )
    events = answer["EventStream"]
    await asyncio.wait_for(events.__anext__(), timeout=10)
    waiting = asyncio.ensure_future(events.__anext__())
    shard_row = (await service.find("000000000000", "us-east-1", "clicks")).shards[0].row_id
    for _ in range(500):
        if service.waiters.waiting_on(shard_row):
            break
        await asyncio.sleep(0.01)
    await second_node.client("kinesis").put_record(StreamName="clicks", PartitionKey="k", Data=b"from afar")
    event = (await asyncio.wait_for(waiting, timeout=10))["SubscribeToShardEvent"]
    assert [r["Data"] for r in event["Records"]] == [b"from afar"]
    await events.aclose()
