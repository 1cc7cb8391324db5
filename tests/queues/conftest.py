"""The queue suite runs in-process over every store (tests/conftest.py's ``yard``) on a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock
from eventyard.yard import SERVICES


@pytest.fixture
async def yard(store: str, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[eventyard.Yard]:
    """A started yard over each store, on a virtual clock, serving SQS alone (other services are not ours)."""
    monkeypatch.setattr("eventyard.yard.SERVICES", {"sqs": SERVICES["sqs"]})
    async with eventyard.open(store, clock=clock) as opened:
        yield opened


@pytest.fixture
def sqs(yard: eventyard.Yard) -> Any:
    """boto3-shaped SQS client of the yard: the model's validation, then the queue service."""
    return yard.client("sqs")


@pytest.fixture
def service(yard: eventyard.Yard) -> Any:
    return yard.services["sqs"]


async def make_queue(sqs: Any, name: str = "orders", **attributes: str) -> str:
    """Given a queue: create it (attributes as keyword arguments) and return its URL."""
    response = await sqs.create_queue(QueueName=name, Attributes=attributes) if attributes else None
    if response is None:
        response = await sqs.create_queue(QueueName=name)
    url: str = response["QueueUrl"]
    return url


async def attributes_of(sqs: Any, url: str, *names: str) -> dict[str, str]:
    response = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"])
    found: dict[str, str] = response.get("Attributes", {})
    return found


async def arn_of(sqs: Any, url: str) -> str:
    return (await attributes_of(sqs, url, "QueueArn"))["QueueArn"]


async def fails_with(code: str, call: Any) -> Any:
    """Then the call fails with AWS's ``code``; returns the error for further checks."""
    from eventyard.errors import EventyardError

    with pytest.raises(EventyardError) as caught:
        await call
    assert caught.value.code == code, f"{caught.value.code}: {caught.value.message}"
    return caught.value


async def wait_until_polling(service: Any, url: str) -> None:
    """Let a long poll started in a task reach its wait (the database thread runs in real time)."""
    import asyncio

    name = url.rsplit("/", 1)[-1]
    for _ in range(500):
        queue = await service.find("000000000000", "us-east-1", name)
        if queue is not None and service.waiters._waiting.get(queue.id):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the long poll never started waiting")
