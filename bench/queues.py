"""SQS side by side: Eventyard (SQLite, durable) against ministack (and moto when installed).

Same load for each server from the light generator (wrk, or the asyncio flow client for
receive+delete), on an empty queue and on a queue with 100,000 messages of backlog. The figure is
messages per second; the table gives Eventyard's ratio to each peer.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import boto3
from botocore.config import Config

from bench.flows import run_flow
from bench.load import Request, boto3_load, run_load
from bench.servers import Running, eventyard, peer

BACKLOG = 100_000


def _client(endpoint: str) -> Any:
    return boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"max_attempts": 0}),
    )  # fmt: skip


def _fill(endpoint: str, url: str, count: int) -> None:
    """Batched sends from wrk until the queue holds ``count`` messages."""
    client = _client(endpoint)
    while int(client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
              ["Attributes"]["ApproximateNumberOfMessages"]) < count:  # fmt: skip
        run_load(endpoint, _batch_request(url), seconds=1.0, connections=16)


def _send_request(url: str) -> Request:
    return Request("AmazonSQS.SendMessage", [json.dumps({"QueueUrl": url, "MessageBody": "x" * 200}).encode()])


def _batch_request(url: str) -> Request:
    entries = [{"Id": str(i), "MessageBody": "x" * 200} for i in range(10)]
    return Request("AmazonSQS.SendMessageBatch", [json.dumps({"QueueUrl": url, "Entries": entries}).encode()])


def _boto3_sender(endpoint: str, url: str, batch: bool) -> Any:
    client = _client(endpoint)
    entries = [{"Id": str(i), "MessageBody": "x" * 200} for i in range(10)]

    def step() -> int:
        if batch:
            client.send_message_batch(QueueUrl=url, Entries=entries)
            return 10
        client.send_message(QueueUrl=url, MessageBody="x" * 200)
        return 1

    return step


def _boto3_consumer(endpoint: str, url: str) -> Any:
    client = _client(endpoint)

    def step() -> int:
        messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if messages:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            client.delete_message_batch(QueueUrl=url, Entries=entries)
        return len(messages)

    return step


def _measure_boto3(server: Running, seconds: float) -> dict[str, float]:
    """The figure a user sees: boto3 from four processes (a boto3 call costs ~1 ms of client CPU)."""
    url = _client(server.endpoint).create_queue(QueueName="bench-boto3")["QueueUrl"]
    return {
        "boto3 x4 processes: SendMessage": boto3_load(
            partial(_boto3_sender, server.endpoint, url, False), seconds=seconds
        ).rate,
        "boto3 x4 processes: SendMessageBatch, msgs": boto3_load(
            partial(_boto3_sender, server.endpoint, url, True), seconds=seconds
        ).rate,
        "boto3 x4 processes: Receive+DeleteBatch, msgs": boto3_load(
            partial(_boto3_consumer, server.endpoint, url), seconds=seconds
        ).rate,
    }


def _measure(server: Running, seconds: float, backlog: int) -> dict[str, float]:
    client = _client(server.endpoint)
    figures: dict[str, float] = {}
    tag = "" if backlog == 0 else " (100k backlog)"
    url = client.create_queue(QueueName=f"bench-send-{backlog}")["QueueUrl"]
    if backlog:
        _fill(server.endpoint, url, backlog)
    figures[f"SendMessage{tag}"] = run_load(server.endpoint, _send_request(url), seconds=seconds).rate
    figures[f"SendMessageBatch, msgs{tag}"] = run_load(server.endpoint, _batch_request(url), seconds=seconds).rate * 10
    if backlog:
        figures[f"Receive+DeleteBatch, msgs{tag}"] = run_flow(
            server.endpoint, "receive_delete", {"url": url}, seconds=seconds
        ).rate
    else:  # no backlog: each lane sends a batch and then receives and deletes, so the queue stays near empty
        fresh = client.create_queue(QueueName="bench-equilibrium")["QueueUrl"]
        figures["SendBatch+Receive+DeleteBatch, msgs consumed"] = run_flow(
            server.endpoint, "produce_consume", {"url": fresh}, seconds=seconds
        ).rate
    return figures


def run(quick: bool = False) -> str:
    seconds = 2.0 if quick else 5.0
    backlog = 10_000 if quick else BACKLOG
    results: dict[str, dict[str, float]] = {}
    starters = [
        ("eventyard", lambda: eventyard()),
        ("ministack", lambda: peer("ministack")),
        ("moto", lambda: peer("moto")),
    ]
    for name, start in starters:
        server = start()
        if server is None:
            continue
        try:
            figures = _measure(server, seconds, 0)
            figures |= _measure(server, seconds, backlog)
            figures |= _measure_boto3(server, seconds)
            results[name] = figures
        finally:
            server.stop()
    return _table(results)


def _table(results: dict[str, dict[str, float]]) -> str:
    peers = [name for name in results if name != "eventyard"]
    header = (
        "| operation | eventyard (SQLite, durable) | "
        + " | ".join(peers)
        + " | "
        + " | ".join(f"ratio vs {p}" for p in peers)
        + " |"
    )
    lines = [header, "|---|" + "---:|" * (1 + 2 * len(peers))]
    for operation, ours in results["eventyard"].items():
        cells = [f"{results[p].get(operation, 0):,.0f}" for p in peers]
        ratios = [f"{ours / results[p][operation]:.2f}x" if results[p].get(operation) else "n/a" for p in peers]
        lines.append(f"| {operation} | {ours:,.0f} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines) + (
        "\n\n(messages per second; 32 connections from wrk for sends, 32 asyncio lanes for the receive flows;"
        " the backlog rows run on a queue first filled to 100,000 messages and then grown by the send rows)"
    )
