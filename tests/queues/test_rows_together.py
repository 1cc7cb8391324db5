"""Staged sends written together (``eventyard.staging.rows_together``): one group, a few INSERTs."""

from __future__ import annotations

from typing import Any

import pytest

import eventyard
from eventyard.service import RequestContext
from eventyard.staging import rows_together
from tests.queues.conftest import make_queue


async def _staged(yard: eventyard.Yard, url: str, count: int) -> Any:
    entries = [{"Id": str(i), "MessageBody": f"order {i}"} for i in range(count)]
    request = {"QueueUrl": url, "Entries": entries}
    return await yard.api.stage("sqs", "SendMessageBatch", request, RequestContext(endpoint=yard.endpoint))


async def _bodies(sqs: Any, url: str) -> list[str]:
    seen: list[str] = []
    while True:
        messages = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)).get("Messages", [])
        if not messages:
            return sorted(seen)
        seen += [m["Body"] for m in messages]


async def test_sends_to_several_queues_in_one_group_are_all_stored(yard: eventyard.Yard, sqs: Any) -> None:
    urls = [await make_queue(sqs, f"q{n}") for n in range(3)]
    calls = [await _staged(yard, url, 10) for url in urls for _ in range(10)]  # 300 rows: 64s, then powers of two

    def job(c: Any) -> None:
        with rows_together():
            for call in calls:
                call.write(c)

    await yard.db.write(job)
    for url in urls:
        assert await _bodies(sqs, url) == sorted(f"order {i}" for i in range(10) for _ in range(10))


async def test_a_failure_inside_the_group_writes_none_of_it(yard: eventyard.Yard, sqs: Any) -> None:
    url = await make_queue(sqs)
    call = await _staged(yard, url, 5)

    def job(c: Any) -> None:
        with rows_together():
            call.write(c)
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        await yard.db.write(job)
    assert await _bodies(sqs, url) == []
