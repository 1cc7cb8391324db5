"""Stream queues: a stream's records handed out one consumer at a time, with leases, acknowledgements,
redelivery and built-in dead letters."""

from __future__ import annotations

import asyncio
from typing import Any

from eventyard.clock import VirtualClock
from tests.streams.conftest import fails_with

ACCOUNT = "000000000000"


async def on_demand(kinesis: Any, name: str = "orders") -> str:
    await kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    arn: str = (await kinesis.describe_stream_summary(StreamName=name))["StreamDescriptionSummary"]["StreamARN"]
    return arn


async def make_queue(
    kinesis: Any, stream: str, name: str = "work", start: str = "TRIM_HORIZON", **attributes: Any
) -> str:
    request: dict[str, Any] = {
        "QueueName": name,
        "StreamConfigurationList": [{"StreamARN": stream, "StartingPosition": {"Type": start}}],
    }
    if attributes:
        request["QueueAttributes"] = attributes
    arn: str = (await kinesis.create_queue(**request))["QueueDescription"]["QueueARN"]
    return arn


async def put(kinesis: Any, *data: bytes, stream: str = "orders") -> None:
    await kinesis.put_records(StreamName=stream, Records=[{"PartitionKey": d.decode(), "Data": d} for d in data])


async def waited(call: Any, clock: VirtualClock, wait: float = 1.0) -> Any:
    """Run a receive that may wait: if it has not answered after a moment (real time, for the
    database), move the clock to the end of its WaitTimeSeconds (so an empty receive costs that
    much clock time, as on AWS). Only the receive's own deadline: other sleepers are the kernel's."""
    limit = clock.now() + wait
    task = asyncio.ensure_future(call)
    for _ in range(40):
        if task.done():
            return task.result()
        await asyncio.sleep(0.005)
    while not task.done():
        clock.set(max(clock.now(), limit))
        await asyncio.sleep(0.005)
    return task.result()


async def receive(kinesis: Any, queue: str, clock: VirtualClock, **extra: Any) -> list[dict[str, Any]]:
    call = kinesis.receive_queue_records(QueueARN=queue, WaitTimeSeconds=1, **extra)
    got: list[dict[str, Any]] = (await waited(call, clock))["QueueRecords"]
    return got


async def receive_dead(kinesis: Any, queue: str, clock: VirtualClock) -> list[dict[str, Any]]:
    call = kinesis.receive_dead_letter_queue_records(QueueARN=queue, WaitTimeSeconds=1)
    got: list[dict[str, Any]] = (await waited(call, clock))["QueueRecords"]
    return got


async def test_a_queue_is_described_with_aws_defaults(kinesis: Any) -> None:
    stream = await on_demand(kinesis)
    created = (await kinesis.create_queue(QueueName="work", StreamConfigurationList=[{"StreamARN": stream}]))[
        "QueueDescription"
    ]
    assert created["QueueStatus"] == "CREATING"
    assert created["QueueARN"].startswith(f"arn:aws:kinesis:us-east-1:{ACCOUNT}:queue/")
    assert "work" not in created["QueueARN"]  # the identifier is generated, not the name
    assert created["StreamConfigurationList"] == [{"StreamARN": stream, "StartingPosition": {"Type": "LATEST"}}]
    assert created["QueueAttributes"] == {
        "VisibilityTimeoutSeconds": 30,
        "DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": 6},
    }
    described = (await kinesis.describe_queue(QueueARN=created["QueueARN"]))["QueueDescription"]
    assert described["QueueStatus"] == "ACTIVE"
    assert described["StreamConfigurationList"][0]["StartingPosition"]["Timestamp"] == 1_800_000_000.0
    summary = (await kinesis.describe_stream_summary(StreamARN=stream))["StreamDescriptionSummary"]
    assert summary["QueueCount"] == 1


async def test_queues_need_an_on_demand_stream_and_a_free_name(kinesis: Any) -> None:
    await kinesis.create_stream(StreamName="fixed", ShardCount=1)
    fixed = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/fixed"
    await fails_with("InvalidArgumentException", make_queue(kinesis, fixed))
    stream = await on_demand(kinesis)
    await make_queue(kinesis, stream)
    await fails_with("ResourceInUseException", make_queue(kinesis, stream))
    await fails_with("ResourceInUseException", kinesis.delete_stream(StreamARN=stream))
    await fails_with(
        "ResourceInUseException",
        kinesis.update_stream_mode(StreamARN=stream, StreamModeDetails={"StreamMode": "PROVISIONED"}),
    )
    await fails_with(
        "ValidationException",
        kinesis.create_queue(
            QueueName="stamp",
            StreamConfigurationList=[{"StreamARN": stream, "StartingPosition": {"Type": "AT_TIMESTAMP"}}],
        ),
    )


async def test_records_are_leased_acknowledged_and_redelivered(kinesis: Any, clock: VirtualClock) -> None:
    stream = await on_demand(kinesis)
    queue = await make_queue(kinesis, stream)
    await put(kinesis, b"a", b"b", b"c")
    first = await receive(kinesis, queue, clock)
    assert sorted(r["Data"] for r in first) == [b"a", b"b", b"c"]
    assert all(r["ReceiveCount"] == 1 and r["FirstReceiveTimestamp"] == clock.now() for r in first)
    assert all(len(r["RecordId"]) == 56 for r in first)  # the record's sequence number
    assert await receive(kinesis, queue, clock) == []  # in flight
    acked = await kinesis.acknowledge_queue_records(
        QueueARN=queue, Entries=[{"ReceiptHandle": first[0]["ReceiptHandle"]}]
    )
    assert acked == {"Successful": [{"ReceiptHandle": first[0]["ReceiptHandle"]}], "Failed": []}
    clock.advance(30)
    again = await receive(kinesis, queue, clock)
    assert sorted(r["RecordId"] for r in again) == sorted(r["RecordId"] for r in first[1:])
    assert all(r["ReceiveCount"] == 2 for r in again)
    stale = await kinesis.acknowledge_queue_records(
        QueueARN=queue, Entries=[{"ReceiptHandle": first[1]["ReceiptHandle"]}]
    )
    assert stale["Successful"] == [] and stale["Failed"][0]["ErrorCode"]


async def test_visibility_can_be_extended_or_ended(kinesis: Any, clock: VirtualClock) -> None:
    stream = await on_demand(kinesis)
    queue = await make_queue(kinesis, stream, VisibilityTimeoutSeconds=10)
    await put(kinesis, b"slow", b"retry")
    retry, slow = sorted(await receive(kinesis, queue, clock), key=lambda r: r["Data"])
    await kinesis.update_queue_records_visibility(
        QueueARN=queue,
        Entries=[
            {"ReceiptHandle": slow["ReceiptHandle"], "VisibilityTimeoutSeconds": 100},
            {"ReceiptHandle": retry["ReceiptHandle"], "VisibilityTimeoutSeconds": 0},
        ],
    )
    assert [r["Data"] for r in await receive(kinesis, queue, clock)] == [b"retry"]
    clock.advance(50)
    assert [r["Data"] for r in await receive(kinesis, queue, clock)] == [
        b"retry"
    ]  # its 10 s lease ran out; slow's did not


async def test_after_max_receives_a_record_is_a_dead_letter_until_restored(kinesis: Any, clock: VirtualClock) -> None:
    stream = await on_demand(kinesis)
    queue = await make_queue(
        kinesis,
        stream,
        VisibilityTimeoutSeconds=5,
        DeadLetterConfiguration={"TargetType": "BUILT_IN", "MaxReceiveCount": 2},
    )
    await put(kinesis, b"poison")
    for _ in range(2):
        assert len(await receive(kinesis, queue, clock)) == 1
        clock.advance(5)
    assert await receive(kinesis, queue, clock) == []
    dead = await receive_dead(kinesis, queue, clock)
    assert [r["Data"] for r in dead] == [b"poison"]
    restored = await kinesis.restore_dead_letter_queue_records(
        QueueARN=queue, Entries=[{"ReceiptHandle": dead[0]["ReceiptHandle"]}]
    )
    assert len(restored["Successful"]) == 1
    back = await receive(kinesis, queue, clock)
    assert [r["ReceiveCount"] for r in back] == [1]
    clock.advance(5)
    await receive(kinesis, queue, clock)
    clock.advance(5)
    dead = await receive_dead(kinesis, queue, clock)
    done = await kinesis.acknowledge_dead_letter_queue_records(
        QueueARN=queue, Entries=[{"ReceiptHandle": dead[0]["ReceiptHandle"]}]
    )
    assert len(done["Successful"]) == 1
    clock.advance(60)
    assert await receive_dead(kinesis, queue, clock) == []
    assert await receive(kinesis, queue, clock) == []


async def test_without_dead_letters_a_record_comes_back_until_acknowledged(kinesis: Any, clock: VirtualClock) -> None:
    stream = await on_demand(kinesis)
    queue = await make_queue(
        kinesis, stream, VisibilityTimeoutSeconds=1, DeadLetterConfiguration={"TargetType": "NONE"}
    )
    await put(kinesis, b"again")
    for count in range(1, 10):
        assert [r["ReceiveCount"] for r in await receive(kinesis, queue, clock)] == [count]
        clock.advance(1)


async def test_latest_starts_after_what_the_stream_holds(kinesis: Any, clock: VirtualClock) -> None:
    stream = await on_demand(kinesis)
    await put(kinesis, b"old")
    queue = await make_queue(kinesis, stream, start="LATEST")
    await put(kinesis, b"new")
    assert [r["Data"] for r in await receive(kinesis, queue, clock, Limit=10)] == [b"new"]


async def test_a_waiting_receive_is_woken_by_a_put(kinesis: Any, service: Any) -> None:
    stream = await on_demand(kinesis)
    queue = await make_queue(kinesis, stream)
    waiting = asyncio.ensure_future(kinesis.receive_queue_records(QueueARN=queue, WaitTimeSeconds=20))
    shard_rows = [s.row_id for s in (await service.find(ACCOUNT, "us-east-1", "orders")).shards]
    for _ in range(500):
        if all(service.waiters.waiting_on(row) for row in shard_rows):
            break
        await asyncio.sleep(0.01)
    await put(kinesis, b"wake")
    got = await asyncio.wait_for(waiting, timeout=10)
    assert [r["Data"] for r in got["QueueRecords"]] == [b"wake"]


async def test_expired_records_are_no_longer_delivered(kinesis: Any, service: Any, clock: VirtualClock) -> None:
    stream = await on_demand(kinesis)
    queue = await make_queue(kinesis, stream)
    await put(kinesis, b"stale")
    await receive(kinesis, queue, clock)
    clock.advance(24 * 3600)
    assert await service.trim_expired(clock.now()) == 1  # and the queue's lease on it goes too

    def leases(connection: Any) -> int:
        return int(connection.execute("SELECT COUNT(*) FROM kinesis_queue_records").fetchone()[0])

    assert await service.yard.db.read(leases) == 0
    assert await receive(kinesis, queue, clock) == []


async def test_queues_are_listed_updated_tagged_and_deleted(kinesis: Any) -> None:
    stream = await on_demand(kinesis)
    other = await on_demand(kinesis, "other")
    work = await make_queue(kinesis, stream, "work")
    await make_queue(kinesis, other, "audit")
    names = [q["QueueName"] for q in (await kinesis.list_queues())["QueueSummaries"]]
    assert names == ["audit", "work"]
    filtered = await kinesis.list_queues(StreamFilter=[{"StreamARN": stream}])
    assert [q["QueueName"] for q in filtered["QueueSummaries"]] == ["work"]
    first = await kinesis.list_queues(MaxResults=1)
    rest = await kinesis.list_queues(NextToken=first["NextToken"])
    assert [q["QueueName"] for q in first["QueueSummaries"] + rest["QueueSummaries"]] == ["audit", "work"]
    updated = await kinesis.update_queue(QueueARN=work, QueueAttributes={"VisibilityTimeoutSeconds": 90})
    assert updated["QueueDescription"]["QueueAttributes"]["VisibilityTimeoutSeconds"] == 90
    await kinesis.tag_resource(ResourceARN=work, Tags={"team": "ops"})
    assert (await kinesis.list_tags_for_resource(ResourceARN=work))["Tags"] == [{"Key": "team", "Value": "ops"}]
    await kinesis.put_resource_policy(ResourceARN=work, Policy='{"Version": "2012-10-17", "Statement": []}')
    assert (await kinesis.get_resource_policy(ResourceARN=work))["Policy"].startswith('{"Version"')
    await kinesis.delete_queue(QueueARN=work)
    await fails_with("ResourceNotFoundException", kinesis.describe_queue(QueueARN=work))
    await kinesis.delete_stream(StreamARN=stream)
