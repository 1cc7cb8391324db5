"""Enhanced fan-out: consumers, and SubscribeToShard in-process (the wire framing is the gateway's).

A subscription is iterated as the service returns it: an async iterator of events keyed by member
name. Records arrive as puts commit, with no clock movement; quiet seconds and the five-minute end
are the yard's clock's.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from eventyard.clock import VirtualClock
from tests.streams.conftest import fails_with, make_stream

ACCOUNT = "000000000000"
SHARD = "shardId-000000000000"


async def next_event(events: Any) -> dict[str, Any]:
    """The subscription's next SubscribeToShardEvent (a real-time guard only against hanging)."""
    item = await asyncio.wait_for(events.__anext__(), timeout=10)
    assert list(item) == ["SubscribeToShardEvent"]
    event: dict[str, Any] = item["SubscribeToShardEvent"]
    return event


async def subscribe(kinesis: Any, consumer: str, shard: str = SHARD, **position: Any) -> Any:
    start = position or {"Type": "TRIM_HORIZON"}
    answer = await kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId=shard, StartingPosition=start)
    return answer["EventStream"]


async def registered(kinesis: Any, stream_arn: str, name: str = "reader") -> str:
    consumer: str = (await kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName=name))["Consumer"][
        "ConsumerARN"
    ]
    return consumer


async def test_a_registered_consumer_is_creating_then_active(kinesis: Any, service: Any, yard: Any) -> None:
    stream = await make_stream(kinesis, "clicks")
    service.transition_seconds = 2.0
    answer = (await kinesis.register_stream_consumer(StreamARN=stream, ConsumerName="reader"))["Consumer"]
    assert answer["ConsumerARN"] == f"{stream}/consumer/reader:1800000000"
    assert answer["ConsumerStatus"] == "CREATING"
    described = (await kinesis.describe_stream_consumer(ConsumerARN=answer["ConsumerARN"]))["ConsumerDescription"]
    assert described["ConsumerStatus"] == "CREATING" and described["StreamARN"] == stream
    await fails_with("ResourceInUseException", subscribe(kinesis, answer["ConsumerARN"]))
    await yard.advance(2.0)
    by_name = await kinesis.describe_stream_consumer(StreamARN=stream, ConsumerName="reader")
    assert by_name["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE"
    assert (await kinesis.describe_stream_summary(StreamARN=stream))["StreamDescriptionSummary"]["ConsumerCount"] == 1


async def test_consumers_are_listed_refused_twice_and_deregistered(kinesis: Any) -> None:
    stream = await make_stream(kinesis, "clicks")
    for name in ("c", "a", "b"):
        await registered(kinesis, stream, name)
    await fails_with("ResourceInUseException", kinesis.register_stream_consumer(StreamARN=stream, ConsumerName="a"))
    first = await kinesis.list_stream_consumers(StreamARN=stream, MaxResults=2)
    assert [c["ConsumerName"] for c in first["Consumers"]] == ["a", "b"]
    rest = await kinesis.list_stream_consumers(StreamARN=stream, NextToken=first["NextToken"])
    assert [c["ConsumerName"] for c in rest["Consumers"]] == ["c"] and "NextToken" not in rest
    await kinesis.deregister_stream_consumer(StreamARN=stream, ConsumerName="b")
    await fails_with("ResourceNotFoundException", kinesis.describe_stream_consumer(StreamARN=stream, ConsumerName="b"))
    await fails_with("InvalidArgumentException", kinesis.describe_stream_consumer(StreamARN=stream))
    assert len((await kinesis.list_stream_consumers(StreamARN=stream))["Consumers"]) == 2


async def test_a_stream_holds_at_most_20_consumers(kinesis: Any) -> None:
    stream = await make_stream(kinesis, "clicks")
    for i in range(20):
        await registered(kinesis, stream, f"c{i}")
    await fails_with("LimitExceededException", kinesis.register_stream_consumer(StreamARN=stream, ConsumerName="x"))


async def test_subscription_delivers_the_backlog_then_records_as_they_arrive(kinesis: Any, service: Any) -> None:
    stream = await make_stream(kinesis, "clicks")
    consumer = await registered(kinesis, stream)
    first_put = await kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": b"old"}] * 2)
    events = await subscribe(kinesis, consumer)
    backlog = await next_event(events)
    assert [r["Data"] for r in backlog["Records"]] == [b"old", b"old"]
    assert backlog["ContinuationSequenceNumber"] == first_put["Records"][1]["SequenceNumber"]
    assert backlog["MillisBehindLatest"] == 0 and "ChildShards" not in backlog

    waiting = asyncio.ensure_future(next_event(events))
    shard_row = (await service.find(ACCOUNT, "us-east-1", "clicks")).shards[0].row_id
    for _ in range(500):  # let it reach its wait (the database thread runs in real time)
        if service.waiters.waiting_on(shard_row):
            break
        await asyncio.sleep(0.01)
    put = await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"new")
    live = await waiting  # woken by the put: the clock did not move
    assert [r["SequenceNumber"] for r in live["Records"]] == [put["SequenceNumber"]]
    assert live["ContinuationSequenceNumber"] == put["SequenceNumber"]
    await events.aclose()


async def test_a_quiet_second_brings_an_empty_event_and_five_minutes_end_it(
    kinesis: Any, yard: Any, clock: VirtualClock
) -> None:
    stream = await make_stream(kinesis, "clicks")
    consumer = await registered(kinesis, stream)
    events = await subscribe(kinesis, consumer, Type="LATEST")
    opening = await next_event(events)
    assert opening["Records"] == []
    await yard.advance(1.0)
    quiet = await next_event(events)
    assert quiet["Records"] == [] and quiet["ContinuationSequenceNumber"] == opening["ContinuationSequenceNumber"]
    await yard.advance(299.0)
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(events.__anext__(), timeout=10)


async def test_continuation_sequence_number_resumes_a_subscription(kinesis: Any, yard: Any) -> None:
    stream = await make_stream(kinesis, "clicks")
    consumer = await registered(kinesis, stream)
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"seen")
    events = await subscribe(kinesis, consumer)
    resume_at = (await next_event(events))["ContinuationSequenceNumber"]
    await events.aclose()
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"unseen")
    await yard.advance(5.0)
    resumed = await subscribe(kinesis, consumer, Type="AFTER_SEQUENCE_NUMBER", SequenceNumber=resume_at)
    assert [r["Data"] for r in (await next_event(resumed))["Records"]] == [b"unseen"]
    await resumed.aclose()


async def test_a_second_subscription_within_5_seconds_is_refused_and_later_takes_over(kinesis: Any, yard: Any) -> None:
    stream = await make_stream(kinesis, "clicks")
    consumer = await registered(kinesis, stream)
    older = await subscribe(kinesis, consumer)
    await next_event(older)
    await yard.advance(4.0)
    await fails_with("ResourceInUseException", subscribe(kinesis, consumer))
    await yard.advance(1.0)
    newer = await subscribe(kinesis, consumer)
    await next_event(newer)
    await fails_with("ResourceInUseException", next_event(older))
    await newer.aclose()


async def test_a_deregistered_consumer_ends_its_subscription(kinesis: Any, yard: Any) -> None:
    stream = await make_stream(kinesis, "clicks")
    consumer = await registered(kinesis, stream)
    events = await subscribe(kinesis, consumer)
    await next_event(events)
    await kinesis.deregister_stream_consumer(ConsumerARN=consumer)
    await yard.advance(1.0)
    await fails_with("ResourceNotFoundException", next_event(events))


async def test_a_subscription_to_a_closed_shard_ends_with_its_children(kinesis: Any) -> None:
    stream = await make_stream(kinesis, "clicks")
    consumer = await registered(kinesis, stream)
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"last")
    await kinesis.split_shard(StreamName="clicks", ShardToSplit=SHARD, NewStartingHashKey="1000")
    events = await subscribe(kinesis, consumer)
    final = await next_event(events)
    assert [r["Data"] for r in final["Records"]] == [b"last"]
    assert [c["ShardId"] for c in final["ChildShards"]] == ["shardId-000000000001", "shardId-000000000002"]
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(events.__anext__(), timeout=10)


async def test_subscribe_checks_its_consumer_and_shard(kinesis: Any) -> None:
    stream = await make_stream(kinesis, "clicks")
    consumer = await registered(kinesis, stream)
    await fails_with("ResourceNotFoundException", subscribe(kinesis, f"{stream}/consumer/ghost:1800000000"))
    await fails_with(
        "ResourceNotFoundException",
        subscribe(kinesis, consumer, "shardId-000000000009"),
        f"Shard shardId-000000000009 in stream clicks under account {ACCOUNT} does not exist",
    )
    await fails_with("InvalidArgumentException", subscribe(kinesis, consumer, Type="AT_SEQUENCE_NUMBER"))
