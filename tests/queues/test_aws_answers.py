"""What SQS answers, field by field and error by error, where AWS-recorded runs showed us differing.

Evidence: the AWS-validated snapshots of localstack's ``tests/aws/services/sqs/test_sqs.snapshot.json``
(named per test below; the ``[sqs]`` run is the JSON protocol, ``[sqs_query]`` the query protocol).
"""

from __future__ import annotations

import json
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

from tests.gateway.raw import post
from tests.harness.server import ServerProcess
from tests.queues.conftest import attributes_of, fails_with, make_queue

FIFO = {"FifoQueue": "true"}


async def fifo_queue(sqs, name: str = "orders.fifo", **attributes: str) -> str:
    return await make_queue(sqs, name, **FIFO, **attributes)


# --- CreateQueue / SetQueueAttributes: which attributes a queue type knows -----------------------


async def test_standard_queue_refuses_fifo_attributes_at_creation(sqs):
    """Given no queue yet, when CreateQueue names a FIFO attribute for a standard queue (even
    ``FifoQueue=false``), then AWS refuses it: two names it does not know, two it says need FIFO.

    Evidence: test_create_standard_queue_with_fifo_attribute_raises_error (InvalidAttributeName).
    """
    expected = {
        "FifoQueue": "Unknown Attribute FifoQueue.",
        "ContentBasedDeduplication": "Unknown Attribute ContentBasedDeduplication.",
        "DeduplicationScope": "You can specify the DeduplicationScope only when FifoQueue is set to true.",
        "FifoThroughputLimit": "You can specify the FifoThroughputLimit only when FifoQueue is set to true.",
    }
    values = {"FifoQueue": "false", "ContentBasedDeduplication": "false", "DeduplicationScope": "queue"}
    for attribute, message in expected.items():
        value = values.get(attribute, "perQueue")
        error = await fails_with(
            "InvalidAttributeName", sqs.create_queue(QueueName="plain", Attributes={attribute: value})
        )
        assert error.message == message
    assert "QueueUrls" not in await sqs.list_queues()


async def test_queue_type_can_be_restated_but_not_changed(sqs):
    """Given a standard and a FIFO queue, when SetQueueAttributes names FifoQueue, then the standard
    queue does not know the attribute, the FIFO queue accepts ``true`` and refuses ``false``.

    Evidence: test_set_unsupported_attribute_standard and test_set_unsupported_attribute_fifo.
    """
    plain = await make_queue(sqs, "plain")
    for value in ("true", "false"):
        error = await fails_with(
            "InvalidAttributeName", sqs.set_queue_attributes(QueueUrl=plain, Attributes={"FifoQueue": value})
        )
        assert error.message == "Unknown Attribute FifoQueue."
    ordered = await fifo_queue(sqs)
    assert await sqs.set_queue_attributes(QueueUrl=ordered, Attributes={"FifoQueue": "true"}) == {}
    error = await fails_with(
        "InvalidAttributeValue", sqs.set_queue_attributes(QueueUrl=ordered, Attributes={"FifoQueue": "false"})
    )
    assert error.message == "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
    assert (await attributes_of(sqs, ordered, "FifoQueue"))["FifoQueue"] == "true"


async def test_a_kms_key_turns_sqs_managed_encryption_off(sqs):
    """Given a standard queue (SSE-SQS on by default), when a KMS key is set, then SqsManagedSseEnabled
    reads false, stays false once the key is cleared, and the key reuse period shows only with a key;
    asking for KMS and SSE-SQS in one request is refused.

    Evidence: test_set_queue_attributes_default_values, test_sse_queue_attributes and
    test_sse_kms_and_sqs_are_mutually_exclusive.
    """
    url = await make_queue(sqs)
    await sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000"}
    )
    shown = await attributes_of(sqs, url)
    assert (shown["KmsMasterKeyId"], shown["KmsDataKeyReusePeriodSeconds"]) == ("testKeyId", "6000")
    assert shown["SqsManagedSseEnabled"] == "false"
    await sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"KmsMasterKeyId": "", "KmsDataKeyReusePeriodSeconds": "300"}
    )
    shown = await attributes_of(sqs, url)
    assert "KmsMasterKeyId" not in shown and "KmsDataKeyReusePeriodSeconds" not in shown
    assert shown["SqsManagedSseEnabled"] == "false"
    error = await fails_with(
        "InvalidAttributeName",
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"}),
    )
    assert error.message == (
        "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE."
    )


# --- SendMessage(Batch) --------------------------------------------------------------------------


async def test_fifo_batch_entry_without_group_or_deduplication_fails_the_whole_request(sqs):
    """Given a FIFO queue without content-based deduplication, when one batch entry lacks its group
    or its deduplication id, then the whole SendMessageBatch fails (400, InvalidParameterValue, even
    for the missing group) and the valid entry beside it is not sent either.

    Evidence: test_send_batch_missing_message_group_id_for_fifo_queue and
    test_send_batch_missing_deduplication_id_for_fifo_queue.
    """
    url = await fifo_queue(sqs, ContentBasedDeduplication="false")
    good = {"Id": "good", "MessageBody": "b", "MessageGroupId": "g", "MessageDeduplicationId": "d1"}
    error = await fails_with(
        "InvalidParameterValue",
        sqs.send_message_batch(
            QueueUrl=url, Entries=[good, {"Id": "b", "MessageBody": "b", "MessageDeduplicationId": "d2"}]
        ),
    )
    assert (error.message, error.status) == ("The request must contain the parameter MessageGroupId.", 400)
    error = await fails_with(
        "InvalidParameterValue",
        sqs.send_message_batch(QueueUrl=url, Entries=[good, {"Id": "b", "MessageBody": "b", "MessageGroupId": "g"}]),
    )
    assert error.message == (
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    )
    assert (await attributes_of(sqs, url, "ApproximateNumberOfMessages"))["ApproximateNumberOfMessages"] == "0"


async def test_batch_entry_over_the_size_limit_cannot_be_validated(sqs):
    """Given a queue of 1 KiB messages, when a batch carries one entry of 1024 bytes and one of 1025,
    then the first is sent and the second fails with the batch's own wording.

    Evidence: test_send_batch_message_size (SendMessage says "are invalid" instead: test_send_oversized_message).
    """
    url = await make_queue(sqs, MaximumMessageSize="1024")
    answer = await sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "fits", "MessageBody": "a" * 1024}, {"Id": "big", "MessageBody": "a" * 1025}]
    )
    assert [entry["Id"] for entry in answer["Successful"]] == ["fits"]
    assert answer["Failed"] == [
        {
            "Id": "big",
            "SenderFault": True,
            "Code": "InvalidParameterValue",
            "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes.",
        }
    ]
    error = await fails_with("InvalidParameterValue", sqs.send_message(QueueUrl=url, MessageBody="a" * 1025))
    assert error.message == "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."


async def test_a_batch_where_every_entry_succeeds_has_no_failed_list(sqs):
    """Given a queue, when every entry of SendMessageBatch and of DeleteMessageBatch succeeds, then
    the answers carry ``Successful`` only.

    Evidence: test_send_message_batch_with_oversized_contents_with_updated_maximum_message_size.
    """
    url = await make_queue(sqs)
    sent = await sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "a"}])
    assert set(sent) == {"Successful"}
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    deleted = await sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "1", "ReceiptHandle": handle}])
    assert deleted == {"Successful": [{"Id": "1"}]}


async def test_fifo_message_with_delay_zero_waits_for_the_queue_delay(sqs, clock):
    """Given a FIFO queue that delays messages by 2 s, when a message is sent with DelaySeconds=0,
    then it is still delayed by the queue's 2 s (a FIFO queue has no per-message delay).

    Evidence: test_fifo_queue_send_message_with_zero_delay_defaults_to_queue_delay.
    """
    url = await fifo_queue(sqs, ContentBasedDeduplication="true", DelaySeconds="2")
    await sqs.send_message(QueueUrl=url, MessageBody="message-1", MessageGroupId="1", DelaySeconds=0)
    assert "Messages" not in await sqs.receive_message(QueueUrl=url)
    clock.advance(3)
    [message] = (await sqs.receive_message(QueueUrl=url))["Messages"]
    assert message["Body"] == "message-1"


# --- ReceiveMessage / ChangeMessageVisibility ----------------------------------------------------


async def test_message_attribute_filters_star_and_prefix(sqs):
    """Given a message with attributes Hello, Help.Me and General, when a receive asks for ``*`` or
    for ``Hel.*``, then it gets all three, or Hello and Help.Me (the prefix is what precedes ``.*``).

    Evidence: test_receive_message_message_attribute_names_filters (all_wildcard_asterisk, prefix_filter).
    """
    url = await make_queue(sqs, VisibilityTimeout="0")
    values = {"Help.Me": "Me", "Hello": "There", "General": "Kenobi"}
    await sqs.send_message(
        QueueUrl=url,
        MessageBody="msg",
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in values.items()},
    )

    async def names(wanted: list[str]) -> set[str]:
        [message] = (await sqs.receive_message(QueueUrl=url, MessageAttributeNames=wanted))["Messages"]
        return set(message.get("MessageAttributes", {}))

    assert await names(["*"]) == {"Help.Me", "Hello", "General"}
    assert await names(["Hel.*"]) == {"Hello", "Help.Me"}
    assert await names(["AWS."]) == set()


async def test_changing_visibility_after_it_ran_out_hides_the_message_again(sqs, clock):
    """Given a message whose 1 s visibility ran out (nobody received it since), when its handle
    changes the visibility to 2 s, then AWS answers 200 and the message stays hidden for 2 s more.

    Evidence: test_change_message_visibility_after_visibility_timeout_expiration (200) and
    test_extend_message_visibility_timeout_set_in_queue (hidden after the change).
    """
    url = await make_queue(sqs, VisibilityTimeout="1")
    await sqs.send_message(QueueUrl=url, MessageBody="test")
    handle = (await sqs.receive_message(QueueUrl=url))["Messages"][0]["ReceiptHandle"]
    clock.advance(2)
    assert await sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=2) == {}
    assert "Messages" not in await sqs.receive_message(QueueUrl=url)
    clock.advance(2.5)
    assert (await sqs.receive_message(QueueUrl=url))["Messages"][0]["Body"] == "test"


# --- AddPermission / RemovePermission ------------------------------------------------------------


async def test_permissions_are_written_as_a_2008_policy(sqs):
    """Given a queue, when a permission is added and later an unknown label removed, then the Policy
    has AWS's 2008-10-17 version and the removal says it can't find the label.

    Evidence: test_sqs_permission_lifecycle.
    """
    url = await make_queue(sqs)
    await sqs.add_permission(QueueUrl=url, AWSAccountIds=["111122223333"], Actions=["ReceiveMessage"], Label="l1")
    policy = json.loads((await attributes_of(sqs, url, "Policy"))["Policy"])
    assert policy["Version"] == "2008-10-17"
    await sqs.remove_permission(QueueUrl=url, Label="l1")
    error = await fails_with("InvalidParameterValue", sqs.remove_permission(QueueUrl=url, Label="l1"))
    assert error.message == "Value l1 for parameter Label is invalid. Reason: can't find label."


# --- over the wire -------------------------------------------------------------------------------

NS = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def query(server: ServerProcess, action: str, **params: str) -> tuple[int, bytes]:
    body = urllib.parse.urlencode({"Action": action, "Version": "2012-11-05", **params}).encode()
    status, _, reply = post(server.endpoint, body, FORM)
    return status, reply


@pytest.mark.server
def test_json_errors_name_the_exception_types_aws_sends(server: ServerProcess) -> None:
    """Given a FIFO queue over the JSON protocol, when a send lacks its group or its deduplication id,
    then boto3 reports the query codes with AWS's ``__type``: ``MissingRequiredParameterException`` and
    ``InvalidParameterValueException``.

    Evidence: test_posting_to_fifo_requires_deduplicationid_group_id[sqs] (QueryErrorCode).
    """
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="wire-types.fifo", Attributes=FIFO)["QueueUrl"]
    seen = []
    for extra in ({"MessageGroupId": "g"}, {"MessageDeduplicationId": "d"}):
        with pytest.raises(ClientError) as caught:
            sqs.send_message(QueueUrl=url, MessageBody="b", **extra)
        seen.append((caught.value.response["Error"]["Code"], caught.value.response["Error"]["QueryErrorCode"]))
    assert seen == [
        ("InvalidParameterValue", "InvalidParameterValueException"),
        ("MissingParameter", "MissingRequiredParameterException"),
    ]


@pytest.mark.server
def test_query_protocol_wording_and_empty_results(server: ServerProcess) -> None:
    """Given the query protocol, when a queue does not exist, then its message names the wsdl
    version; when a receive finds nothing, then the answer still has an empty ReceiveMessageResult.

    Evidence: test_non_existent_queue (queue-does-not-exist-query) and TestSqsQueryApi's
    test_get_send_and_receive_messages ("<ReceiveMessageResult/>").
    """
    status, reply = query(server, "GetQueueUrl", QueueName="never-made")
    message = ET.fromstring(reply).find(".//q:Message", NS)
    assert status == 400 and message is not None
    assert message.text == "The specified queue does not exist for this wsdl version."
    url = server.client("sqs").create_queue(QueueName="wire-empty")["QueueUrl"]
    status, reply = query(server, "ReceiveMessage", QueueUrl=url)
    result = ET.fromstring(reply).find("q:ReceiveMessageResult", NS)
    assert status == 200 and result is not None and len(result) == 0
