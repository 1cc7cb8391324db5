"""The Kinesis event a mapping hands its function, and the on-failure record, shaped as AWS does.

A record per stream record (recorded against AWS: test_create_kinesis_event_source_mapping):
``kinesis`` {kinesisSchemaVersion "1.0", partitionKey, sequenceNumber, data (base64),
approximateArrivalTimestamp (seconds)}, eventSource ``aws:kinesis``, eventVersion ``1.0``,
eventID ``shardId-...:<sequence number>``, eventName ``aws:kinesis:record``, invokeIdentityArn
(the function's role), awsRegion, eventSourceARN. The on-failure record (recorded:
test_kinesis_event_source_mapping_with_on_failure_destination_config) names the batch by shard and
sequence numbers; its ``condition`` says which limit ran out.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any

import orjson


def record(item: dict[str, Any], shard_id: str, source_arn: str, region: str, role: str) -> dict[str, Any]:
    data = item["Data"]
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": item.get("PartitionKey", ""),
            "sequenceNumber": item["SequenceNumber"],
            "data": base64.b64encode(data if isinstance(data, bytes) else bytes(data)).decode("ascii"),
            "approximateArrivalTimestamp": float(item["ApproximateArrivalTimestamp"]),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{item['SequenceNumber']}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role,
        "awsRegion": region,
        "eventSourceARN": source_arn,
    }


def filter_document(shaped: dict[str, Any]) -> dict[str, Any]:
    """What FilterCriteria patterns see: the record, with data that decodes to a JSON object as that object."""
    document = dict(shaped)
    kinesis = dict(shaped["kinesis"])
    try:
        data = orjson.loads(base64.b64decode(kinesis["data"]))
    except (orjson.JSONDecodeError, ValueError):
        data = None
    if isinstance(data, dict):
        kinesis["data"] = data
    document["kinesis"] = kinesis
    document["data"] = kinesis["data"]
    return document


def _iso(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def failure_record(
    records: list[dict[str, Any]],
    *,
    shard_id: str,
    stream_arn: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    status: int,
    function_error: str | None,
    now: float,
) -> dict[str, Any]:
    """What goes to ``DestinationConfig.OnFailure`` for a batch given up on."""
    first, last = records[0]["kinesis"], records[-1]["kinesis"]
    response: dict[str, Any] = {"statusCode": status, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = function_error
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso(now),
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["sequenceNumber"],
            "endSequenceNumber": last["sequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(first["approximateArrivalTimestamp"]),
            "approximateArrivalOfLastRecord": _iso(last["approximateArrivalTimestamp"]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def failed_sequence(result: Any, sequence_numbers: list[str]) -> str | bool | None:
    """The earliest sequence number a ReportBatchItemFailures answer names; None when all
    succeeded; False when the answer is malformed (the whole batch failed)."""
    if result is None or result == "" or result == {}:
        return None
    if not isinstance(result, dict):
        return False
    failures = result.get("batchItemFailures")
    if failures is None or failures == []:
        return None
    if not isinstance(failures, list):
        return False
    order = {seq: i for i, seq in enumerate(sequence_numbers)}
    found: list[int] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in order:
            return False
        found.append(order[identifier])
    return sequence_numbers[min(found)]
