"""Retention is enforced, and what a call acknowledged (messages, leases) survives a restart."""

from __future__ import annotations

import pytest

import eventyard
from eventyard.clock import VirtualClock
from tests.queues.conftest import attributes_of, make_queue


async def test_messages_older_than_the_retention_period_are_gone(sqs, clock):
    url = await make_queue(sqs, MessageRetentionPeriod="60")
    await sqs.send_message(QueueUrl=url, MessageBody="old")
    clock.advance(30)
    await sqs.send_message(QueueUrl=url, MessageBody="young")
    clock.advance(30)
    got = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in got["Messages"]] == ["young"]


async def test_shorter_retention_applies_to_messages_already_queued(sqs, clock):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="queued long ago")
    clock.advance(120)
    await sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "60"})
    assert (await attributes_of(sqs, url, "ApproximateNumberOfMessages")) == {"ApproximateNumberOfMessages": "0"}
    assert await sqs.receive_message(QueueUrl=url) == {}


async def test_sweep_deletes_expired_messages_nobody_receives(yard, sqs, service, clock):
    url = await make_queue(sqs, MessageRetentionPeriod="60")
    await sqs.send_message(QueueUrl=url, MessageBody="forgotten")
    clock.advance(61)
    assert await service.catalogue.sweep(clock.now()) == 1


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_sent_messages_and_in_flight_leases_survive_a_restart(store, monkeypatch):
    from eventyard.yard import SERVICES

    monkeypatch.setattr("eventyard.yard.SERVICES", {"sqs": SERVICES["sqs"]})
    clock = VirtualClock(start=1_800_000_000.0)
    async with eventyard.open(store, clock=clock) as yard:
        sqs = yard.client("sqs")
        url = await make_queue(sqs)
        await sqs.send_message(QueueUrl=url, MessageBody="leased")
        await sqs.send_message(QueueUrl=url, MessageBody="waiting")
        handle = (await sqs.receive_message(QueueUrl=url, VisibilityTimeout=60))["Messages"][0]["ReceiptHandle"]
    async with eventyard.open(store, clock=clock) as yard:
        sqs = yard.client("sqs")
        got = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
        assert [m["Body"] for m in got["Messages"]] == ["waiting"]
        await sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
        clock.advance(60)
        assert await sqs.receive_message(QueueUrl=url) == {}
