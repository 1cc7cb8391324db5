"""FIFO queues: group order, group blocking, deduplication (window, content, scope), sequence numbers."""

from __future__ import annotations

from tests.queues.conftest import fails_with, make_queue


async def fifo_queue(sqs, name="jobs.fifo", **attributes):
    return await make_queue(sqs, name, FifoQueue="true", **attributes)


async def bodies(sqs, url, **extra):
    got = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **extra)
    return [m["Body"] for m in got.get("Messages", [])]


async def test_messages_of_a_group_arrive_in_order_with_increasing_sequence_numbers(sqs):
    url = await fifo_queue(sqs)
    numbers = []
    for index, body in enumerate(["first", "second", "third"]):
        sent = await sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageGroupId="g1", MessageDeduplicationId=str(index)
        )
        numbers.append(int(sent["SequenceNumber"]))
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert await bodies(sqs, url) == ["first", "second", "third"]


async def test_group_is_blocked_while_one_of_its_messages_is_in_flight(sqs):
    url = await fifo_queue(sqs, ContentBasedDeduplication="true")
    for body, group in [("A1", "A"), ("A2", "A"), ("B1", "B")]:
        await sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    first = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
    assert [m["Body"] for m in first["Messages"]] == ["A1"]
    assert await bodies(sqs, url) == ["B1"]
    assert await bodies(sqs, url) == []
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=first["Messages"][0]["ReceiptHandle"])
    assert await bodies(sqs, url) == ["A2"]


async def test_group_unblocks_when_the_in_flight_message_times_out_and_comes_first_again(sqs, clock):
    url = await fifo_queue(sqs, ContentBasedDeduplication="true")
    await sqs.send_message(QueueUrl=url, MessageBody="A1", MessageGroupId="A")
    await sqs.send_message(QueueUrl=url, MessageBody="A2", MessageGroupId="A")
    assert await bodies(sqs, url, VisibilityTimeout=5) == ["A1", "A2"]
    assert await bodies(sqs, url) == []
    clock.advance(5)
    assert await bodies(sqs, url) == ["A1", "A2"]


async def test_group_id_is_required_on_fifo_queues(sqs):
    url = await fifo_queue(sqs, ContentBasedDeduplication="true")
    error = await fails_with("MissingParameter", sqs.send_message(QueueUrl=url, MessageBody="no group"))
    assert error.message == "The request must contain the parameter MessageGroupId."


async def test_deduplication_id_or_content_based_deduplication_is_required(sqs):
    url = await fifo_queue(sqs)
    error = await fails_with(
        "InvalidParameterValue", sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    )
    assert "ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly" in error.message


async def test_duplicate_within_five_minutes_is_accepted_but_not_delivered(sqs, clock):
    url = await fifo_queue(sqs)
    original = await sqs.send_message(
        QueueUrl=url, MessageBody="original", MessageGroupId="g", MessageDeduplicationId="d"
    )
    clock.advance(299)
    duplicate = await sqs.send_message(QueueUrl=url, MessageBody="dup", MessageGroupId="g", MessageDeduplicationId="d")
    assert duplicate["MessageId"] == original["MessageId"]
    assert duplicate["SequenceNumber"] == original["SequenceNumber"]
    assert await bodies(sqs, url) == ["original"]


async def test_deduplication_holds_after_the_message_was_deleted(sqs):
    url = await fifo_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="once", MessageGroupId="g", MessageDeduplicationId="dd")
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    await sqs.send_message(QueueUrl=url, MessageBody="once", MessageGroupId="g", MessageDeduplicationId="dd")
    assert await bodies(sqs, url) == []


async def test_same_deduplication_id_is_delivered_again_after_the_window(sqs, clock):
    url = await fifo_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="first", MessageGroupId="g", MessageDeduplicationId="d")
    assert await bodies(sqs, url, VisibilityTimeout=1000) == ["first"]
    clock.advance(301)
    await sqs.send_message(QueueUrl=url, MessageBody="second", MessageGroupId="h", MessageDeduplicationId="d")
    assert await bodies(sqs, url) == ["second"]


async def test_content_based_deduplication_uses_the_body(sqs):
    url = await fifo_queue(sqs, ContentBasedDeduplication="true")
    for body in ("x", "x", "y"):
        await sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    assert await bodies(sqs, url) == ["x", "y"]


async def test_message_group_deduplication_scope_keeps_groups_apart(sqs):
    url = await fifo_queue(sqs, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    await sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g1", MessageDeduplicationId="same")
    await sqs.send_message(QueueUrl=url, MessageBody="b", MessageGroupId="g2", MessageDeduplicationId="same")
    await sqs.send_message(QueueUrl=url, MessageBody="c", MessageGroupId="g2", MessageDeduplicationId="same")
    assert sorted(await bodies(sqs, url)) == ["a", "b"]


async def test_per_group_throughput_needs_message_group_scope(sqs):
    await fails_with(
        "InvalidAttributeValue",
        sqs.create_queue(
            QueueName="t.fifo",
            Attributes={"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "queue"},
        ),
    )


async def test_fifo_system_attributes(sqs):
    url = await fifo_queue(sqs)
    sent = await sqs.send_message(
        QueueUrl=url, MessageBody="a", MessageGroupId="grp-1", MessageDeduplicationId="dedup-1"
    )
    got = await sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])
    attributes = got["Messages"][0]["Attributes"]
    assert attributes["MessageGroupId"] == "grp-1"
    assert attributes["MessageDeduplicationId"] == "dedup-1"
    assert attributes["SequenceNumber"] == sent["SequenceNumber"]


async def test_fifo_rejects_per_message_delay(sqs):
    url = await fifo_queue(sqs)
    error = await fails_with(
        "InvalidParameterValue",
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d", DelaySeconds=2),
    )
    assert error.message.startswith("Value 2 for parameter DelaySeconds is invalid.")


async def test_standard_queue_rejects_deduplication_id_but_accepts_group_id(sqs):
    url = await make_queue(sqs)
    await fails_with(
        "InvalidParameterValue", sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    )
    sent = await sqs.send_message(QueueUrl=url, MessageBody="fair", MessageGroupId="tenant-1")
    assert "SequenceNumber" not in sent
    got = await sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["MessageGroupId"])
    assert got["Messages"][0]["Attributes"] == {"MessageGroupId": "tenant-1"}


async def test_retried_receive_attempt_returns_the_same_messages_and_handles(sqs):
    url = await fifo_queue(sqs, ContentBasedDeduplication="true")
    await sqs.send_message(QueueUrl=url, MessageBody="A1", MessageGroupId="A")
    await sqs.send_message(QueueUrl=url, MessageBody="B1", MessageGroupId="B")
    first = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, ReceiveRequestAttemptId="try-1")
    retry = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, ReceiveRequestAttemptId="try-1")
    assert retry["Messages"][0]["ReceiptHandle"] == first["Messages"][0]["ReceiptHandle"]
    other = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, ReceiveRequestAttemptId="try-2")
    assert other["Messages"][0]["Body"] == "B1"


async def test_change_visibility_batch_releases_a_whole_group(sqs):
    url = await fifo_queue(sqs, ContentBasedDeduplication="true")
    await sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g")
    await sqs.send_message(QueueUrl=url, MessageBody="two", MessageGroupId="g")
    got = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(got)]
    answer = await sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    assert sorted(e["Id"] for e in answer["Successful"]) == ["0", "1"] and "Failed" not in answer
    assert await bodies(sqs, url) == ["one", "two"]
