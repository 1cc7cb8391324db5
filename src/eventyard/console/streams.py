"""Streams: shards and their lineage, a record browser by sequence number or time, consumers."""

from __future__ import annotations

import base64
from typing import Any

from eventyard.console.endpoints import Call, endpoint, pages


@endpoint("GET", "streams")
async def streams(call: Call) -> dict[str, Any]:
    found = []
    for name in await pages(call, "kinesis", "ListStreams", {}, "StreamNames"):
        answer = await call.op("kinesis", "DescribeStreamSummary", {"StreamName": name})
        found.append(answer["StreamDescriptionSummary"])
    return {"streams": found}


@endpoint("GET", "stream")
async def stream(call: Call) -> dict[str, Any]:
    name = call.require("name")
    summary = (await call.op("kinesis", "DescribeStreamSummary", {"StreamName": name}))["StreamDescriptionSummary"]
    shards = await pages(call, "kinesis", "ListShards", {"StreamName": name}, "Shards")
    consumers = await pages(call, "kinesis", "ListStreamConsumers", {"StreamARN": summary["StreamARN"]}, "Consumers")
    return {"stream": summary, "shards": shards, "consumers": consumers}


def _decoded(data: Any) -> str:
    raw = data if isinstance(data, bytes) else base64.b64decode(data)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(raw).decode()


@endpoint("GET", "stream/records")
async def records(call: Call) -> dict[str, Any]:
    """Up to ``limit`` records of one shard: from ``sequence`` (at it), from ``time`` (epoch seconds),
    or from the oldest (``TRIM_HORIZON``); ``after`` continues past a record already shown."""
    request: dict[str, Any] = {"StreamName": call.require("name"), "ShardId": call.require("shard")}
    if call.get("after"):
        request |= {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": call.get("after")}
    elif call.get("sequence"):
        request |= {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": call.get("sequence")}
    elif call.get("time"):
        request |= {"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": float(call.get("time"))}
    else:
        request["ShardIteratorType"] = "TRIM_HORIZON"
    iterator = (await call.op("kinesis", "GetShardIterator", request))["ShardIterator"]
    limit = min(int(call.get("limit", 25)), 1000)
    found: list[dict[str, Any]] = []
    behind = 0
    for _ in range(5):  # a few reads: an iterator may pass empty stretches of the shard first
        answer = await call.op("kinesis", "GetRecords", {"ShardIterator": iterator, "Limit": limit - len(found)})
        found += answer.get("Records", [])
        behind = answer.get("MillisBehindLatest", 0)
        iterator = answer.get("NextShardIterator")
        if len(found) >= limit or not iterator or behind == 0:
            break
    return {
        "records": [
            {
                "SequenceNumber": r["SequenceNumber"],
                "PartitionKey": r["PartitionKey"],
                "ApproximateArrivalTimestamp": r.get("ApproximateArrivalTimestamp"),
                "Data": _decoded(r["Data"]),
            }
            for r in found
        ],
        "millisBehindLatest": behind,
    }
