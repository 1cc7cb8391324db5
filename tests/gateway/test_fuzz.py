"""Whatever a client throws at the gateway (bodies, headers, targets, paths), it never answers 500."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventyard
from eventyard.gateway.app import Gateway
from eventyard.gateway.protocols import eventstream
from tests.gateway import asgi
from tests.gateway.asgi import AUTH
from tests.gateway.test_query_sns import FakeSns
from tests.gateway.test_rest_json import FakeLambda

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


# --- REST-JSON (a fake Lambda) and query forms (SQS and a fake SNS) --------------------------------

REST_PATHS = [
    "/2015-03-31/functions",
    "/2015-03-31/functions/",
    "/2015-03-31/functions/{label}",
    "/2015-03-31/functions/{label}/invocations",
    "/2021-11-15/functions/{label}/response-streaming-invocations",
    "/2015-03-31/functions/{label}/versions",
    "/2017-03-31/tags/{label}",
    "/",
    "/{label}",
]
labels = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=20).map(
    lambda text: urllib.parse.quote(text, safe="")
)
scopes = st.sampled_from(["lambda", "sns", "sqs", "s3", "dynamodb", "kinesis", "nope", ""])
query_strings = st.lists(
    st.tuples(st.sampled_from(["MaxItems", "Marker", "Qualifier", "FunctionVersion", "x", "Action"]), header_values),
    max_size=4,
).map(lambda pairs: urllib.parse.urlencode(pairs).encode())
rest_headers = st.dictionaries(
    st.sampled_from(["x-amz-invocation-type", "x-amz-log-type", "x-amz-client-context", "content-type", "x-amz-date"]),
    header_values,
    max_size=4,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path=st.sampled_from(REST_PATHS),
    label=labels,
    query_string=query_strings,
    headers=rest_headers,
    scope=scopes,
    body=bodies,
)
def test_rest_requests_never_answer_500(method, path, label, query_string, headers, scope, body) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    if scope:
        raw.append((b"authorization", AUTH.format(service=scope).encode()))
    status = asyncio.run(_one_rest(method, path.format(label=label), query_string, raw, body))
    assert status < 500, f"{method} {path} {label} {query_string!r} {headers} {scope} {body[:80]!r} -> {status}"


async def _one_rest(
    method: str, path: str, query_string: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> int:
    async with eventyard.open("memory://") as yard:
        yard.services["lambda"] = FakeLambda(yard)
        yard.services["sns"] = FakeSns(yard)
        response = await asgi.call(
            Gateway(yard), method, urllib.parse.unquote(path), query_string=query_string, headers=headers, body=body,
            raw_path=path.encode(),
        )  # fmt: skip
        return response.status


form_keys = st.sampled_from(
    ["Action", "TopicArn", "QueueUrl", "Message", "MessageAttributes.entry.1.Name", "MessageAttributes.entry.1.Value",
     "MessageAttributes.entry.1.Value.DataType", "Attributes.entry.1.key", "Tags.member.1.Key", "Label",
     "AWSAccountId.member.1", "ActionName.1", "MaxNumberOfMessages", "Attribute.1.Name", "Name", "QueueName"]
)  # fmt: skip
actions = st.sampled_from(["Publish", "CreateTopic", "ListTopics", "AddPermission", "SendMessage", "CreateQueue",
                           "GetTopicAttributes", "Nope", ""])  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(action=actions, form=st.dictionaries(form_keys, header_values, max_size=6), scope=scopes)
def test_query_forms_never_answer_500(action, form, scope) -> None:
    body = urllib.parse.urlencode({**form, "Action": action}).encode()
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    if scope:
        headers.append((b"authorization", AUTH.format(service=scope).encode()))
    status = asyncio.run(_one_rest("POST", "/", b"", headers, body))
    assert status < 500, f"{action} {form} {scope} -> {status}"


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_event_stream_decoding_refuses_garbage_with_a_framing_error(data: bytes) -> None:
    try:
        eventstream.decode(data)
    except eventstream.FramingError:
        pass
