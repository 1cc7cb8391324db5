"""The wire: boto3 over JSON 1.1 against a real server, and raw CBOR as the Java SDK sends it by default."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import cbor2
import pytest
from botocore.exceptions import ClientError

from tests.gateway.raw import AUTH, post
from tests.harness.server import ServerProcess

pytestmark = pytest.mark.server
CBOR = "application/x-amz-cbor-1.1"


def _name() -> str:
    return f"wire-{uuid.uuid4().hex[:10]}"


def test_records_round_trip_through_boto3(server: ServerProcess) -> None:
    kinesis = server.client("kinesis")
    name = _name()
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    put = kinesis.put_records(
        StreamName=name,
        Records=[{"PartitionKey": "alpha", "Data": b"\x00binary\xff"}, {"PartitionKey": "beta", "Data": "text"}],
    )
    assert put["FailedRecordCount"] == 0 and [r["ShardId"][-1] for r in put["Records"]] == ["0", "1"]
    position = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    got = kinesis.get_records(ShardIterator=position)
    record = got["Records"][0]
    assert record["Data"] == b"\x00binary\xff" and record["PartitionKey"] == "alpha"
    assert record["SequenceNumber"] == put["Records"][0]["SequenceNumber"]
    assert isinstance(record["ApproximateArrivalTimestamp"], dt.datetime)
    assert got["MillisBehindLatest"] == 0 and got["NextShardIterator"]
    stamp = kinesis.get_shard_iterator(
        StreamName=name,
        ShardId="shardId-000000000000",
        ShardIteratorType="AT_TIMESTAMP",
        Timestamp=record["ApproximateArrivalTimestamp"],
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=stamp)["Records"][0]["SequenceNumber"] == record["SequenceNumber"]
    kinesis.delete_stream(StreamName=name)


def test_errors_reach_boto3_with_aws_codes_and_messages(server: ServerProcess) -> None:
    kinesis = server.client("kinesis")
    with pytest.raises(ClientError) as missing:
        kinesis.describe_stream_summary(StreamName="nowhere-to-be-found")
    assert missing.value.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "Stream nowhere-to-be-found under account 000000000000 not found.",
    }
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as invalid:
        kinesis.get_records(ShardIterator="not-an-iterator")
    assert invalid.value.response["Error"]["Code"] == "InvalidArgumentException"
    with pytest.raises(ClientError) as validation:
        kinesis.create_stream(StreamName="bad name!", ShardCount=1)
    assert validation.value.response["Error"]["Code"] == "ValidationException"


def test_list_shards_pages_as_on_aws_and_consumers_work_through_boto3(server: ServerProcess) -> None:
    kinesis = server.client("kinesis")
    name = _name()
    kinesis.create_stream(StreamName=name, ShardCount=3)
    first = kinesis.list_shards(StreamName=name, MaxResults=2)
    rest = kinesis.list_shards(NextToken=first["NextToken"])
    assert [s["ShardId"][-1] for s in first["Shards"] + rest["Shards"]] == ["0", "1", "2"]
    with pytest.raises(ClientError) as refused:  # boto3's paginator resends StreamName: AWS refuses it (botocore#2009)
        list(kinesis.get_paginator("list_shards").paginate(StreamName=name, PaginationConfig={"PageSize": 1}))
    assert refused.value.response["Error"]["Message"] == "NextToken and StreamName cannot be provided together."
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")["Consumer"]
    assert isinstance(consumer["ConsumerCreationTimestamp"], dt.datetime)
    described = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"]
    assert described["ConsumerStatus"] == "ACTIVE"
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def _cbor(server: ServerProcess, operation: str, body: dict[str, Any]) -> tuple[int, Any]:
    headers = {
        "Content-Type": CBOR,
        "X-Amz-Target": f"Kinesis_20131202.{operation}",
        "Authorization": AUTH.format(service="kinesis"),
    }
    status, reply_headers, reply = post(server.endpoint, cbor2.dumps(body), headers)
    assert reply_headers["content-type"].startswith(CBOR)
    # timestamps come back as the Java SDKs read them: tag 1 holding epoch milliseconds
    millis = {1: lambda value, immutable: dt.datetime.fromtimestamp(value / 1000, dt.UTC)}
    return status, cbor2.loads(reply, semantic_decoders=millis) if reply else {}


def test_cbor_as_the_java_sdk_sends_it(server: ServerProcess) -> None:
    name = _name()
    assert _cbor(server, "CreateStream", {"StreamName": name, "ShardCount": 1})[0] == 200
    status, put = _cbor(server, "PutRecord", {"StreamName": name, "PartitionKey": "k", "Data": b"\x01cbor\x02"})
    assert status == 200 and len(put["SequenceNumber"]) == 56
    status, stamped = _cbor(
        server,
        "GetShardIterator",
        {
            "StreamName": name,
            "ShardId": "shardId-000000000000",
            "ShardIteratorType": "AT_TIMESTAMP",
            "Timestamp": dt.datetime.now(dt.UTC),
        },
    )
    assert status == 200 and stamped["ShardIterator"]
    status, got = _cbor(
        server,
        "GetShardIterator",
        {"StreamName": name, "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"},
    )
    status, records = _cbor(server, "GetRecords", {"ShardIterator": got["ShardIterator"]})
    assert status == 200 and records["Records"][0]["Data"] == b"\x01cbor\x02"
    assert records["Records"][0]["SequenceNumber"] == put["SequenceNumber"]
    status, error = _cbor(
        server, "DescribeStream", {"StreamARN": f"arn:aws:kinesis:us-east-1:000000000000:stream/{name}x"}
    )
    assert status == 400 and error["__type"] == "ResourceNotFoundException"


def test_cbor_timestamps_are_epoch_milliseconds_as_the_java_sdk_writes_them(server: ServerProcess) -> None:
    name = _name()
    _cbor(server, "CreateStream", {"StreamName": name, "ShardCount": 1})
    _cbor(server, "PutRecord", {"StreamName": name, "PartitionKey": "k", "Data": b"java"})
    an_hour_ago = int((dt.datetime.now(dt.UTC).timestamp() - 3600) * 1000)
    status, found = _cbor(
        server,
        "GetShardIterator",
        {"StreamName": name, "ShardId": "shardId-000000000000", "ShardIteratorType": "AT_TIMESTAMP",
         "Timestamp": cbor2.CBORTag(1, an_hour_ago)},
    )  # fmt: skip
    assert status == 200
    headers = {"Content-Type": CBOR, "X-Amz-Target": "Kinesis_20131202.GetRecords",
               "Authorization": AUTH.format(service="kinesis")}  # fmt: skip
    _, _, raw = post(server.endpoint, cbor2.dumps({"ShardIterator": found["ShardIterator"]}), headers)
    assert b"ApproximateArrivalTimestamp\xc1\x1b" in raw  # tag 1, then an 8-byte unsigned integer of milliseconds
