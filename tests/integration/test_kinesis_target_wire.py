"""An EventBridge rule with a Kinesis target, set up and fed with boto3 against a real server."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.harness.server import ServerProcess

pytestmark = pytest.mark.server


def test_put_events_lands_a_record_keyed_by_partition_key_path(server: ServerProcess) -> None:
    events, kinesis = server.client("events"), server.client("kinesis")
    name = f"orders-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    stream_arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    rule = f"to-{name}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(
        Rule=rule,
        Targets=[{"Id": "s", "Arn": stream_arn, "KinesisParameters": {"PartitionKeyPath": "$.detail.customer"}}],
    )
    assert events.list_targets_by_rule(Rule=rule)["Targets"][0]["KinesisParameters"] == {
        "PartitionKeyPath": "$.detail.customer"
    }
    sent = events.put_events(
        Entries=[{"Source": name, "DetailType": "Order Placed", "Detail": json.dumps({"customer": "c-7"})}]
    )
    assert sent["FailedEntryCount"] == 0
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    got: list[dict[str, object]] = []
    deadline = time.monotonic() + 10
    while not got and time.monotonic() < deadline:
        answer = kinesis.get_records(ShardIterator=iterator)
        got, iterator = answer["Records"], answer["NextShardIterator"]
        time.sleep(0.25)  # under GetRecords' five reads a second
    [record] = got
    assert record["PartitionKey"] == "c-7"
    assert json.loads(record["Data"])["id"] == sent["Entries"][0]["EventId"]  # type: ignore[arg-type]
