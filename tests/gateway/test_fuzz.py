"""Whatever a client throws at the gateway (bodies, headers, targets, paths), it never answers 500."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventyard
from eventyard.gateway.app import Gateway

TARGETS = [
    "AmazonSQS.SendMessage",
    "AmazonSQS.CreateQueue",
    "AmazonSQS.ReceiveMessage",
    "AWSEvents.PutEvents",
    "AWSEvents.PutRule",
    "AWSStepFunctions.StartExecution",
    "Kinesis_20131202.PutRecord",
    "Kinesis_20131202.PutRecords",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
member_names = st.sampled_from(
    [
        "QueueUrl",
        "QueueName",
        "MessageBody",
        "Entries",
        "Name",
        "EventBusName",
        "StreamName",
        "Data",
        "PartitionKey",
        "stateMachineArn",
        "input",
        "Attributes",
        "MaxNumberOfMessages",
        "DelaySeconds",
        "Records",
    ]
)
bodies = st.one_of(
    st.binary(max_size=200),
    st.dictionaries(member_names, json_values, max_size=5).map(lambda v: json.dumps(v).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


async def call(gateway: Gateway, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": b"", "headers": headers, "scheme": "http"}
    await gateway(scope, receive, send)
    assert sent[0]["type"] == "http.response.start"
    return int(sent[0]["status"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.one_of(st.sampled_from(TARGETS), header_values),
    content_type=st.sampled_from(
        [
            "application/x-amz-json-1.0",
            "application/x-amz-json-1.1",
            "application/x-amz-cbor-1.1",
            "application/x-www-form-urlencoded",
            "text/plain",
            "",
        ]
    ),
    body=bodies,
    authorization=st.one_of(st.just(""), header_values.map(lambda v: "AWS4-HMAC-SHA256 Credential=" + v)),
    path=st.sampled_from(["/", "/000000000000/q", "/_eventyard/clock", "/_eventyard/nope", "/metrics"]),
    method=st.sampled_from(["POST", "GET", "PUT"]),
)
def test_gateway_never_answers_500(target, content_type, body, authorization, path, method) -> None:
    headers = [(b"content-type", content_type.encode()), (b"authorization", authorization.encode())]
    if target:
        headers.append((b"x-amz-target", target.encode()))
    status = asyncio.run(_one(method, path, headers, body))
    assert status < 500, f"{method} {path} {target} {body[:80]!r} -> {status}"


async def _one(method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    async with eventyard.open("memory://") as yard:
        return await call(Gateway(yard), method, path, headers, body)
