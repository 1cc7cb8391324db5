"""The query protocol from a model that is query (SNS): botocore's query serializer builds the form,
a fake SNS answers, botocore's query parser reads the XML (namespace, result wrapper, ``member``
lists, ``entry`` maps, errors); and forms go to SQS or SNS by the credential scope, then the action."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest

import eventyard
from eventyard.errors import ClientError
from eventyard.gateway.app import Gateway
from eventyard.models import model_for
from eventyard.service import RequestContext, Service
from tests.gateway.asgi import AUTH, botocore_call, call

TOPIC = "arn:aws:sns:us-east-1:000000000000:orders"
SNS_NS = "{http://sns.amazonaws.com/doc/2010-03-31/}"
FORM = {"content-type": "application/x-www-form-urlencoded"}


class NotFound(ClientError):
    code = "NotFound"  # the query code of the model's NotFoundException, whose status is 404
    shape = "NotFoundException"


class FakeSns(Service):
    name = "sns"

    def __init__(self, yard: eventyard.Yard) -> None:
        super().__init__(yard)
        self.requests: list[tuple[str, dict[str, Any]]] = []

    async def create_topic(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(("CreateTopic", request))
        return {"TopicArn": TOPIC}

    async def publish(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(("Publish", request))
        if request.get("TopicArn") != TOPIC:
            raise NotFound("Topic does not exist")
        return {"MessageId": "m-1"}

    async def list_topics(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Topics": [{"TopicArn": TOPIC}, {"TopicArn": TOPIC + "-2"}], "NextToken": "t-2"}

    async def get_topic_attributes(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Attributes": {"TopicArn": TOPIC, "DisplayName": "Orders & <Co>"}}

    async def list_tags_for_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": []}

    async def add_permission(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(("AddPermission", request))
        return {}


@pytest.fixture
async def sns() -> AsyncIterator[tuple[Gateway, FakeSns]]:
    async with eventyard.open("memory://") as yard:
        fake = FakeSns(yard)
        yard.services["sns"] = fake
        yield Gateway(yard), fake


async def sns_call(gateway: Gateway, name: str, **params: Any) -> tuple[Any, dict[str, Any]]:
    return await botocore_call(gateway, "query", model_for("sns").operations[name], params, "sns")


async def test_create_topic_reads_entry_maps_and_member_lists(sns) -> None:
    gateway, fake = sns
    response, parsed = await sns_call(
        gateway, "CreateTopic", Name="orders", Attributes={"DisplayName": "Orders", "FifoTopic": "false"},
        Tags=[{"Key": "team", "Value": "shop"}],
    )  # fmt: skip
    assert response.status == 200
    assert fake.requests[0] == (
        "CreateTopic",
        {"Name": "orders", "Attributes": {"DisplayName": "Orders", "FifoTopic": "false"},
         "Tags": [{"Key": "team", "Value": "shop"}]},
    )  # fmt: skip
    assert parsed["TopicArn"] == TOPIC
    root = ET.fromstring(response.body)
    assert root.tag == f"{SNS_NS}CreateTopicResponse"
    assert root.find(f"{SNS_NS}CreateTopicResult/{SNS_NS}TopicArn") is not None
    assert parsed["ResponseMetadata"]["RequestId"] == response.headers["x-amzn-requestid"]


async def test_publish_message_attributes_use_the_models_map_names(sns) -> None:
    gateway, fake = sns
    _, parsed = await sns_call(
        gateway, "Publish", TopicArn=TOPIC, Message="hello",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"},
                           "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}},
    )  # fmt: skip
    assert parsed["MessageId"] == "m-1"
    assert fake.requests[-1][1]["MessageAttributes"] == {
        "kind": {"DataType": "String", "StringValue": "order"},
        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }


async def test_lists_are_wrapped_in_member_and_maps_in_entry(sns) -> None:
    gateway, _ = sns
    response, parsed = await sns_call(gateway, "ListTopics")
    assert parsed["Topics"] == [{"TopicArn": TOPIC}, {"TopicArn": TOPIC + "-2"}]
    assert parsed["NextToken"] == "t-2"
    assert b"<Topics><member><TopicArn>" in response.body
    response, parsed = await sns_call(gateway, "GetTopicAttributes", TopicArn=TOPIC)
    assert parsed["Attributes"] == {"TopicArn": TOPIC, "DisplayName": "Orders & <Co>"}
    assert b"<Attributes><entry><key>TopicArn</key><value>" in response.body
    _, parsed = await sns_call(gateway, "ListTagsForResource", ResourceArn=TOPIC)
    assert parsed["Tags"] == []


async def test_sns_errors_are_query_errors_with_the_models_status(sns) -> None:
    gateway, _ = sns
    response, parsed = await sns_call(gateway, "Publish", TopicArn=TOPIC + "-gone", Message="x")
    assert response.status == 404  # NotFoundException's httpStatusCode
    assert parsed["Error"] == {"Type": "Sender", "Code": "NotFound", "Message": "Topic does not exist"}
    assert b'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">' in response.body


async def test_an_action_sqs_and_sns_share_goes_where_the_scope_says(sns) -> None:
    gateway, fake = sns
    _, parsed = await sns_call(
        gateway, "AddPermission", TopicArn=TOPIC, Label="l", AWSAccountId=["1"], ActionName=["Publish"]
    )
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert fake.requests[-1] == ("AddPermission", {"TopicArn": TOPIC, "Label": "l", "AWSAccountId": ["1"],
                                                   "ActionName": ["Publish"]})  # fmt: skip
    form = urlencode({"Action": "AddPermission", "QueueUrl": "http://h/000000000000/q", "Label": "l",
                      "AWSAccountId.1": "1", "ActionName.1": "SendMessage"}).encode()  # fmt: skip
    headers = {"content-type": "application/x-www-form-urlencoded", "authorization": AUTH.format(service="sqs")}
    response = await call(gateway, "POST", "/", headers=headers, body=form)
    assert b"AWS.SimpleQueueService.NonExistentQueue" in response.body  # SQS answered (the queue is unknown)
    assert b"queue.amazonaws.com" in response.body
    assert len(fake.requests) == 1


async def test_an_unsigned_form_goes_to_the_service_whose_model_has_the_action(sns) -> None:
    gateway, fake = sns
    form = urlencode({"Action": "Publish", "TopicArn": TOPIC, "Message": "hi"}).encode()
    response = await call(gateway, "POST", "/", headers=FORM, body=form)
    assert response.status == 200
    assert fake.requests[-1] == ("Publish", {"TopicArn": TOPIC, "Message": "hi"})
    form = urlencode({"Action": "AddPermission", "TopicArn": TOPIC, "Label": "l", "AWSAccountId.member.1": "1",
                      "ActionName.member.1": "Publish"}).encode()  # fmt: skip
    response = await call(gateway, "POST", "/", headers=FORM, body=form)
    assert response.status == 200, response.body
    assert fake.requests[-1] == ("AddPermission", {"TopicArn": TOPIC, "Label": "l", "AWSAccountId": ["1"],
                                                   "ActionName": ["Publish"]})  # fmt: skip


async def test_sqs_keeps_its_legacy_names_and_namespace() -> None:
    async with eventyard.open("memory://") as yard:
        gateway = Gateway(yard)
        form = urlencode({"Action": "CreateQueue", "QueueName": "q", "Attribute.1.Name": "DelaySeconds",
                          "Attribute.1.Value": "5"}).encode()  # fmt: skip
        headers = {"content-type": "application/x-www-form-urlencoded", "host": "localhost:4566"}
        response = await call(gateway, "POST", "/", headers=headers, body=form)
        assert response.status == 200
        assert response.body.startswith(b'<?xml version="1.0"?><CreateQueueResponse xmlns="http://queue.amazonaws.com/')
        assert b"<CreateQueueResult><QueueUrl>http://localhost:4566/000000000000/q</QueueUrl>" in response.body
        form = urlencode({"Action": "GetQueueAttributes", "QueueUrl": "http://localhost:4566/000000000000/q",
                          "AttributeName.1": "DelaySeconds"}).encode()  # fmt: skip
        response = await call(gateway, "POST", "/", headers=headers, body=form)
        assert b"<Attribute><Name>DelaySeconds</Name><Value>5</Value></Attribute>" in response.body


def test_query_answers_write_timestamps_as_iso8601_and_blobs_as_base64() -> None:
    from botocore.parsers import create_parser

    from eventyard.gateway.protocols.query import QueryProtocol

    model = model_for("iam")  # a query model with a blob and a timestamp in one answer
    report = b"user,arn\nroot,arn:aws:iam::000000000000:root\n"
    reply = QueryProtocol(model).reply(
        "GetCredentialReport", {"Content": report, "ReportFormat": "text/csv", "GeneratedTime": 1_767_225_600.5}, "r-1"
    )
    assert b"<GeneratedTime>2026-01-01T00:00:00.500Z</GeneratedTime>" in reply.body
    answer = {"status_code": 200, "headers": {}, "body": reply.body}
    parsed = create_parser("query").parse(answer, model.operations["GetCredentialReport"].output_shape)
    assert parsed["Content"] == report
    assert parsed["GeneratedTime"].timestamp() == 1_767_225_600.5
    assert parsed["ResponseMetadata"]["RequestId"] == "r-1"
