"""Gateway overhead: a minimal valid AWS JSON request through the whole gateway vs a bare ASGI app,
and the gateway's own cost per call for the hot operations.

Served: both run on the same stack (uvicorn + uvloop + httptools, one process) under the same wrk
load. The request is SQS ``GetQueueUrl`` for a queue that exists (parse, SigV4 scope, route,
validate against botocore's model, run, serialise): the call every SQS client makes first, answered
from the queue service's cache, so the gateway is what gets measured. Goal: the gateway keeps at
least 70% of the bare rate.

In-process: SQS ``SendMessage``, ``ReceiveMessage`` (ten messages with their attributes) and
EventBridge ``PutEvents`` (ten entries) through the ASGI app, with the operation answered from a
recording of its real answer after the model's validation: the figure is the protocol layer's own
microseconds per call (read, route, parse, validate, serialise, send), free of storage and of the
load generator, so a change to the gateway shows up even on a busy machine.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import pstats
import tempfile
import time
from typing import Any

from bench.load import Request, run_load
from bench.servers import bare, eventyard

REQUEST = Request("AmazonSQS.GetQueueUrl", [b'{"QueueName": "bench-gateway"}'])
QUEUE_URL = "http://127.0.0.1:4566/000000000000/bench-gateway"
ATTRIBUTES = {"kind": {"DataType": "String", "StringValue": "order"}}
#: (service, target, content type, body) of each call timed in-process.
RECEIVE = {
    "QueueUrl": QUEUE_URL,
    "MaxNumberOfMessages": 10,
    "MessageSystemAttributeNames": ["All"],
    "MessageAttributeNames": ["All"],
}
ENTRIES = [{"Source": "bench.orders", "DetailType": "Placed", "Detail": json.dumps({"order": i})} for i in range(10)]
HOT_CALLS = [
    ("sqs", "AmazonSQS.GetQueueUrl", "1.0", {"QueueName": "bench-gateway"}),
    ("sqs", "AmazonSQS.SendMessage", "1.0", {"QueueUrl": QUEUE_URL, "MessageBody": "x" * 200}),
    ("sqs", "AmazonSQS.ReceiveMessage", "1.0", RECEIVE),
    ("events", "AWSEvents.PutEvents", "1.1", {"Entries": ENTRIES}),
]


def run(quick: bool = False) -> str:
    seconds = 2.0 if quick else 8.0
    rows = []
    rates = {}
    for start in (bare, eventyard):
        server = start()
        try:
            if server.name != "bare ASGI":
                _create_queue(server.endpoint)
            run_load(server.endpoint, REQUEST, seconds=1.0)  # warm-up
            result = run_load(server.endpoint, REQUEST, seconds=seconds)
        finally:
            server.stop()
        rates[server.name] = result.rate
        rows.append(f"| {server.name} | {result.rate:,.0f} | {result.errors} | {result.tool} |")
    baseline = rates["bare ASGI"]
    ours = rates["eventyard (SQLite, durable)"]
    lines = [
        "| server | requests/s | errors | load |",
        "|---|---:|---:|---|",
        *rows,
        "",
        f"Gateway keeps **{ours / baseline:.0%}** of the bare ASGI rate (goal: at least 70%).",
        "",
        "The gateway's own cost per call, in-process (operation answered from a recording after validation):",
        "",
        "| call | µs/call (best of 5) |",
        "|---|---:|",
        *(f"| {target} | {micros:.1f} |" for target, micros in asyncio.run(_hot_calls(2_000 if quick else 20_000))),
        "",
        "What dominates the gateway's own time (in-process profile of 20,000 calls):",
        "",
        "```",
        _profile(),
        "```",
    ]
    return "\n".join(lines)


def _create_queue(endpoint: str) -> None:
    import boto3

    sqs = boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="x"
    )
    sqs.create_queue(QueueName="bench-gateway")


async def _call(gateway: Any, scope: dict[str, Any], body: bytes) -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        return None

    await gateway(scope, receive, send)


def _scope(target: str, version: str) -> dict[str, Any]:
    headers = [
        (b"x-amz-target", target.encode()),
        (b"content-type", f"application/x-amz-json-{version}".encode()),
        (b"host", b"127.0.0.1:4566"),
        (b"authorization", b"AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/sqs/aws4_request, Signature=0"),
    ]
    return {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": headers}


async def _hot_calls(count: int) -> list[tuple[str, float]]:
    import eventyard
    from eventyard.gateway.app import Gateway
    from eventyard.service import RequestContext

    async with eventyard.open("memory://") as yard:
        context = RequestContext()
        await yard.api.dispatch("sqs", "CreateQueue", {"QueueName": "bench-gateway"}, context)
        for i in range(10):
            request = {"QueueUrl": QUEUE_URL, "MessageBody": f"message {i}", "MessageAttributes": ATTRIBUTES}
            await yard.api.dispatch("sqs", "SendMessage", request, context)
        recorded = {}
        for service, target, _, body in HOT_CALLS:
            operation = target.split(".")[1]
            recorded[operation] = await yard.api.dispatch(service, operation, body, context)
        assert len(recorded["ReceiveMessage"]["Messages"]) == 10
        real_api = yard.api

        class Recording:
            """The real validation, then the recorded answer: only the gateway is left to time."""

            services = real_api.services

            def served(self, service: str) -> bool:
                return real_api.served(service)

            def operation(self, service: str, operation: str) -> Any:
                return real_api.operation(service, operation)

            async def dispatch(self, service: str, operation: str, request: Any, context: Any, **_: Any) -> Any:
                real_api.operation(service, operation)[0].validate(operation, request)
                return recorded[operation]

        yard.api = Recording()  # type: ignore[assignment]
        try:
            gateway = Gateway(yard)
            figures = []
            for _service, target, version, body in HOT_CALLS:
                scope, raw = _scope(target, version), json.dumps(body).encode()
                best = float("inf")
                for _ in range(5):
                    started = time.perf_counter()
                    for _ in range(count):
                        await _call(gateway, scope, raw)
                    best = min(best, (time.perf_counter() - started) / count)
                figures.append((target, best * 1e6))
            return figures
        finally:
            yard.api = real_api


def _profile() -> str:
    import eventyard
    from eventyard.gateway.app import Gateway

    async def drive() -> None:
        async with eventyard.open(f"{tempfile.mkdtemp()}/yard.db") as yard:  # as served: SQLite, durable
            await yard.client("sqs").create_queue(QueueName="bench-gateway")
            gateway = Gateway(yard)
            scope = _scope(REQUEST.target, "1.0")
            for _ in range(20_000):
                await _call(gateway, scope, REQUEST.bodies[0])

    profile = cProfile.Profile()
    profile.enable()
    asyncio.run(drive())
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(8)
    return "\n".join(line for line in out.getvalue().splitlines() if line.strip())[-1800:]
