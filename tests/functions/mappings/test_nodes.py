"""Two nodes on one PostgreSQL: each poller has one owner at a time, so a shard's records reach the
function once each, in order, and never two batches of one shard at once."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock


@pytest.fixture
async def nodes(store: str, clock: VirtualClock) -> AsyncIterator[tuple[eventyard.Yard, eventyard.Yard]]:
    async with eventyard.open(store, clock=clock) as first, eventyard.open(store, clock=clock) as second:
        yield first, second


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
async def test_a_shard_is_polled_by_one_node_at_a_time(nodes: tuple[eventyard.Yard, eventyard.Yard]) -> None:
    first, second = nodes
    lock = threading.Lock()
    in_flight: dict[str, int] = {}
    overlaps: list[str] = []
    seen: dict[str, list[int]] = {}

    def handler_on(node: str) -> Any:
        def handler(event: dict, _: Any) -> None:
            shard = event["Records"][0]["eventID"].split(":")[0]
            with lock:
                in_flight[shard] = in_flight.get(shard, 0) + 1
                if in_flight[shard] > 1:
                    overlaps.append(shard)
            time.sleep(0.005)
            with lock:
                seen.setdefault(shard, []).extend(int(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"])
                in_flight[shard] -= 1

        return handler

    first.functions.register("fn", handler_on("first"))
    second.functions.register("fn", handler_on("second"))
    kinesis = first.client("kinesis")
    await kinesis.create_stream(StreamName="ks", ShardCount=2)
    await first.advance(1)
    stream = (await kinesis.describe_stream_summary(StreamName="ks"))["StreamDescriptionSummary"]["StreamARN"]
    await first.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName="fn", StartingPosition="TRIM_HORIZON", BatchSize=3
    )
    sent = 0
    for _ in range(12):
        for _ in range(5):
            await kinesis.put_record(StreamName="ks", Data=str(sent).encode(), PartitionKey=f"k{sent % 7}")
            sent += 1
        await asyncio.gather(first.advance(1), second.advance(1))
    for _ in range(5):
        await asyncio.gather(first.advance(2), second.advance(2))
    assert overlaps == []
    delivered = [n for numbers in seen.values() for n in numbers]
    assert sorted(delivered) == list(range(sent))  # each once
    for numbers in seen.values():
        assert numbers == sorted(numbers)  # in order within a shard
