"""Leases: visibility timeouts, receipt handles and their rules, ChangeMessageVisibility."""

from __future__ import annotations

import asyncio

from tests.queues.conftest import fails_with, make_queue


async def receive_one(sqs, url, **extra):
    got = await sqs.receive_message(QueueUrl=url, **extra)
    return got["Messages"][0] if got else None


async def test_received_message_is_hidden_until_its_visibility_timeout_passes(sqs, clock):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="hide me")
    first = await receive_one(sqs, url, VisibilityTimeout=10)
    assert await receive_one(sqs, url) is None
    clock.advance(9.9)
    assert await receive_one(sqs, url) is None
    clock.advance(0.1)
    again = await receive_one(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert again["MessageId"] == first["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


async def test_queue_visibility_timeout_is_the_default(sqs, clock):
    url = await make_queue(sqs, VisibilityTimeout="5")
    await sqs.send_message(QueueUrl=url, MessageBody="x")
    await receive_one(sqs, url)
    clock.advance(4)
    assert await receive_one(sqs, url) is None
    clock.advance(1)
    assert await receive_one(sqs, url) is not None


async def test_every_receive_gives_a_new_receipt_handle(sqs):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="two handles")
    first = await receive_one(sqs, url, VisibilityTimeout=0)
    second = await receive_one(sqs, url)
    assert first["ReceiptHandle"] != second["ReceiptHandle"]


async def test_delete_with_an_old_handle_succeeds_but_deletes_nothing(sqs, clock):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="still here")
    old = await receive_one(sqs, url, VisibilityTimeout=0)
    await receive_one(sqs, url, VisibilityTimeout=5)
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=old["ReceiptHandle"])
    clock.advance(5)
    assert (await receive_one(sqs, url))["Body"] == "still here"


async def test_delete_after_visibility_expired_on_standard_queue_deletes(sqs, clock):
    url = await make_queue(sqs, VisibilityTimeout="1")
    await sqs.send_message(QueueUrl=url, MessageBody="late delete")
    message = await receive_one(sqs, url)
    clock.advance(2)
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert await receive_one(sqs, url) is None


async def test_delete_after_visibility_expired_on_fifo_queue_says_expired(sqs, clock):
    url = await make_queue(sqs, "late.fifo", FifoQueue="true", ContentBasedDeduplication="true", VisibilityTimeout="1")
    await sqs.send_message(QueueUrl=url, MessageBody="late", MessageGroupId="g")
    message = await receive_one(sqs, url)
    clock.advance(2)
    error = await fails_with(
        "InvalidParameterValue", sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    )
    assert error.message.endswith("Reason: The receipt handle has expired.")


async def test_deleting_twice_with_the_same_handle_succeeds(sqs):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="once")
    message = await receive_one(sqs, url)
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


async def test_malformed_or_foreign_receipt_handles_are_invalid(sqs):
    url = await make_queue(sqs)
    other = await make_queue(sqs, "other")
    error = await fails_with("ReceiptHandleIsInvalid", sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage"))
    assert error.message == 'The input receipt handle "garbage" is not a valid receipt handle.'
    await sqs.send_message(QueueUrl=other, MessageBody="elsewhere")
    foreign = await receive_one(sqs, other)
    error = await fails_with(
        "ReceiptHandleIsInvalid", sqs.delete_message(QueueUrl=url, ReceiptHandle=foreign["ReceiptHandle"])
    )
    assert error.message == f'The receipt handle "{foreign["ReceiptHandle"]}" is not valid for this queue.'


async def test_change_visibility_to_zero_releases_the_message_now(sqs):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="release me")
    message = await receive_one(sqs, url)
    await sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    assert (await receive_one(sqs, url))["Body"] == "release me"


async def test_change_visibility_counts_from_the_time_of_the_call(sqs, clock):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="keep hidden")
    message = await receive_one(sqs, url, VisibilityTimeout=10)
    clock.advance(8)
    await sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=5)
    clock.advance(4)
    assert await receive_one(sqs, url) is None
    clock.advance(1)
    assert await receive_one(sqs, url) is not None


async def test_change_visibility_of_a_deleted_message_is_invalid(sqs):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="short lived")
    handle = (await receive_one(sqs, url))["ReceiptHandle"]
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    error = await fails_with(
        "InvalidParameterValue", sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=10)
    )
    assert error.message == (
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available "
        "for visibility timeout change."
    )


async def test_visibility_timeout_is_at_most_twelve_hours_from_the_receive(sqs, clock):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="long job")
    handle = (await receive_one(sqs, url, VisibilityTimeout=43_200))["ReceiptHandle"]
    clock.advance(100)
    await fails_with(
        "InvalidParameterValue",
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_200),
    )
    await sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_100)
    await fails_with("InvalidParameterValue", sqs.receive_message(QueueUrl=url, VisibilityTimeout=43_201))


async def test_concurrent_receivers_never_share_a_message(sqs):
    url = await make_queue(sqs)
    for start in range(0, 40, 10):
        entries = [{"Id": f"m{i}", "MessageBody": str(i)} for i in range(start, start + 10)]
        await sqs.send_message_batch(QueueUrl=url, Entries=entries)
    batches = await asyncio.gather(*(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10) for _ in range(8)))
    bodies = [m["Body"] for batch in batches for m in batch.get("Messages", [])]
    assert sorted(bodies, key=int) == [str(i) for i in range(40)]
