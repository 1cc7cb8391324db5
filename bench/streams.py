"""Kinesis side by side: Eventyard (SQLite, durable) against ministack (and moto when installed).

PutRecords: wrk replays prepared requests of 100 records of 100 bytes each, partition keys spread
over a 4-shard stream, from 32 connections; the figure is records per second. GetRecords: 32
asyncio lanes (8 per shard) each read their shard from TRIM_HORIZON along NextShardIterator, 1,000
records a call, over what the put phase wrote; the figure is records read per second.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import boto3
from botocore.config import Config

from bench.flows import run_flow
from bench.load import Request, run_load
from bench.servers import Running, eventyard, peer

SHARDS = [f"shardId-00000000000{i}" for i in range(4)]
RECORDS_PER_CALL = 100
READ_LIMIT = 1000


def _client(endpoint: str) -> Any:
    return boto3.client(
        "kinesis", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"max_attempts": 0}),
    )  # fmt: skip


def _put_request(stream: str) -> Request:
    data = base64.b64encode(b"r" * 100).decode()
    bodies = []
    for variant in range(8):
        records = [{"PartitionKey": f"pk-{variant}-{i}", "Data": data} for i in range(RECORDS_PER_CALL)]
        bodies.append(json.dumps({"StreamName": stream, "Records": records}).encode())
    return Request("Kinesis_20131202.PutRecords", bodies, content_type="application/x-amz-json-1.1")


def _create(client: Any, stream: str) -> None:
    client.create_stream(StreamName=stream, ShardCount=len(SHARDS))
    deadline = time.monotonic() + 60
    while client.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise RuntimeError(f"{stream} never became ACTIVE")
        time.sleep(0.2)


def _measure(server: Running, seconds: float) -> dict[str, float]:
    client = _client(server.endpoint)
    stream = "bench-stream"
    _create(client, stream)
    put = run_load(server.endpoint, _put_request(stream), seconds=seconds)
    if put.errors:
        server.notes.append(f"{put.errors} PutRecords calls failed")
    read = run_flow(
        server.endpoint, "read_shard", {"stream": stream, "shards": SHARDS, "limit": READ_LIMIT}, seconds=seconds
    )
    if read.errors:
        server.notes.append(f"{read.errors} GetRecords calls failed")
    return {
        "PutRecords (100 x 100 B per call), records/s": put.rate * RECORDS_PER_CALL,
        "PutRecords calls/s": put.rate,
        f"GetRecords (Limit {READ_LIMIT}), records/s": read.rate,
    }


def run(quick: bool = False) -> str:
    seconds = 2.0 if quick else 5.0
    results: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    for name, start in (
        ("eventyard", eventyard),
        ("ministack", lambda: peer("ministack")),
        ("moto", lambda: peer("moto")),
    ):
        server = start()
        if server is None:
            continue
        try:
            results[name] = _measure(server, seconds)
            notes += [f"{name}: {note}" for note in server.notes]
        finally:
            server.stop()
    return _table(results) + "".join(f"\n\n{note}" for note in notes)


def _table(results: dict[str, dict[str, float]]) -> str:
    peers = [name for name in results if name != "eventyard"]
    header = "| figure | eventyard (SQLite, durable) | " + " | ".join(peers)
    header += " | " + " | ".join(f"ratio vs {p}" for p in peers) + " |"
    lines = [header, "|---|" + "---:|" * (1 + 2 * len(peers))]
    for figure, ours in results["eventyard"].items():
        cells = [f"{results[p].get(figure, 0):,.0f}" for p in peers]
        ratios = [f"{ours / results[p][figure]:.2f}x" if results[p].get(figure) else "n/a" for p in peers]
        lines.append(f"| {figure} | {ours:,.0f} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines)
