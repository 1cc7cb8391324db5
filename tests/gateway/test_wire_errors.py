"""Every API answers bad requests with AWS's error shape, code and status, never a 500.

Given a real server and boto3 (client-side validation switched off, so the server must do it),
when a request lacks a required member, has a member of the wrong type, or names no operation,
then the SDK raises the ClientError AWS would have raised.
"""

from __future__ import annotations

import json

import cbor2
import pytest
from botocore.exceptions import ClientError

from tests.gateway.raw import AUTH, post
from tests.harness.server import ServerProcess

JSON_APIS = [
    # service, target prefix, json version, an operation, its request missing a required member, a wrong type
    ("sqs", "AmazonSQS", "1.0", "get_queue_url", {}, {"QueueName": 5}),
    ("events", "AWSEvents", "1.1", "describe_rule", {}, {"Name": ["not", "a", "string"]}),
    ("stepfunctions", "AWSStepFunctions", "1.0", "describe_execution", {}, {"executionArn": 12}),
    ("kinesis", "Kinesis_20131202", "1.1", "create_stream", {}, {"StreamName": "s", "ShardCount": "two"}),
]
MISSING_CODE = {
    "sqs": "MissingParameter",
    "events": "ValidationException",
    "stepfunctions": "ValidationException",
    "kinesis": "ValidationException",
}


def unvalidated(server: ServerProcess, service: str):
    return server.client(service, parameter_validation=False)


@pytest.mark.parametrize(("service", "prefix", "version", "method", "missing", "wrong"), JSON_APIS)
def test_missing_required_member_gets_the_services_validation_error(
    server: ServerProcess, service, prefix, version, method, missing, wrong
) -> None:
    with pytest.raises(ClientError) as caught:
        getattr(unvalidated(server, service), method)(**missing)
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == MISSING_CODE[service]
    if service == "sqs":
        assert error["Message"] == "The request must contain the parameter QueueName."
    else:
        assert error["Message"].startswith("1 validation error detected: Value null at '")
        assert error["Message"].endswith("failed to satisfy constraint: Member must not be null")


def test_a_maps_value_is_named_by_its_key_and_member(server: ServerProcess) -> None:
    """AWS-recorded (SNS): a map value's missing member is at ``<map>.<key>.member.<member>``."""
    sns = unvalidated(server, "sns")
    topic = sns.create_topic(Name="wire-errors")["TopicArn"]
    attributes = {"attr1": {"StringValue": "value"}}
    with pytest.raises(ClientError) as caught:
        sns.publish(TopicArn=topic, Message="m", MessageAttributes=attributes)
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value null at 'messageAttributes.attr1.member.dataType' failed to satisfy "
        "constraint: Member must not be null"
    )
    with pytest.raises(ClientError) as caught:
        sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
            {"Id": "1", "Message": "m", "MessageAttributes": attributes}])  # fmt: skip
    assert caught.value.response["Error"]["Message"] == (
        "1 validation error detected: Value null at 'publishBatchRequestEntries.1.member.messageAttributes.attr1"
        ".member.dataType' failed to satisfy constraint: Member must not be null"
    )


@pytest.mark.parametrize(("service", "prefix", "version", "method", "missing", "wrong"), JSON_APIS)
def test_wrong_member_type_gets_serialization_exception(
    server: ServerProcess, service, prefix, version, method, missing, wrong
) -> None:
    with pytest.raises(ClientError) as caught:
        getattr(unvalidated(server, service), method)(**wrong)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert caught.value.response["Error"]["Code"] == "SerializationException"


@pytest.mark.parametrize(("service", "prefix", "version", "method", "missing", "wrong"), JSON_APIS)
def test_unknown_operation_gets_unknown_operation_exception(
    server: ServerProcess, service, prefix, version, method, missing, wrong
) -> None:
    headers = {
        "X-Amz-Target": f"{prefix}.FlyToTheMoon",
        "Content-Type": f"application/x-amz-json-{version}",
        "Authorization": AUTH.format(service=service),
    }
    status, reply_headers, body = post(server.endpoint, b"{}", headers)
    assert status == 400
    payload = json.loads(body)
    assert payload["__type"].rsplit("#", 1)[-1] == "UnknownOperationException"
    assert "x-amzn-requestid" in reply_headers
    if service == "sqs":  # query-compatible: the old code travels in a header botocore reads first
        assert reply_headers["x-amzn-query-error"] == "UnknownOperationException;Sender"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_malformed_json_body_gets_serialization_exception(server: ServerProcess, body: bytes) -> None:
    headers = {"X-Amz-Target": "AWSEvents.ListRules", "Content-Type": "application/x-amz-json-1.1"}
    status, _, reply = post(server.endpoint, body, headers)
    assert status == 400
    assert json.loads(reply)["__type"] == "SerializationException"


def test_kinesis_cbor_errors_come_back_in_cbor(server: ServerProcess) -> None:
    headers = {"X-Amz-Target": "Kinesis_20131202.CreateStream", "Content-Type": "application/x-amz-cbor-1.1"}
    status, reply_headers, body = post(server.endpoint, cbor2.dumps({"ShardCount": 1}), headers)
    assert status == 400
    assert reply_headers["content-type"] == "application/x-amz-cbor-1.1"
    error = cbor2.loads(body)
    assert error["__type"] == "ValidationException"
    assert "Value null at 'streamName'" in error["message"]


def test_sqs_query_protocol_errors_are_xml(server: ServerProcess) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = post(server.endpoint, b"Action=FlyToTheMoon&Version=2012-11-05", form)
    assert status == 400
    assert b"<Code>InvalidAction</Code>" in body
    assert b"<Type>Sender</Type>" in body
    assert b"The action FlyToTheMoon is not valid for this endpoint." in body

    status, _, body = post(server.endpoint, b"Action=GetQueueUrl&Version=2012-11-05", form)
    assert status == 400
    assert b"<Code>MissingParameter</Code>" in body
    assert b"The request must contain the parameter QueueName." in body

    status, _, body = post(server.endpoint, b"Action=ReceiveMessage&QueueUrl=x&MaxNumberOfMessages=many", form)
    assert status == 400
    assert b"<Code>InvalidParameterValue</Code>" in body


def test_events_constraint_violations_are_listed_coral_style(server: ServerProcess) -> None:
    with pytest.raises(ClientError) as caught:
        unvalidated(server, "events").put_rule(Name="x" * 65, State="SOMETIMES")
    message = caught.value.response["Error"]["Message"]
    assert message.startswith("2 validation errors detected: ")
    assert "at 'name' failed to satisfy constraint: Member must have length less than or equal to 64" in message
    assert "at 'state' failed to satisfy constraint: Member must satisfy enum value set: [" in message
