"""Given/When/Then helpers for the EventBridge suite (in-process, every store, virtual clock)."""

from __future__ import annotations

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


async def drain(sqs: Any, url: str, *, expect: int) -> list[dict[str, Any]]:
    """Let the yard finish every delivery due now, then receive (and delete) everything in the queue:
    exactly ``expect`` messages must be there. ``sqs`` is an in-process client, whose yard it runs."""
    await sqs._yard.run_until_idle()
    got: list[dict[str, Any]] = []
    while True:
        response = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        messages = response.get("Messages", [])
        if not messages:
            break
        for message in messages:
            got.append(message)
            await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(got) == expect, f"received {len(got)} messages, expected {expect}"
    return got


def bodies(messages: list[dict[str, Any]]) -> list[Any]:
    return [json.loads(m["Body"]) for m in messages]


def entry(source: str = "shop.orders", detail: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    return {"Source": source, "DetailType": "Order Placed", "Detail": json.dumps(detail or {"id": 1}), **more}
