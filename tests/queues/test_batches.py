"""Batch operations: whole-request errors, and per-entry results that succeed or fail on their own."""

from __future__ import annotations

from tests.queues.conftest import attributes_of, fails_with, make_queue


async def test_send_batch_answers_per_entry_with_md5s(sqs):
    url = await make_queue(sqs)
    answer = await sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "m1", "MessageBody": "first"},
            {"Id": "m2", "MessageBody": "second"},
            {
                "Id": "m3",
                "MessageBody": "third",
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
            },
        ],
    )
    by_id = {entry["Id"]: entry for entry in answer["Successful"]}
    assert "Failed" not in answer  # AWS leaves the empty list out
    assert by_id["m1"]["MD5OfMessageBody"] == "8b04d5e3775d298e78455efc5ca404d5"
    assert by_id["m2"]["MD5OfMessageBody"] == "a9f0e61a137d86aa9db53465e0801612"
    assert by_id["m3"]["MD5OfMessageAttributes"] == "0a77b0642718c3d9dd47090567d11e0d"
    assert "MD5OfMessageAttributes" not in by_id["m1"]
    assert (await attributes_of(sqs, url, "ApproximateNumberOfMessages"))["ApproximateNumberOfMessages"] == "3"


async def test_batch_needs_one_to_ten_distinct_well_formed_ids(sqs):
    url = await make_queue(sqs)
    error = await fails_with(
        "AWS.SimpleQueueService.EmptyBatchRequest", sqs.send_message_batch(QueueUrl=url, Entries=[])
    )
    assert error.message == "There should be at least one SendMessageBatchRequestEntry in the request."
    eleven = [{"Id": f"e{i}", "MessageBody": "m"} for i in range(11)]
    error = await fails_with(
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", sqs.send_message_batch(QueueUrl=url, Entries=eleven)
    )
    assert error.message == "Maximum number of entries per request are 10. You have sent 11."
    same = [{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}]
    error = await fails_with(
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", sqs.send_message_batch(QueueUrl=url, Entries=same)
    )
    assert error.message == "Id same repeated."
    await fails_with(
        "AWS.SimpleQueueService.InvalidBatchEntryId",
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "bad:id", "MessageBody": "a"}]),
    )
    assert await sqs.receive_message(QueueUrl=url) == {}


async def test_batch_larger_than_one_mebibyte_in_total_is_rejected(sqs):
    url = await make_queue(sqs)
    entries = [{"Id": f"e{i}", "MessageBody": "x" * 300_000} for i in range(4)]
    error = await fails_with(
        "AWS.SimpleQueueService.BatchRequestTooLong", sqs.send_message_batch(QueueUrl=url, Entries=entries)
    )
    assert error.message == "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes."


async def test_one_oversized_entry_fails_alone(sqs):
    url = await make_queue(sqs, MaximumMessageSize="1024")
    answer = await sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "small", "MessageBody": "fits"}, {"Id": "big", "MessageBody": "z" * 1025}]
    )
    assert [e["Id"] for e in answer["Successful"]] == ["small"]
    assert answer["Successful"][0]["MD5OfMessageBody"] == "7f933095e504aee953975239b9f1a601"
    (failed,) = answer["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == ("big", "InvalidParameterValue", True)


async def test_fifo_batch_keeps_entry_order_and_numbers(sqs):
    url = await make_queue(sqs, "b.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    entries = [{"Id": f"e{i}", "MessageBody": f"m{i}", "MessageGroupId": "g"} for i in range(5)]
    answer = await sqs.send_message_batch(QueueUrl=url, Entries=entries)
    numbers = [int(e["SequenceNumber"]) for e in answer["Successful"]]
    assert numbers == sorted(numbers)
    got = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in got["Messages"]] == [f"m{i}" for i in range(5)]


async def test_delete_batch_reports_invalid_handles_per_entry(sqs):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="to delete")
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    answer = await sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "good", "ReceiptHandle": handle}, {"Id": "bad", "ReceiptHandle": "not-a-handle"}],
    )
    assert answer["Successful"] == [{"Id": "good"}]
    assert answer["Failed"] == [
        {
            "Id": "bad",
            "SenderFault": True,
            "Code": "ReceiptHandleIsInvalid",
            "Message": 'The input receipt handle "not-a-handle" is not a valid receipt handle.',
        }
    ]
    assert (await attributes_of(sqs, url, "ApproximateNumberOfMessagesNotVisible")) == {
        "ApproximateNumberOfMessagesNotVisible": "0"
    }


async def test_change_visibility_batch_fails_per_entry_for_deleted_messages(sqs):
    url = await make_queue(sqs)
    await sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "a"}, {"Id": "b", "MessageBody": "b"}]
    )
    got = (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=got[1]["ReceiptHandle"])
    answer = await sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "kept", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "gone", "ReceiptHandle": got[1]["ReceiptHandle"], "VisibilityTimeout": 0},
        ],
    )
    assert answer["Successful"] == [{"Id": "kept"}]
    assert [(f["Id"], f["Code"]) for f in answer["Failed"]] == [("gone", "InvalidParameterValue")]
    assert (await sqs.receive_message(QueueUrl=url))["Messages"][0]["Body"] == "a"


async def test_plain_and_attributed_entries_of_one_batch_are_stored_alike(sqs):
    # a body alone takes the short way through the checks and the store; the others take the long one
    url = await make_queue(sqs)
    attributes = {"k": {"DataType": "String", "StringValue": "v"}}
    entries = [
        {"Id": "plain", "MessageBody": "just a body\n"},
        {"Id": "attributed", "MessageBody": "with", "MessageAttributes": attributes},
        {"Id": "grouped", "MessageBody": "fair", "MessageGroupId": "g1"},
    ]
    await sqs.send_message_batch(QueueUrl=url, Entries=entries)
    got = await sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )
    by_body = {m["Body"]: m for m in got["Messages"]}
    assert sorted(by_body) == ["fair", "just a body\n", "with"]
    assert "MessageAttributes" not in by_body["just a body\n"]
    assert by_body["with"]["MessageAttributes"] == attributes
    assert by_body["fair"]["Attributes"]["MessageGroupId"] == "g1"


async def test_a_batch_of_plain_bodies_takes_the_queue_delay(sqs):
    url = await make_queue(sqs, DelaySeconds="30")
    await sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    assert (await attributes_of(sqs, url, "ApproximateNumberOfMessagesDelayed")) == {
        "ApproximateNumberOfMessagesDelayed": "3"
    }
