"""Sending and receiving: bodies, MD5s exactly as AWS computes them, attributes, limits, system attributes."""

from __future__ import annotations

import pytest

from eventyard.queues.errors import InvalidMessageContents
from eventyard.queues.messages import check_body, size_of
from tests.queues.conftest import fails_with, make_queue


async def test_send_answers_with_md5_of_the_utf8_body_and_a_message_id(sqs):
    url = await make_queue(sqs)
    sent = await sqs.send_message(QueueUrl=url, MessageBody="hello world")
    assert sent["MD5OfMessageBody"] == "5eb63bbbe01eeed093cb22bb8f5acdc3"
    assert len(sent["MessageId"]) == 36
    assert "MD5OfMessageAttributes" not in sent
    got = (await sqs.receive_message(QueueUrl=url))["Messages"][0]
    assert got["MessageId"] == sent["MessageId"]
    assert got["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert "MessageAttributes" not in got


async def test_unicode_body_round_trips_with_its_md5(sqs):
    url = await make_queue(sqs)
    body = "Grüße, 世界 🚀"
    sent = await sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == "1a8d673a503ec1d34d27d68d14a2ddfc"
    assert (await sqs.receive_message(QueueUrl=url))["Messages"][0]["Body"] == body


async def test_message_attributes_round_trip_with_aws_md5(sqs):
    url = await make_queue(sqs)
    attributes = {
        "city": {"DataType": "String", "StringValue": "Zürich"},
        "count": {"DataType": "Number", "StringValue": "42"},
        "ratio": {"DataType": "Number.float", "StringValue": "0.5"},
    }
    sent = await sqs.send_message(QueueUrl=url, MessageBody="with attributes", MessageAttributes=attributes)
    assert sent["MD5OfMessageAttributes"] == "a2160e7d80a239788a3ccf69f4d886ba"
    got = (await sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"]))["Messages"][0]
    assert got["MessageAttributes"] == attributes
    assert got["MD5OfMessageAttributes"] == "a2160e7d80a239788a3ccf69f4d886ba"


async def test_binary_attribute_comes_back_as_bytes_with_aws_md5(sqs):
    url = await make_queue(sqs)
    blob = {"blob": {"DataType": "Binary", "BinaryValue": b"binary-payload"}}
    sent = await sqs.send_message(QueueUrl=url, MessageBody="binary", MessageAttributes=blob)
    assert sent["MD5OfMessageAttributes"] == "005fa61ec3cbf7d9571167ceebaaf511"
    got = (await sqs.receive_message(QueueUrl=url, MessageAttributeNames=["blob"]))["Messages"][0]
    assert got["MessageAttributes"] == blob


async def test_receive_returns_only_the_message_attributes_asked_for(sqs):
    url = await make_queue(sqs)
    attributes = {
        "trace.id": {"DataType": "String", "StringValue": "t"},
        "trace.span": {"DataType": "String", "StringValue": "s"},
        "other": {"DataType": "Number", "StringValue": "1"},
    }
    await sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes, DelaySeconds=0)
    got = await sqs.receive_message(QueueUrl=url, MessageAttributeNames=["trace.*"], VisibilityTimeout=0)
    assert set(got["Messages"][0]["MessageAttributes"]) == {"trace.id", "trace.span"}
    plain = (await sqs.receive_message(QueueUrl=url))["Messages"][0]
    assert "MessageAttributes" not in plain and "MD5OfMessageAttributes" not in plain


async def test_system_attributes_count_receives_and_carry_timestamps(sqs, clock):
    url = await make_queue(sqs)
    sent_at = clock.now()
    await sqs.send_message(QueueUrl=url, MessageBody="count me")
    clock.advance(2)
    first = await sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, MessageSystemAttributeNames=["All"])
    attributes = first["Messages"][0]["Attributes"]
    assert attributes["ApproximateReceiveCount"] == "1"
    assert attributes["SentTimestamp"] == str(int(sent_at * 1000))
    assert attributes["ApproximateFirstReceiveTimestamp"] == str(int((sent_at + 2) * 1000))
    assert attributes["SenderId"] == "000000000000"
    second = await sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert second["Messages"][0]["Attributes"] == {"ApproximateReceiveCount": "2"}


async def test_trace_header_is_a_system_attribute_with_its_own_md5(sqs):
    url = await make_queue(sqs)
    header = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}}
    sent = await sqs.send_message(QueueUrl=url, MessageBody="traced", MessageSystemAttributes=header)
    assert sent["MD5OfMessageSystemAttributes"] == "62a56dd927315f2b2e12832b84617ea5"
    got = await sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"])
    assert got["Messages"][0]["Attributes"] == {"AWSTraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793"}


async def test_legacy_attribute_names_still_select_system_attributes(sqs, service):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="old client")
    # the model types AttributeNames as queue attribute names; AWS's server takes message attribute names too
    got = await sqs.receive_message(QueueUrl=url, AttributeNames=["SentTimestamp"])
    assert list(got["Messages"][0]["Attributes"]) == ["SentTimestamp"]


async def test_body_outside_xml_character_set_is_rejected(sqs):
    url = await make_queue(sqs)
    await fails_with("InvalidMessageContents", sqs.send_message(QueueUrl=url, MessageBody="bad \u0000 char"))
    await fails_with("InvalidMessageContents", sqs.send_message(QueueUrl=url, MessageBody="bad \ufffe char"))
    await sqs.send_message(QueueUrl=url, MessageBody="tab\tnewline\ncr\r and \U0001f680")


@pytest.mark.parametrize("control", [chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]])
def test_ascii_body_laid_out_on_lines_is_checked_character_by_character(control):
    envelope = '{\n  "Type" : "Notification",\n\t"Message" : "x"\r\n}\x7f'  # what SNS lays out, and DEL
    assert check_body(envelope) == envelope
    with pytest.raises(InvalidMessageContents):
        check_body(envelope.replace("Notification", f"Noti{control}fication"))


def test_size_counts_utf8_bytes_of_ascii_and_other_bodies_alike():
    assert size_of("hello\n", {}) == 6
    assert size_of("Grüße 🚀", {}) == len("Grüße 🚀".encode())


async def test_empty_body_is_a_missing_parameter(sqs):
    url = await make_queue(sqs)
    error = await fails_with("MissingParameter", sqs.send_message(QueueUrl=url, MessageBody=""))
    assert error.message == "The request must contain the parameter MessageBody."


async def test_body_of_exactly_the_maximum_size_is_accepted_one_more_byte_is_not(sqs):
    url = await make_queue(sqs, MaximumMessageSize="1024")
    await sqs.send_message(QueueUrl=url, MessageBody="a" * 1024)
    error = await fails_with("InvalidParameterValue", sqs.send_message(QueueUrl=url, MessageBody="b" * 1025))
    assert error.message == "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."


async def test_message_attributes_count_toward_the_size_limit(sqs):
    url = await make_queue(sqs, MaximumMessageSize="1024")
    attributes = {"key": {"DataType": "String", "StringValue": "v" * 10}}
    await fails_with(
        "InvalidParameterValue", sqs.send_message(QueueUrl=url, MessageBody="a" * 1010, MessageAttributes=attributes)
    )


async def test_default_maximum_message_size_is_one_mebibyte(sqs):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="a" * 1_048_576)
    await fails_with("InvalidParameterValue", sqs.send_message(QueueUrl=url, MessageBody="a" * 1_048_577))


async def test_invalid_message_attributes_are_rejected_with_aws_messages(sqs):
    url = await make_queue(sqs)
    cases = [
        ({"n": {"DataType": "Number", "StringValue": "forty"}}, "Can't cast the value of message (user) attribute 'n'"),
        ({"e": {"DataType": "String", "StringValue": ""}}, "must contain a non-empty value of type 'String'"),
        ({"t": {"DataType": "Blob", "StringValue": "x"}}, "supported type prefixes: Binary, Number, String"),
        ({"AWS.x": {"DataType": "String", "StringValue": "x"}}, "attribute name 'AWS.x' is invalid"),
        ({f"k{i}": {"DataType": "String", "StringValue": "x"} for i in range(11)}, "exceeds the allowed maximum [10]"),
    ]
    for attributes, text in cases:
        error = await fails_with(
            "InvalidParameterValue", sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
        )
        assert text in error.message


async def test_max_number_of_messages_is_one_to_ten(sqs):
    url = await make_queue(sqs)
    for _ in range(12):
        await sqs.send_message(QueueUrl=url, MessageBody="m")
    assert len((await sqs.receive_message(QueueUrl=url))["Messages"]) == 1
    assert len((await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]) == 10
    error = await fails_with("InvalidParameterValue", sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11))
    assert error.message == (
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
    )
    await fails_with("InvalidParameterValue", sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=0))


async def test_standard_queue_delivers_in_send_order_when_nothing_else_happens(sqs):
    url = await make_queue(sqs)
    for i in range(5):
        await sqs.send_message(QueueUrl=url, MessageBody=str(i))
    got = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in got["Messages"]] == ["0", "1", "2", "3", "4"]


async def test_approximate_counters_follow_visible_in_flight_and_delayed(sqs):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="visible")
    await sqs.send_message(QueueUrl=url, MessageBody="taken")
    await sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    await sqs.receive_message(QueueUrl=url)
    got = await sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )
    assert got["Attributes"] == {
        "ApproximateNumberOfMessages": "1",
        "ApproximateNumberOfMessagesNotVisible": "1",
        "ApproximateNumberOfMessagesDelayed": "1",
    }
