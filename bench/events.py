"""PutEvents -> rule -> SQS target, end to end, side by side with ministack (and moto when installed).

wrk sends PutEvents (one entry per call, and ten) whose events all match one rule targeting an SQS
queue. The clock runs from the first request until the queue holds every accepted event: the figure
is delivered events per second, so a server that accepts fast but delivers late gains nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from botocore.config import Config

from bench.load import Request, run_load
from bench.servers import Running, eventyard, peer


def _clients(endpoint: str) -> tuple[Any, Any]:
    options = dict(
        endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}),
    )  # fmt: skip
    return boto3.client("sqs", **options), boto3.client("events", **options)


def _request(entries: int) -> Request:
    bodies = []
    for variant in range(8):
        batch = [
            {"Source": "bench.orders", "DetailType": "Order Placed",
             "Detail": json.dumps({"order": f"o-{variant}-{i}", "total": 100 + i, "currency": "EUR"})}
            for i in range(entries)
        ]  # fmt: skip
        bodies.append(json.dumps({"Entries": batch}).encode())
    return Request("AWSEvents.PutEvents", bodies, content_type="application/x-amz-json-1.1")


def _depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def _measure(server: Running, entries: int, seconds: float) -> tuple[float, float]:
    sqs, events = _clients(server.endpoint)
    name = f"bench-events-{entries}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["bench.orders"], "detail": {"total": [{"numeric": [">=", 100]}], "currency": ["EUR"]}}
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    started = time.perf_counter()
    result = run_load(server.endpoint, _request(entries), seconds=seconds)
    accepted_rate = result.rate * entries
    expected = (result.requests - result.errors) * entries
    deadline = time.perf_counter() + 120
    delivered = _depth(sqs, url)
    while delivered < expected and time.perf_counter() < deadline:
        time.sleep(0.2)
        delivered = _depth(sqs, url)
    elapsed = time.perf_counter() - started
    return accepted_rate, min(delivered, expected) / elapsed


def run(quick: bool = False) -> str:
    seconds = 2.0 if quick else 5.0
    rows: dict[str, dict[str, float]] = {}
    for name, start in [
        ("eventyard", eventyard),
        ("ministack", lambda: peer("ministack")),
        ("moto", lambda: peer("moto")),
    ]:
        server = start()
        if server is None:
            continue
        try:
            figures: dict[str, float] = {}
            for entries in (1, 10):
                accepted, delivered = _measure(server, entries, seconds)
                figures[f"PutEvents x{entries}: accepted events/s"] = accepted
                figures[f"PutEvents x{entries}: delivered to SQS, events/s"] = delivered
            rows[name] = figures
        finally:
            server.stop()
    peers = [p for p in rows if p != "eventyard"]
    lines = [
        "| figure | eventyard (SQLite, durable) | "
        + " | ".join(peers)
        + " | "
        + " | ".join(f"ratio vs {p}" for p in peers)
        + " |",
        "|---|" + "---:|" * (1 + 2 * len(peers)),
    ]
    for figure, ours in rows["eventyard"].items():
        cells = [f"{rows[p][figure]:,.0f}" for p in peers]
        ratios = [f"{ours / rows[p][figure]:.2f}x" if rows[p][figure] else "n/a" for p in peers]
        lines.append(f"| {figure} | {ours:,.0f} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return (
        "\n".join(lines)
        + "\n\n(32 wrk connections; delivered = events in the target queue / time from first request to last delivery)"
    )
