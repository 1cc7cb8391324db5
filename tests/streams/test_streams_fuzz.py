"""Whatever a client sends to any Kinesis operation, the answer is a result or an AWS error, never a
crash: requests drawn from botocore's own shapes, with values both plausible (the names, ARNs,
iterators and receipts of a live stream) and hostile (NUL, huge numbers, infinities, junk)."""

from __future__ import annotations

import asyncio
from typing import Any

from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventyard
from eventyard.clock import VirtualClock
from eventyard.errors import EventyardError
from eventyard.models import model_for

MODEL = model_for("kinesis")
SERVED = sorted(op for op in MODEL.operations if not op.endswith("Channel") and op != "ListChannels")
HOSTILE = st.sampled_from(["", "\x00", "a\x00b", "9" * 60, "-1", "shardId-99999999999999", "💥", "arn:aws:kinesis:"])
PLAUSIBLE = {
    "StreamName": ["fuzz", "od", "missing"],
    "StreamARN": ["<STREAM_ARN>", "<OD_ARN>", "arn:aws:kinesis:us-east-1:000000000000:stream/missing"],
    "ShardId": ["shardId-000000000000", "shardId-000000000001", "shardId-1"],
    "ShardToSplit": ["shardId-000000000000"],
    "ShardToMerge": ["shardId-000000000000"],
    "AdjacentShardToMerge": ["shardId-000000000001"],
    "ConsumerARN": ["<CONSUMER_ARN>"],
    "ConsumerName": ["reader", "other"],
    "ShardIterator": ["<ITERATOR>"],
    "SequenceNumber": ["<SEQUENCE>"],
    "StartingSequenceNumber": ["<SEQUENCE>"],
    "QueueARN": ["<QUEUE_ARN>"],
    "ResourceARN": ["<STREAM_ARN>", "<CONSUMER_ARN>", "<QUEUE_ARN>"],
    "ReceiptHandle": ["<RECEIPT>"],
    "NewStartingHashKey": ["2", "170141183460469231731687303715884105728", str(2**128)],
    "ExplicitHashKey": ["0", str(2**128 - 1), str(2**128)],
    "PartitionKey": ["k", "\x00"],
    "QueueName": ["q", "q2"],
    "KeyId": ["alias/aws/kinesis"],
}


def _values(shape: Shape, name: str) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        members = {member: _values(inner, member) for member, inner in shape.members.items()}  # type: ignore[attr-defined]
        return st.fixed_dictionaries({}, optional=members)
    if kind == "list":
        return st.lists(_values(shape.member, name), max_size=3)  # type: ignore[attr-defined]
    if kind == "map":
        return st.dictionaries(st.text(max_size=6) | HOSTILE, st.text(max_size=6) | HOSTILE, max_size=3)
    if kind == "string":
        options = st.sampled_from(shape.enum) if shape.enum else st.sampled_from(PLAUSIBLE.get(name, ["x"]))
        return options | HOSTILE | st.text(max_size=20)
    if kind in ("integer", "long"):
        return st.integers(0, 12) | st.integers(-(2**70), 2**70)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.binary(max_size=40)
    if kind == "timestamp":
        return st.floats(1.79e9, 1.81e9) | st.floats(allow_nan=True, allow_infinity=True)
    return st.none()


REQUESTS = st.sampled_from(SERVED).flatmap(
    lambda op: st.tuples(st.just(op), _values(MODEL.operations[op].input_shape, op))
)


async def _setup(yard: eventyard.Yard) -> dict[str, str]:
    kinesis = yard.client("kinesis")
    await kinesis.create_stream(StreamName="fuzz", ShardCount=2)
    await kinesis.create_stream(StreamName="od")
    stream = "arn:aws:kinesis:us-east-1:000000000000:stream/fuzz"
    put = await kinesis.put_record(StreamName="fuzz", PartitionKey="k", Data=b"x")
    consumer = (await kinesis.register_stream_consumer(StreamARN=stream, ConsumerName="reader"))["Consumer"]
    iterator = await kinesis.get_shard_iterator(
        StreamName="fuzz", ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )
    od = stream.replace("fuzz", "od")
    queue = await kinesis.create_queue(
        QueueName="q", StreamConfigurationList=[{"StreamARN": od, "StartingPosition": {"Type": "TRIM_HORIZON"}}]
    )
    await kinesis.put_record(StreamName="od", PartitionKey="k", Data=b"y")
    received = await kinesis.receive_queue_records(QueueARN=queue["QueueDescription"]["QueueARN"])
    return {
        "<STREAM_ARN>": stream,
        "<OD_ARN>": od,
        "<CONSUMER_ARN>": consumer["ConsumerARN"],
        "<ITERATOR>": iterator["ShardIterator"],
        "<SEQUENCE>": put["SequenceNumber"],
        "<QUEUE_ARN>": queue["QueueDescription"]["QueueARN"],
        "<RECEIPT>": received["QueueRecords"][0]["ReceiptHandle"],
    }


def _fill(value: Any, real: dict[str, str]) -> Any:
    if isinstance(value, str):
        return real.get(value, value)
    if isinstance(value, dict):
        return {key: _fill(item, real) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, real) for item in value]
    return value


async def _run(operation: str, request: dict[str, Any]) -> None:
    async with eventyard.open("memory://", clock=VirtualClock(start=1.8e9, auto_advance=True)) as yard:
        real = await _setup(yard)
        try:
            answer = await yard.api.dispatch(
                "kinesis", operation, _fill(request, real), yard.client("kinesis")._context
            )
        except EventyardError:
            return
        events = answer.get("EventStream") if isinstance(answer, dict) else None
        if events is not None:
            try:
                await asyncio.wait_for(events.__anext__(), timeout=5)
            except (EventyardError, StopAsyncIteration):
                pass
            finally:
                await events.aclose()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REQUESTS)
def test_no_request_crashes_an_operation(call: tuple[str, dict[str, Any]]) -> None:
    operation, request = call
    asyncio.run(_run(operation, request))
