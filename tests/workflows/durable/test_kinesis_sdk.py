"""``aws-sdk:kinesis:*`` tasks: PutRecord and GetRecords end to end, blobs as base64 text.

A Task's parameters and result are JSON, which has no bytes: an AWS SDK integration takes and gives
a blob member (PutRecord's ``Data``, GetRecords' ``Records[].Data``) as its base64 text, the form the
service's JSON wire protocol uses; ``States.Base64Encode``/``States.Base64Decode`` convert.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import eventyard
from tests.workflows.durable.conftest import Catalogue
from tests.workflows.durable.test_engine import describe, history, run

PUT_AND_READ = {
    "StartAt": "Put",
    "States": {
        "Put": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:kinesis:putRecord",
            "Parameters": {
                "StreamName": "orders",
                "PartitionKey.$": "$.customer",
                "Data.$": "States.Base64Encode($.body)",
            },
            "ResultPath": "$.put",
            "Next": "Iterator",
        },
        "Iterator": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:kinesis:getShardIterator",
            "Parameters": {
                "StreamName": "orders",
                "ShardId.$": "$.put.ShardId",
                "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                "StartingSequenceNumber.$": "$.put.SequenceNumber",
            },
            "ResultPath": "$.iterator",
            "Next": "Get",
        },
        "Get": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:kinesis:getRecords",
            "Parameters": {"ShardIterator.$": "$.iterator.ShardIterator", "Limit": 1},
            "ResultSelector": {"record.$": "$.Records[0]", "text.$": "States.Base64Decode($.Records[0].Data)"},
            "ResultPath": "$.got",
            "End": True,
        },
    },
}


async def test_put_record_then_get_records_round_trips_the_data(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    await yard.client("kinesis").create_stream(StreamName="orders", ShardCount=2)
    arn = await catalogue.add("put-and-read", PUT_AND_READ)
    execution = await run(yard, arn, {"customer": "c-1", "body": '{"order": 7}'})
    described = await describe(yard, execution)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["put"]["SequenceNumber"] == output["got"]["record"]["SequenceNumber"]
    assert output["put"]["ShardId"].startswith("shardId-")
    assert output["got"]["text"] == '{"order": 7}'
    assert output["got"]["record"]["Data"] == base64.b64encode(b'{"order": 7}').decode()
    assert output["got"]["record"]["PartitionKey"] == "c-1"


async def test_the_record_put_by_a_task_is_the_bytes_the_base64_text_stands_for(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    kinesis = yard.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    raw = bytes(range(256))
    arn = await catalogue.add(
        "put-bytes",
        {
            "StartAt": "Put",
            "States": {
                "Put": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:kinesis:putRecord",
                    "Parameters": {"StreamName": "orders", "PartitionKey": "k", "Data.$": "$.data"},
                    "End": True,
                }
            },
        },
    )
    execution = await run(yard, arn, {"data": base64.b64encode(raw).decode()})
    assert (await describe(yard, execution))["status"] == "SUCCEEDED"
    iterator = (
        await kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )
    )["ShardIterator"]
    [record] = (await kinesis.get_records(ShardIterator=iterator))["Records"]
    assert record["Data"] == raw


async def test_data_that_is_not_base64_fails_the_task(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    await yard.client("kinesis").create_stream(StreamName="orders", ShardCount=1)
    arn = await catalogue.add(
        "put-text",
        {
            "StartAt": "Put",
            "States": {
                "Put": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:kinesis:putRecord",
                    "Parameters": {"StreamName": "orders", "PartitionKey": "k", "Data": "not base64!"},
                    "End": True,
                }
            },
        },
    )
    execution = await run(yard, arn)
    described: dict[str, Any] = await describe(yard, execution)
    assert described["status"] == "FAILED"
    assert described["error"] == "Kinesis.SerializationException"
    failed = next(e for e in await history(yard, execution) if e["type"] == "TaskFailed")
    assert "base64" in failed["taskFailedEventDetails"]["cause"]


async def test_a_missing_stream_fails_with_the_sdk_error_name(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    arn = await catalogue.add(
        "put-nowhere",
        {
            "StartAt": "Put",
            "States": {
                "Put": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:kinesis:putRecord",
                    "Parameters": {"StreamName": "nowhere", "PartitionKey": "k", "Data": "eA=="},
                    "End": True,
                }
            },
        },
    )
    described = await describe(yard, await run(yard, arn))
    assert (described["status"], described["error"]) == ("FAILED", "Kinesis.ResourceNotFoundException")


async def test_kinesis_puts_commit_with_the_tasks_success(yard: eventyard.Yard) -> None:
    """PutRecord and PutRecords have staged forms, so a task's put is written in the execution's
    checkpoint that records the task's success: exactly once, like sqs:sendMessage."""
    assert yard.api.can_stage("kinesis", "PutRecord") and yard.api.can_stage("kinesis", "PutRecords")
