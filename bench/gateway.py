"""Gateway overhead: a minimal valid AWS JSON request through the whole gateway vs a bare ASGI app.

Both run on the same stack (uvicorn + uvloop + httptools, one process) under the same wrk load. The
request is SQS ``GetQueueUrl`` for a queue that exists (parse, SigV4 scope, route, validate against
botocore's model, run, serialise): the call every SQS client makes first, answered from the queue
service's cache, so the gateway is what gets measured. Goal: the gateway keeps at least 70% of the
bare rate.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import tempfile

from bench.load import Request, run_load
from bench.servers import bare, eventyard

REQUEST = Request("AmazonSQS.GetQueueUrl", [b'{"QueueName": "bench-gateway"}'])


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


def _profile() -> str:
    import asyncio

    import eventyard
    from eventyard.gateway.app import Gateway

    async def drive() -> None:
        async with eventyard.open(f"{tempfile.mkdtemp()}/yard.db") as yard:  # as served: SQLite, durable
            await yard.client("sqs").create_queue(QueueName="bench-gateway")
            gateway = Gateway(yard)
            headers = [
                (b"x-amz-target", REQUEST.target.encode()),
                (b"content-type", b"application/x-amz-json-1.0"),
                (b"host", b"127.0.0.1:4566"),
            ]
            scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": headers}

            async def receive():
                return {"type": "http.request", "body": REQUEST.bodies[0], "more_body": False}

            async def send(message):
                return None

            for _ in range(20_000):
                await gateway(scope, receive, send)

    profile = cProfile.Profile()
    profile.enable()
    asyncio.run(drive())
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(8)
    return "\n".join(line for line in out.getvalue().splitlines() if line.strip())[-1800:]
