"""Where an asynchronous invocation's record goes: an SQS queue, an SNS topic, a function or an event bus.

The record (AWS-recorded, ``test_lambda_destinations``)::

    {"version": "1.0", "timestamp": "2024-05-01T12:00:00.000Z",
     "requestContext": {"requestId": ..., "functionArn": "arn:...:function:f:$LATEST",
                        "condition": "Success" | "RetriesExhausted" | "EventAgeExceeded",
                        "approximateInvokeCount": 3},
     "requestPayload": <the event>,
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
     "responsePayload": <the result or error document>}

To an event bus it is the ``detail`` of an event with source ``lambda`` and detail-type
``Lambda Function Invocation Result - Success`` (or ``- Failure``), whose resources are the bus and
the function. A DeadLetterConfig queue gets the event itself, with the attributes ``RequestID``,
``ErrorCode`` and ``ErrorMessage``; a topic gets it as the message, with the same attributes.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from eventyard import arn as arns
from eventyard.functions.names import LATEST, FunctionName
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.functions.runner import Outcome
    from eventyard.yard import Yard


def _timestamp(now: float) -> str:
    moment = _dt.datetime.fromtimestamp(now, _dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _json_or_text(body: bytes) -> Any:
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")


@dataclass
class Invocation:
    name: FunctionName
    event: bytes
    request_id: str
    invoke_count: int
    now: float = 0.0

    def _base(self, condition: str) -> dict[str, Any]:
        import time

        function_arn = f"{self.name.arn}:{self.name.qualifier or LATEST}"
        return {
            "version": "1.0",
            "timestamp": _timestamp(self.now or time.time()),
            "requestContext": {
                "requestId": self.request_id,
                "functionArn": function_arn,
                "condition": condition,
                "approximateInvokeCount": self.invoke_count,
            },
            "requestPayload": _json_or_text(self.event),
        }

    def success(self, outcome: Outcome) -> dict[str, Any]:
        record = self._base("Success")
        record["responseContext"] = {"statusCode": 200, "executedVersion": outcome.executed_version}
        record["responsePayload"] = _json_or_text(outcome.payload)
        return record

    def failure(self, outcome: Outcome | None, condition: str, error: Exception) -> dict[str, Any]:
        record = self._base(condition)
        if outcome is not None:
            record["responseContext"] = {
                "statusCode": 200,
                "executedVersion": outcome.executed_version,
                "functionError": outcome.function_error or "Unhandled",
            }
            record["responsePayload"] = _json_or_text(outcome.payload)
        else:
            record["responseContext"] = {"statusCode": int(getattr(error, "status", 500)), "executedVersion": LATEST}
            record["responsePayload"] = {"errorMessage": str(error), "errorType": type(error).__name__}
        return record


def _context(target: str, yard: Yard) -> tuple[RequestContext, arns.Arn]:
    parts = arns.parse(target)
    if parts is None:
        raise ValueError(f"not an ARN: {target}")
    return RequestContext(account=parts.account, region=parts.region, endpoint=yard.endpoint), parts


async def send(yard: Yard, destination: str, record: dict[str, Any], name: FunctionName) -> None:
    """Send ``record`` to ``destination`` through that service's own operation."""
    context, parts = _context(destination, yard)
    body = orjson.dumps(record).decode()
    if parts.service == "sqs":
        url = f"{yard.endpoint}/{parts.account}/{parts.resource}"
        await yard.call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": body}, context, trusted=True)
    elif parts.service == "sns":
        await yard.call("sns", "Publish", {"TopicArn": destination, "Message": body}, context, trusted=True)
    elif parts.service == "lambda":
        request = {"FunctionName": destination, "InvocationType": "Event", "Payload": body.encode()}
        await yard.call("lambda", "Invoke", request, context, trusted=True)
    elif parts.service == "events":
        success = record["requestContext"]["condition"] == "Success"
        entry = {
            "Source": "lambda",
            "DetailType": f"Lambda Function Invocation Result - {'Success' if success else 'Failure'}",
            "Detail": body,
            "EventBusName": destination,
            "Resources": [destination, record["requestContext"]["functionArn"]],
        }
        await yard.call("events", "PutEvents", {"Entries": [entry]}, context, trusted=True)
    else:
        raise ValueError(f"not a destination Eventyard serves: {destination}")


async def send_dead_letter(
    yard: Yard, target: str, invocation: Invocation, outcome: Outcome | None, error: Exception
) -> None:
    """The function's DeadLetterConfig: the event itself, with why it failed as attributes."""
    context, parts = _context(target, yard)
    document = _json_or_text(outcome.payload) if outcome is not None else None
    message = document.get("errorMessage") if isinstance(document, dict) else str(error)
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": invocation.request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": str(message)[:1000] or "error"},
    }
    body = invocation.event.decode("utf-8") or "{}"
    if parts.service == "sqs":
        url = f"{yard.endpoint}/{parts.account}/{parts.resource}"
        request = {"QueueUrl": url, "MessageBody": body, "MessageAttributes": attributes}
        await yard.call("sqs", "SendMessage", request, context, trusted=True)
    elif parts.service == "sns":
        request = {"TopicArn": target, "Message": body, "MessageAttributes": attributes}
        await yard.call("sns", "Publish", request, context, trusted=True)
    else:
        raise ValueError(f"a dead-letter target must be a queue or a topic: {target}")
