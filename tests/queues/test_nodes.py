"""Several nodes on one PostgreSQL: shared leases never overlap, and a send on one node wakes a poll on another."""

from __future__ import annotations

import asyncio

import pytest

import eventyard
from eventyard.yard import SERVICES
from tests.queues.conftest import make_queue, wait_until_polling


@pytest.fixture
async def second_node(store, clock, monkeypatch):
    monkeypatch.setattr("eventyard.yard.SERVICES", {"sqs": SERVICES["sqs"]})
    async with eventyard.open(store, clock=clock) as other:
        yield other


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
async def test_receivers_on_two_nodes_never_share_a_message(sqs, second_node):
    url = await make_queue(sqs)
    for start in range(0, 60, 10):
        entries = [{"Id": f"m{i}", "MessageBody": str(i)} for i in range(start, start + 10)]
        await sqs.send_message_batch(QueueUrl=url, Entries=entries)
    other = second_node.client("sqs")
    receives = [client.receive_message(QueueUrl=url, MaxNumberOfMessages=10) for client in (sqs, other) * 4]
    batches = await asyncio.gather(*receives)
    bodies = [m["Body"] for batch in batches for m in batch.get("Messages", [])]
    assert len(bodies) == len(set(bodies))
    assert set(bodies) <= {str(i) for i in range(60)}


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
async def test_send_on_one_node_wakes_a_long_poll_on_another(sqs, service, second_node):
    url = await make_queue(sqs)
    polling = asyncio.create_task(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
    await wait_until_polling(service, url)
    await second_node.client("sqs").send_message(QueueUrl=url, MessageBody="from the other node")
    got = await asyncio.wait_for(polling, timeout=5)
    assert got["Messages"][0]["Body"] == "from the other node"
