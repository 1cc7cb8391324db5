"""SQS -> event source mapping -> function, side by side: Eventyard (SQLite, durable) against ministack.

Each server gets the same work: a queue filled with N messages, a zip function (``python3.12``,
a handler that counts its records and returns), then a mapping (BatchSize 10, the default) is
created and the clock runs until the queue is empty (no message visible or in flight). The figure
is messages per second from the mapping's creation to the empty queue: polling, invoking, deleting.
"""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import boto3
from botocore.config import Config

from bench.servers import Running, eventyard, peer

HANDLER = "def handler(event, context):\n    return {'handled': len(event['Records'])}\n"
ROLE = "arn:aws:iam::000000000000:role/lambda"


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"max_attempts": 0}, read_timeout=120),
    )  # fmt: skip


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def _left(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _measure(server: Running, messages: int, batch_size: int, tag: str, timeout: float) -> float:
    sqs, lam = _client(server.endpoint, "sqs"), _client(server.endpoint, "lambda")
    url = sqs.create_queue(QueueName=f"bench-{tag}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = f"bench-{tag}"
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Handler="app.handler", Role=ROLE, Code={"ZipFile": _zip()}, Timeout=30
    )
    deadline = time.monotonic() + 30
    while lam.get_function(FunctionName=name)["Configuration"].get("State") != "Active":
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name}: the function never became Active")
        time.sleep(0.1)
    lam.invoke(FunctionName=name, Payload=b'{"Records": []}')  # a warm worker, for both alike
    for start in range(0, messages, 10):
        entries = [{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    started = time.monotonic()
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=batch_size)
    while _left(sqs, url) > 0:
        if time.monotonic() - started > timeout:
            return messages / timeout  # (a floor: it had not finished)
        time.sleep(0.05)
    return messages / (time.monotonic() - started)


def run(quick: bool = False) -> str:
    messages = 1_000 if quick else 5_000
    rows: dict[str, dict[str, float]] = {}
    starters = [("eventyard", eventyard), ("ministack", lambda: peer("ministack"))]
    for round_ in range(1 if quick else 2):
        for name, start in starters:
            server = start()
            if server is None:
                continue
            try:
                figures = rows.setdefault(name, {})
                for batch_size in (10,):
                    figure = f"{messages:,} messages, BatchSize {batch_size}: messages/s"
                    rate = _measure(server, messages, batch_size, f"{round_}-{batch_size}", timeout=300)
                    figures[figure] = max(figures.get(figure, 0.0), rate)
            finally:
                server.stop()
    peers = [p for p in rows if p != "eventyard"]
    lines = [
        "| figure | eventyard (SQLite, durable) | " + " | ".join(peers) + " | "
        + " | ".join(f"ratio vs {p}" for p in peers) + " |",
        "|---|" + "---:|" * (1 + 2 * len(peers)),
    ]  # fmt: skip
    for figure, ours in rows.get("eventyard", {}).items():
        cells = [f"{rows[p].get(figure, 0):,.0f}" for p in peers]
        ratios = [f"{ours / rows[p][figure]:.2f}x" if rows[p].get(figure) else "n/a" for p in peers]
        lines.append(f"| {figure} | {ours:,.0f} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines) + (
        "\n\n(each server twice, best kept; from CreateEventSourceMapping to an empty queue: poll, invoke a"
        " warm zip function, delete)"
    )
