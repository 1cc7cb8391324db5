"""Kinesis event source mappings on the virtual clock: positions, the event, retries, bisect, destinations."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock
from eventyard.functions.mappings.errors import InvalidParameterValue, ResourceConflict
from tests.functions.mappings.conftest import Functions
from tests.harness.stores import store_url


async def _stream(yard: eventyard.Yard, name: str = "ks", shards: int = 1) -> str:
    kinesis = yard.client("kinesis")
    await kinesis.create_stream(StreamName=name, ShardCount=shards)
    await yard.advance(1)
    summary = await kinesis.describe_stream_summary(StreamName=name)
    assert summary["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"
    return str(summary["StreamDescriptionSummary"]["StreamARN"])


async def _put(yard: eventyard.Yard, data: str, key: str = "pk", stream: str = "ks") -> str:
    answer = await yard.client("kinesis").put_record(StreamName=stream, Data=data.encode(), PartitionKey=key)
    return str(answer["SequenceNumber"])


def _datas(batches: list[list[dict]]) -> list[str]:
    return [base64.b64decode(r["kinesis"]["data"]).decode() for b in batches for r in b]


def _recorder(batches: list[list[dict]], fail_while: Any = None) -> Any:
    def handler(event: dict, _: Any) -> Any:
        batches.append(event["Records"])
        if fail_while is not None:
            return fail_while(event["Records"])
        return None

    return handler


async def test_trim_horizon_delivers_records_as_aws_shapes_them(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    arn = functions.register("fn", _recorder(batches))
    stream = await _stream(yard)
    seq = await _put(yard, "hello", "pk-1")
    created = await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName="fn", StartingPosition="TRIM_HORIZON", BatchSize=10
    )
    assert created["State"] == "Creating" and created["StateTransitionReason"] == "User action"
    assert (created["BatchSize"], created["ParallelizationFactor"], created["MaximumRetryAttempts"]) == (10, 1, -1)
    assert created["MaximumRecordAgeInSeconds"] == -1 and created["BisectBatchOnFunctionError"] is False
    assert created["DestinationConfig"] == {"OnFailure": {}} and created["TumblingWindowInSeconds"] == 0
    assert created["FunctionArn"] == arn
    await yard.advance(2)
    [[record]] = batches
    assert record["kinesis"] == {
        "kinesisSchemaVersion": "1.0",
        "partitionKey": "pk-1",
        "sequenceNumber": seq,
        "data": "aGVsbG8=",
        "approximateArrivalTimestamp": record["kinesis"]["approximateArrivalTimestamp"],
    }
    assert record["kinesis"]["approximateArrivalTimestamp"] > 1_600_000_000
    assert record["eventID"] == f"shardId-000000000000:{seq}"
    assert (record["eventSource"], record["eventName"], record["eventVersion"]) == (
        "aws:kinesis",
        "aws:kinesis:record",
        "1.0",
    )
    assert record["invokeIdentityArn"] == "arn:aws:iam::000000000000:role/eventyard-in-process"  # its Role
    assert (record["eventSourceARN"], record["awsRegion"]) == (stream, "us-east-1")
    await _put(yard, "second", "pk-2")
    await yard.advance(2)
    assert _datas(batches) == ["hello", "second"]
    shown = await yard.client("lambda").get_event_source_mapping(UUID=created["UUID"])
    assert (created["LastProcessingResult"], shown["LastProcessingResult"]) == ("No records processed", "OK")


async def test_latest_starts_after_the_mapping_was_created(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    stream = await _stream(yard)
    await _put(yard, "before")
    await yard.advance(1)
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName="fn", StartingPosition="LATEST"
    )
    await yard.advance(1)
    await _put(yard, "after")
    await yard.advance(2)
    assert _datas(batches) == ["after"]


async def test_at_timestamp_starts_at_the_time_given(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    stream = await _stream(yard)
    await _put(yard, "old")
    await yard.advance(10)
    middle = yard.clock.now()
    await yard.advance(1)
    await _put(yard, "new")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName="fn", StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=middle
    )
    await yard.advance(2)
    assert _datas(batches) == ["new"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def durable_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with store_url(request.param, tmp_path) as url:
        yield url


async def test_the_checkpoint_survives_a_restart(durable_store: str, clock: VirtualClock) -> None:
    batches: list[list[dict]] = []
    store = durable_store
    async with eventyard.open(store, clock=clock) as first:
        first.functions.register("fn", _recorder(batches))
        stream = await _stream(first)
        await _put(first, "one")
        await first.client("lambda").create_event_source_mapping(
            EventSourceArn=stream, FunctionName="fn", StartingPosition="TRIM_HORIZON"
        )
        await first.advance(2)
    async with eventyard.open(store, clock=clock) as second:
        second.functions.register("fn", _recorder(batches))
        await _put(second, "two")
        await second.advance(35)  # the first run's claims lapse; the shard's poller runs here now
    assert _datas(batches) == ["one", "two"]


async def test_a_failing_batch_blocks_the_shard_then_goes_to_the_on_failure_queue(
    yard: eventyard.Yard, functions: Functions
) -> None:
    batches: list[list[dict]] = []

    def handler(event: dict, _: Any) -> None:
        batches.append(event["Records"])
        if any(b"poison" in base64.b64decode(r["kinesis"]["data"]) for r in event["Records"]):
            raise ValueError("cannot handle it")

    arn = functions.register("fn", handler)
    stream = await _stream(yard)
    sqs = yard.client("sqs")
    dlq = (await sqs.create_queue(QueueName="failures"))["QueueUrl"]
    dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    poison = await _put(yard, "poison")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="fn",
        StartingPosition="TRIM_HORIZON",
        BatchSize=1,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    await yard.advance(1)
    await _put(yard, "fine")
    await yard.advance(30)
    assert _datas(batches) == ["poison", "poison", "poison", "fine"]  # one try and two retries, in order
    [message] = (await sqs.receive_message(QueueUrl=dlq))["Messages"]
    body = json.loads(message["Body"])
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["functionArn"] == arn and body["requestContext"]["approximateInvokeCount"] == 3
    assert body["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    info = body["KinesisBatchInfo"]
    assert (info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"]) == (
        "shardId-000000000000",
        poison,
        poison,
    )
    assert (info["batchSize"], info["streamArn"], body["version"]) == (1, stream, "1.0")
    [mapping] = (await yard.client("lambda").list_event_source_mappings(FunctionName="fn"))["EventSourceMappings"]
    assert mapping["LastProcessingResult"] == "OK"  # "fine" went through after the poison was given up on


async def test_bisect_isolates_the_failing_record(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []

    def handler(event: dict, _: Any) -> None:
        batches.append(event["Records"])
        if any(base64.b64decode(r["kinesis"]["data"]) == b"r2" for r in event["Records"]):
            raise ValueError("r2 is bad")

    functions.register("fn", handler)
    stream = await _stream(yard)
    for n in range(4):
        await _put(yard, f"r{n}")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="fn",
        StartingPosition="TRIM_HORIZON",
        BatchSize=4,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=3,
    )
    await yard.advance(60)
    sizes = [[base64.b64decode(r["kinesis"]["data"]).decode() for r in b] for b in batches]
    # halves until r2 is alone; it fails its retries (4 tries in all > MaximumRetryAttempts 3), r3 follows
    assert sizes == [["r0", "r1", "r2", "r3"], ["r0", "r1"], ["r2", "r3"], ["r2"], ["r2"], ["r2"], ["r3"]]


async def test_maximum_record_age_discards_old_records(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches, fail_while=lambda records: (_ for _ in ()).throw(ValueError())))
    stream = await _stream(yard)
    await _put(yard, "stale")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName="fn", StartingPosition="TRIM_HORIZON", MaximumRecordAgeInSeconds=60
    )
    await yard.advance(120)
    tries = len(batches)
    assert 1 <= tries < 10
    await yard.advance(120)
    assert len(batches) == tries  # past its age the record was dropped: no more retries


async def test_report_batch_item_failures_retries_from_the_first_failed_record(
    yard: eventyard.Yard, functions: Functions
) -> None:
    batches: list[list[dict]] = []
    failed_once: set[str] = set()

    def handler(event: dict, _: Any) -> dict:
        batches.append(event["Records"])
        for r in event["Records"]:
            if base64.b64decode(r["kinesis"]["data"]) == b"b" and "b" not in failed_once:
                failed_once.add("b")
                return {"batchItemFailures": [{"itemIdentifier": r["kinesis"]["sequenceNumber"]}]}
        return {"batchItemFailures": []}

    functions.register("fn", handler)
    stream = await _stream(yard)
    for data in "abc":
        await _put(yard, data)
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="fn",
        StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    await yard.advance(10)
    assert [[base64.b64decode(r["kinesis"]["data"]).decode() for r in b] for b in batches] == [
        ["a", "b", "c"],
        ["b", "c"],
    ]


async def test_filter_criteria_on_kinesis_data(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    stream = await _stream(yard)
    await _put(yard, json.dumps({"kind": "order"}))
    await _put(yard, json.dumps({"kind": "refund"}))
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="fn",
        StartingPosition="TRIM_HORIZON",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"data": {"kind": ["order"]}})}]},
    )
    await yard.advance(3)
    assert _datas(batches) == [json.dumps({"kind": "order"})]


async def test_each_shard_is_read(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    stream = await _stream(yard, shards=3)
    for n in range(30):
        await _put(yard, str(n), key=f"key-{n}")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName="fn", StartingPosition="TRIM_HORIZON"
    )
    await yard.advance(3)
    assert sorted(int(d) for d in _datas(batches)) == list(range(30))
    assert len({r["eventID"].split(":")[0] for b in batches for r in b}) == 3


async def test_kinesis_refusals_carry_aws_messages(yard: eventyard.Yard, functions: Functions) -> None:
    functions.register("fn", _recorder([]))
    stream = await _stream(yard)
    lam = yard.client("lambda")
    with pytest.raises(InvalidParameterValue, match="Value null at 'startingPosition'"):
        await lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="fn")
    missing = "arn:aws:kinesis:us-east-1:000000000000:stream/missing"
    with pytest.raises(InvalidParameterValue, match=f"Stream not found: {missing}"):
        await lam.create_event_source_mapping(EventSourceArn=missing, FunctionName="fn", StartingPosition="LATEST")
    first = await lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="fn", StartingPosition="LATEST")
    with pytest.raises(ResourceConflict, match=f"provided mapping already exists.*{first['UUID']}"):
        await lam.create_event_source_mapping(EventSourceArn=stream, FunctionName="fn", StartingPosition="LATEST")


async def test_parallelization_factor_runs_lanes_at_once_keeping_each_key_in_order(
    yard: eventyard.Yard, functions: Functions
) -> None:
    lock = threading.Lock()
    running, most = [0], [0]
    by_key: dict[str, list[int]] = {}

    def handler(event: dict, _: Any) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
            for r in event["Records"]:
                by_key.setdefault(r["kinesis"]["partitionKey"], []).append(int(base64.b64decode(r["kinesis"]["data"])))

    functions.register("fn", handler)
    stream = await _stream(yard)
    for n in range(60):
        await _put(yard, str(n), key=f"key-{n % 6}")
    created = await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName="fn", StartingPosition="TRIM_HORIZON", BatchSize=5, ParallelizationFactor=3
    )
    assert created["ParallelizationFactor"] == 3
    await yard.advance(5)
    assert sorted(n for numbers in by_key.values() for n in numbers) == list(range(60))
    for key, numbers in by_key.items():
        assert numbers == [n for n in range(60) if f"key-{n % 6}" == key]
    assert most[0] > 1


async def test_record_age_exceeded_goes_to_an_sns_on_failure_topic(yard: eventyard.Yard, functions: Functions) -> None:
    def failing(event: dict, _: Any) -> None:
        raise ValueError("always")

    functions.register("fn", failing)
    stream = await _stream(yard)
    sqs, sns = yard.client("sqs"), yard.client("sns")
    inbox = (await sqs.create_queue(QueueName="inbox"))["QueueUrl"]
    inbox_arn = (await sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    topic = (await sns.create_topic(Name="failures"))["TopicArn"]
    await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
    old = await _put(yard, "old")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="fn",
        StartingPosition="TRIM_HORIZON",
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": topic}},
    )
    await yard.advance(120)
    [message] = (await sqs.receive_message(QueueUrl=inbox))["Messages"]
    body = json.loads(message["Body"])
    assert body["requestContext"]["condition"] == "RecordAgeExceeded"
    assert body["KinesisBatchInfo"]["startSequenceNumber"] == old


async def test_after_a_reshard_a_key_stays_in_order(yard: eventyard.Yard, functions: Functions) -> None:
    """The parent shard is read to its end before its children: a key's records keep their order."""
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    stream = await _stream(yard)
    kinesis = yard.client("kinesis")
    for n in range(5):
        await _put(yard, f"{n}", key=f"k{n % 3}")
    await kinesis.update_shard_count(StreamName="ks", TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    await yard.advance(1)
    shards = (await kinesis.list_shards(StreamName="ks"))["Shards"]
    assert len(shards) == 3
    for n in range(5, 15):
        await _put(yard, f"{n}", key=f"k{n % 3}")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName="fn", StartingPosition="TRIM_HORIZON", BatchSize=2
    )
    await yard.advance(5)
    delivered = [
        (r["kinesis"]["partitionKey"], int(base64.b64decode(r["kinesis"]["data"]))) for b in batches for r in b
    ]
    assert sorted(n for _, n in delivered) == list(range(15))
    for key in ("k0", "k1", "k2"):
        numbers = [n for k, n in delivered if k == key]
        assert numbers == sorted(numbers)
    parent = shards[0]["ShardId"]
    from_parent = [i for i, b in enumerate(batches) if b[0]["eventID"].startswith(parent)]
    from_children = [i for i, b in enumerate(batches) if not b[0]["eventID"].startswith(parent)]
    assert max(from_parent) < min(from_children)
