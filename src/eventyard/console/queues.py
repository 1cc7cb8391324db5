"""Queues: depth, in flight, delayed, dead-letter queue; peek, send, purge, and redrive.

Everything goes through SQS's operations except the peek, which SQS has not (a ReceiveMessage
would take a lease and count a receive): it reads the queue store's ``peek``.
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.console.endpoints import Call, endpoint


def _url(call: Call, name: str) -> str:
    return f"{call.context.endpoint}/{call.context.account}/{name}"


async def _attributes(call: Call, url: str) -> dict[str, str]:
    answer = await call.op("sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})
    attributes: dict[str, str] = answer.get("Attributes", {})
    return attributes


def _summary(url: str, attributes: dict[str, str]) -> dict[str, Any]:
    redrive = orjson.loads(attributes["RedrivePolicy"]) if attributes.get("RedrivePolicy") else {}
    return {
        "name": url.rsplit("/", 1)[-1],
        "url": url,
        "arn": attributes.get("QueueArn", ""),
        "fifo": attributes.get("FifoQueue") == "true",
        "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
        "dlq": redrive.get("deadLetterTargetArn"),
        "max_receives": redrive.get("maxReceiveCount"),
    }


async def queue_summaries(call: Call) -> list[dict[str, Any]]:
    urls = (await call.op("sqs", "ListQueues", {"MaxResults": 1000})).get("QueueUrls", [])
    summaries = [_summary(url, await _attributes(call, url)) for url in urls]
    dead_letter_queues = {s["dlq"] for s in summaries if s["dlq"]}
    for summary in summaries:
        summary["is_dlq"] = summary["arn"] in dead_letter_queues
    return summaries


@endpoint("GET", "queues")
async def queues(call: Call) -> dict[str, Any]:
    return {"queues": await queue_summaries(call)}


@endpoint("GET", "queue")
async def queue(call: Call) -> dict[str, Any]:
    name = call.require("name")
    url = _url(call, name)
    attributes = await _attributes(call, url)
    summary = _summary(url, attributes)
    service: Any = call.yard.services["sqs"]
    found = await service.find(call.context.account, call.context.region, name)
    limit = min(int(call.get("limit", 20)), 100)
    messages = await service.catalogue.peek(found.id, call.yard.clock.now(), limit) if found is not None else []
    answer = await call.op("sqs", "ListMessageMoveTasks", {"SourceArn": summary["arn"], "MaxResults": 10})
    tasks = answer.get("Results", [])
    sources = (await call.op("sqs", "ListDeadLetterSourceQueues", {"QueueUrl": url})).get("queueUrls", [])
    summary["is_dlq"] = bool(sources)
    return {"queue": summary, "attributes": attributes, "messages": messages, "moves": tasks, "sources": sources}


@endpoint("POST", "queue/send")
async def send(call: Call) -> dict[str, Any]:
    request: dict[str, Any] = {"QueueUrl": _url(call, call.require("name")), "MessageBody": call.require("body")}
    for member in ("MessageGroupId", "MessageDeduplicationId"):
        if call.get(member):
            request[member] = call.get(member)
    if call.get("DelaySeconds"):
        request["DelaySeconds"] = int(call.get("DelaySeconds"))
    answer: dict[str, Any] = await call.op("sqs", "SendMessage", request)
    return answer


@endpoint("POST", "queue/purge")
async def purge(call: Call) -> dict[str, Any]:
    await call.op("sqs", "PurgeQueue", {"QueueUrl": _url(call, call.require("name"))})
    return {"purged": call.require("name")}


@endpoint("POST", "queue/redrive")
async def redrive(call: Call) -> dict[str, Any]:
    """StartMessageMoveTask from a dead-letter queue (to its sources, or to ``destination``)."""
    source = await _attributes(call, _url(call, call.require("name")))
    request: dict[str, Any] = {"SourceArn": source["QueueArn"]}
    if call.get("destination"):
        request["DestinationArn"] = call.get("destination")
    answer: dict[str, Any] = await call.op("sqs", "StartMessageMoveTask", request)
    return answer
