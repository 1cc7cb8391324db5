"""Given/When/Then helpers for the EventBridge suite (in-process, every store, virtual clock)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from eventyard.errors import EventyardError


async def fails_with(code: str, call: Any) -> EventyardError:
    with pytest.raises(EventyardError) as caught:
        await call
    assert caught.value.code == code, f"{caught.value.code}: {caught.value.message}"
    return caught.value


async def queue(sqs: Any, name: str) -> tuple[str, str]:
    """A queue's URL and ARN."""
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    return url, arn


async def drain(sqs: Any, url: str, *, expect: int, within: float = 3.0) -> list[dict[str, Any]]:
    """Receive until ``expect`` messages arrived (delivery is asynchronous); fail after ``within`` s."""
    got: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + within
    while len(got) < expect and asyncio.get_running_loop().time() < deadline:
        response = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        for message in response.get("Messages", []):
            got.append(message)
            await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(got) < expect:
            await asyncio.sleep(0.02)
    assert len(got) == expect, f"received {len(got)} messages, expected {expect}"
    return got


def bodies(messages: list[dict[str, Any]]) -> list[Any]:
    return [json.loads(m["Body"]) for m in messages]


def entry(source: str = "shop.orders", detail: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    return {"Source": source, "DetailType": "Order Placed", "Detail": json.dumps(detail or {"id": 1}), **more}
