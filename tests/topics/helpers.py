"""Given/When/Then helpers for the SNS suite (in-process, every store, virtual clock)."""

from __future__ import annotations

import json
from typing import Any

import eventyard
from tests.bus.bus_helpers import drain, fails_with, queue

__all__ = ["drain", "fails_with", "queue", "subscribed_queue", "topic"]


async def topic(yard: eventyard.Yard, name: str = "orders", **attributes: str) -> str:
    return str((await yard.client("sns").create_topic(Name=name, Attributes=attributes))["TopicArn"])


async def subscribed_queue(yard: eventyard.Yard, topic_arn: str, name: str, **attributes: str) -> tuple[str, str, str]:
    """A queue subscribed to the topic: (queue URL, queue ARN, subscription ARN)."""
    sqs = yard.client("sqs")
    fifo = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
    url = (await sqs.create_queue(QueueName=name, Attributes=fifo))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    sub = await yard.client("sns").subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attributes, ReturnSubscriptionArn=True
    )
    return url, arn, str(sub["SubscriptionArn"])


def envelopes(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(m["Body"]) for m in messages]
