"""Load that depends on answers (receive, then delete what came back): an asyncio client in its own
process, speaking raw HTTP/1.1 keep-alive with prepared headers, so the server is what gets measured."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from multiprocessing import get_context
from typing import Any

from bench.load import AUTHORIZATION, LoadResult


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host
        self.state: dict[str, Any] = {}  # what a flow keeps between its steps on this lane

    async def call(
        self, target: str, payload: dict[str, Any], content_type: str = "application/x-amz-json-1.0"
    ) -> tuple[int, dict[str, Any]]:
        body = json.dumps(payload).encode()
        head = (
            f"POST / HTTP/1.1\r\nHost: {self.host}\r\nX-Amz-Target: {target}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"Authorization: {AUTHORIZATION}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        raw = await self.reader.readexactly(length)
        return int(status_line.split()[1]), json.loads(raw) if raw else {}


Flow = Callable[[Connection, int], Awaitable[int]]  # one step on a lane -> units of work done


def run_flow(
    endpoint: str, flow_name: str, args: dict[str, Any], *, seconds: float, connections: int = 32
) -> LoadResult:
    context = get_context("spawn")
    with context.Pool(1) as pool:
        done, elapsed, errors = pool.apply(_worker, (endpoint, flow_name, args, seconds, connections))
    return LoadResult(done, elapsed, errors, "asyncio")


def _worker(
    endpoint: str, flow_name: str, args: dict[str, Any], seconds: float, connections: int
) -> tuple[int, float, int]:
    return asyncio.run(_drive(endpoint, FLOWS[flow_name], args, seconds, connections))


async def _drive(
    endpoint: str, flow: Any, args: dict[str, Any], seconds: float, connections: int
) -> tuple[int, float, int]:
    host = endpoint.split("://", 1)[1].rstrip("/")
    name, port = host.rsplit(":", 1)
    done = errors = 0
    stop_at = time.perf_counter() + seconds

    async def lane(index: int) -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(name, int(port))
        connection = Connection(reader, writer, host)
        while time.perf_counter() < stop_at:
            try:
                units = await flow(connection, args)  # not `done += await ...`: that reads done before awaiting
            except Exception:
                errors += 1
                continue
            done += units
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(lane(i) for i in range(connections)))
    return done, time.perf_counter() - started, errors


async def receive_delete(connection: Connection, args: dict[str, Any]) -> int:
    """ReceiveMessage (10) then DeleteMessageBatch of what came: messages consumed."""
    status, got = await connection.call(
        "AmazonSQS.ReceiveMessage", {"QueueUrl": args["url"], "MaxNumberOfMessages": 10}
    )
    messages = got.get("Messages", [])
    if status != 200:
        raise RuntimeError(got)
    if not messages:
        return 0
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
    status, _ = await connection.call("AmazonSQS.DeleteMessageBatch", {"QueueUrl": args["url"], "Entries": entries})
    if status != 200:
        raise RuntimeError("delete failed")
    return len(messages)


async def produce_consume(connection: Connection, args: dict[str, Any]) -> int:
    """SendMessageBatch (10), then receive and delete: a queue at equilibrium, its depth near zero."""
    entries = [{"Id": str(i), "MessageBody": "x" * 200} for i in range(10)]
    status, _ = await connection.call("AmazonSQS.SendMessageBatch", {"QueueUrl": args["url"], "Entries": entries})
    if status != 200:
        raise RuntimeError("send failed")
    return await receive_delete(connection, args)


async def read_shard(connection: Connection, args: dict[str, Any]) -> int:
    """GetRecords along a shard from its trim horizon (a lane picks its shard; at the end it starts
    over): records read."""
    kinesis = "application/x-amz-json-1.1"
    position = connection.state.get("iterator")
    if position is None:
        if "lane" not in connection.state:  # lanes take the shards in turn
            connection.state["lane"] = next(args.setdefault("lane_numbers", itertools.count()))
        shard = args["shards"][connection.state["lane"] % len(args["shards"])]
        request = {"StreamName": args["stream"], "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}
        status, got = await connection.call("Kinesis_20131202.GetShardIterator", request, kinesis)
        if status != 200:
            raise RuntimeError(got)
        position = got["ShardIterator"]
    status, got = await connection.call(
        "Kinesis_20131202.GetRecords", {"ShardIterator": position, "Limit": args["limit"]}, kinesis
    )
    if status != 200:
        raise RuntimeError(got)
    records = got.get("Records", [])
    connection.state["iterator"] = got.get("NextShardIterator") if records else None
    return len(records)


FLOWS: dict[str, Any] = {
    "receive_delete": receive_delete,
    "produce_consume": produce_consume,
    "read_shard": read_shard,
}
