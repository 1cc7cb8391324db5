"""Plain bodies staged by the yard's other services (``Sending.stage_bodies``): a rule's or a topic's
messages to a standard queue, checked one by one, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

import pytest

import eventyard
from eventyard.service import RequestContext
from eventyard.staging import CannotStage
from tests.queues.conftest import make_queue


async def _received(sqs: Any, url: str) -> dict[str, dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    while True:
        messages = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)).get("Messages", [])
        if not messages:
            return seen
        seen.update({m["MessageId"]: m for m in messages})


async def test_bodies_are_written_in_the_callers_transaction_without_a_batchs_limits(
    yard: eventyard.Yard, service: Any, sqs: Any
) -> None:
    url = await make_queue(sqs, "fan-out", MaximumMessageSize="102400")
    bodies = [f"order {n} " + "x" * 100_000 for n in range(12)]  # 12 entries and 1.2 MB: more than a batch may hold
    bodies[3] = "x" * 102_401  # longer than the queue allows
    bodies[7] = "a bell \x07 rings"  # a character no message may hold
    staged = await service.stage_bodies(RequestContext(endpoint=yard.endpoint), url, bodies)
    assert staged.refused == ["3", "7"]
    assert await _received(sqs, url) == {}  # staging writes nothing

    await yard.db.write(staged.write)
    staged.committed()
    ids = staged.result
    assert ids[3] is None and ids[7] is None
    received = await _received(sqs, url)
    kept = [n for n in range(12) if n not in (3, 7)]
    assert set(received) == {ids[n] for n in kept}
    for n in kept:
        assert received[ids[n]]["Body"] == bodies[n]


async def test_a_fifo_queue_cannot_take_bare_bodies(yard: eventyard.Yard, service: Any, sqs: Any) -> None:
    url = await make_queue(sqs, "ordered.fifo", FifoQueue="true")
    with pytest.raises(CannotStage):
        await service.stage_bodies(RequestContext(endpoint=yard.endpoint), url, ["one"])
