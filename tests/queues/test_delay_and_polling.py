"""Delays (per queue, per message) and long polling that wakes as soon as a message can be received."""

from __future__ import annotations

import asyncio

from tests.queues.conftest import attributes_of, fails_with, make_queue, wait_until_polling


async def test_per_message_delay_hides_the_message_until_it_passes(sqs, clock):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=10)
    assert await sqs.receive_message(QueueUrl=url) == {}
    assert (await attributes_of(sqs, url, "ApproximateNumberOfMessagesDelayed")) == {
        "ApproximateNumberOfMessagesDelayed": "1"
    }
    clock.advance(10)
    assert (await sqs.receive_message(QueueUrl=url))["Messages"][0]["Body"] == "delayed"


async def test_queue_delay_applies_to_messages_without_their_own(sqs, clock):
    url = await make_queue(sqs, DelaySeconds="5")
    await sqs.send_message(QueueUrl=url, MessageBody="queue delayed")
    await sqs.send_message(QueueUrl=url, MessageBody="right away", DelaySeconds=0)
    got = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in got["Messages"]] == ["right away"]
    clock.advance(5)
    assert (await sqs.receive_message(QueueUrl=url))["Messages"][0]["Body"] == "queue delayed"


async def test_delay_seconds_must_be_at_most_fifteen_minutes(sqs):
    url = await make_queue(sqs)
    await fails_with("InvalidParameterValue", sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901))


async def test_long_poll_wakes_as_soon_as_a_message_is_sent(sqs, service):
    url = await make_queue(sqs)
    polling = asyncio.create_task(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
    await wait_until_polling(service, url)
    await sqs.send_message(QueueUrl=url, MessageBody="wake up")
    got = await asyncio.wait_for(polling, timeout=5)
    assert got["Messages"][0]["Body"] == "wake up"


async def test_long_poll_wakes_when_a_delayed_message_becomes_visible(sqs, service, clock):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="soon", DelaySeconds=3)
    polling = asyncio.create_task(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
    await wait_until_polling(service, url)
    clock.advance(3)
    got = await asyncio.wait_for(polling, timeout=5)
    assert got["Messages"][0]["Body"] == "soon"


async def test_long_poll_on_an_empty_queue_returns_nothing_at_its_deadline(sqs, service, clock):
    url = await make_queue(sqs)
    polling = asyncio.create_task(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2))
    await wait_until_polling(service, url)
    clock.advance(1)
    await asyncio.sleep(0.05)
    assert not polling.done()
    clock.advance(1)
    assert await asyncio.wait_for(polling, timeout=5) == {}


async def test_queue_receive_wait_time_makes_receives_long_polls(sqs, service):
    url = await make_queue(sqs, ReceiveMessageWaitTimeSeconds="20")
    polling = asyncio.create_task(sqs.receive_message(QueueUrl=url))
    await wait_until_polling(service, url)
    await sqs.send_message(QueueUrl=url, MessageBody="found")
    assert (await asyncio.wait_for(polling, timeout=5))["Messages"][0]["Body"] == "found"


async def test_wait_time_is_at_most_twenty_seconds(sqs):
    url = await make_queue(sqs)
    error = await fails_with("InvalidParameterValue", sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21))
    assert (
        error.message
        == "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."
    )
