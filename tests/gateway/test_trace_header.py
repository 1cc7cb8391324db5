"""SQS takes an X-Ray ``X-Amzn-Trace-Id`` header as the ``AWSTraceHeader`` of every message sent
(SendMessage and SendMessageBatch), over both SQS protocols; a message's own attribute wins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

import eventyard
from eventyard.gateway.app import Gateway
from tests.gateway.asgi import AUTH, call

TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
OWN = "Root=1-00000000-000000000000000000000001"


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async with eventyard.open("memory://") as yard:
        yield Gateway(yard)


async def sqs_json(gateway: Gateway, operation: str, request: dict[str, Any], trace: str | None) -> Any:
    headers = {
        "x-amz-target": f"AmazonSQS.{operation}",
        "content-type": "application/x-amz-json-1.0",
        "authorization": AUTH.format(service="sqs"),
    }
    if trace:
        headers["x-amzn-trace-id"] = trace
    response = await call(gateway, "POST", "/", headers=headers, body=orjson.dumps(request))
    assert response.status == 200, response.body
    return orjson.loads(response.body)


async def traces(gateway: Gateway, url: str) -> list[str | None]:
    got = await sqs_json(
        gateway,
        "ReceiveMessage",
        {"QueueUrl": url, "MaxNumberOfMessages": 10, "MessageSystemAttributeNames": ["AWSTraceHeader"]},
        None,
    )
    return sorted((m.get("Attributes") or {}).get("AWSTraceHeader") or "" for m in got.get("Messages", []))


async def test_the_header_becomes_each_messages_trace_and_an_own_attribute_wins(gateway: Gateway) -> None:
    url = (await sqs_json(gateway, "CreateQueue", {"QueueName": "traced"}, None))["QueueUrl"]
    await sqs_json(gateway, "SendMessage", {"QueueUrl": url, "MessageBody": "one"}, TRACE)
    own = {"AWSTraceHeader": {"DataType": "String", "StringValue": OWN}}
    entries = [
        {"Id": "a", "MessageBody": "two"},
        {"Id": "b", "MessageBody": "three", "MessageSystemAttributes": own},
    ]
    await sqs_json(gateway, "SendMessageBatch", {"QueueUrl": url, "Entries": entries}, TRACE)
    await sqs_json(gateway, "SendMessage", {"QueueUrl": url, "MessageBody": "untraced"}, None)
    assert await traces(gateway, url) == sorted(["", OWN, TRACE, TRACE])


async def test_the_query_protocol_takes_the_header_too(gateway: Gateway) -> None:
    url = (await sqs_json(gateway, "CreateQueue", {"QueueName": "traced-form"}, None))["QueueUrl"]
    form = urlencode({"Action": "SendMessage", "QueueUrl": url, "MessageBody": "x"}).encode()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "authorization": AUTH.format(service="sqs"),
        "x-amzn-trace-id": TRACE,
    }
    response = await call(gateway, "POST", "/", headers=headers, body=form)
    assert response.status == 200, response.body
    assert await traces(gateway, url) == [TRACE]
