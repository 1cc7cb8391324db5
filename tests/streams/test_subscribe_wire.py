"""SubscribeToShard through boto3 against a real server: the gateway sends the service's events as
``application/vnd.amazon.eventstream`` frames, read by botocore's own EventStream parser.
The same behaviour is proven in-process in ``test_streams_consumers.py``.
"""

from __future__ import annotations

import uuid

import pytest

from tests.harness.server import ServerProcess

pytestmark = [pytest.mark.server]


def test_subscribe_to_shard_streams_records_to_boto3(server: ServerProcess) -> None:
    kinesis = server.client("kinesis")
    name = f"efo-{uuid.uuid4().hex[:10]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    put = kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"before")
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")["Consumer"]["ConsumerARN"]
    answer = kinesis.subscribe_to_shard(
        ConsumerARN=consumer, ShardId="shardId-000000000000", StartingPosition={"Type": "TRIM_HORIZON"}
    )
    events = iter(answer["EventStream"])
    try:
        first = next(events)["SubscribeToShardEvent"]
        assert [r["Data"] for r in first["Records"]] == [b"before"]
        assert first["ContinuationSequenceNumber"] == put["SequenceNumber"]
        later = kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"after")
        seen = []
        while not seen:
            seen = next(events)["SubscribeToShardEvent"]["Records"]
        assert [r["SequenceNumber"] for r in seen] == [later["SequenceNumber"]]
    finally:
        answer["EventStream"].close()
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def test_a_second_subscription_within_5_seconds_is_refused_over_the_wire(server: ServerProcess) -> None:
    kinesis = server.client("kinesis")
    name = f"efo-{uuid.uuid4().hex[:10]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")["Consumer"]["ConsumerARN"]
    start = {"ConsumerARN": consumer, "ShardId": "shardId-000000000000", "StartingPosition": {"Type": "LATEST"}}
    first = kinesis.subscribe_to_shard(**start)
    try:
        next(iter(first["EventStream"]))
        with pytest.raises(kinesis.exceptions.ResourceInUseException):
            kinesis.subscribe_to_shard(**start)
    finally:
        first["EventStream"].close()
