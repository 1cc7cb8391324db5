"""The SQS event a mapping hands its function, shaped as AWS shapes it, and what the answer says.

A record per message (AWS's ``SQSEvent``): ``messageId``, ``receiptHandle``, ``body``, the system
``attributes`` (ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp;
for FIFO also SequenceNumber, MessageGroupId, MessageDeduplicationId), ``messageAttributes`` in
camel case (``stringValue``/``binaryValue``, ``stringListValues``, ``binaryListValues``,
``dataType``), ``md5OfMessageAttributes`` when there are attributes, ``md5OfBody``, ``eventSource``
``aws:sqs``, ``eventSourceARN`` and ``awsRegion`` (recorded against AWS:
test_message_body_and_attributes_passed_correctly).
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

EVENT_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
)


def record(message: dict[str, Any], source_arn: str, region: str) -> dict[str, Any]:
    """One received message (ReceiveMessage's shape) as a record of the SQS event."""
    attributes = message.get("Attributes") or {}
    shaped: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {name: attributes[name] for name in EVENT_ATTRIBUTES if name in attributes},
        "messageAttributes": {
            name: _attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
        },
    }
    if message.get("MD5OfMessageAttributes"):
        shaped["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    shaped.update(
        {"md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": source_arn, "awsRegion": region}
    )
    return shaped


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = _b64(value["BinaryValue"])
    shaped["stringListValues"] = list(value.get("StringListValues") or [])
    shaped["binaryListValues"] = [_b64(item) for item in value.get("BinaryListValues") or []]
    shaped["dataType"] = value["DataType"]
    return shaped


def _b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else str(value).encode()
    return base64.b64encode(raw).decode("ascii")


def filter_document(shaped: dict[str, Any]) -> dict[str, Any]:
    """What FilterCriteria patterns see: the record, with a JSON body as the object it holds."""
    document = dict(shaped)
    try:
        body = orjson.loads(shaped["body"])
    except orjson.JSONDecodeError:
        return document
    if isinstance(body, dict):
        document["body"] = body
    return document


def failed_ids(result: Any, batch_ids: list[str]) -> set[str] | None:
    """The message ids a ReportBatchItemFailures answer names; None when the answer is malformed
    (AWS then takes the whole batch as failed). An empty, null or ``{}`` answer means all succeeded."""
    if result is None or result == "" or result == {}:
        return set()
    if not isinstance(result, dict):
        return None
    failures = result.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    known = set(batch_ids)
    found: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in known:
            return None
        found.add(identifier)
    return found
