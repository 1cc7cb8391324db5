"""The SQS query protocol (form-encoded Action=..., XML out), as older SDKs speak it: the main flows."""

from __future__ import annotations

import hashlib
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from tests.gateway.raw import post
from tests.harness.server import ServerProcess

NS = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def call(server: ServerProcess, action: str, **params: str) -> ET.Element:
    body = urllib.parse.urlencode({"Action": action, "Version": "2012-11-05", **params}).encode()
    status, _, reply = post(server.endpoint, body, FORM)
    assert status == 200, reply.decode()
    return ET.fromstring(reply)


def text(element: ET.Element, path: str) -> str:
    found = element.find(path, NS)
    assert found is not None and found.text is not None, f"{path} missing"
    return found.text


@pytest.mark.server
def test_queue_lifecycle_and_messages_over_the_query_protocol(server: ServerProcess) -> None:
    created = call(
        server,
        "CreateQueue",
        QueueName="legacy",
        **{"Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "45"},
    )
    url = text(created, ".//q:QueueUrl")
    assert url.endswith("/000000000000/legacy")
    assert text(call(server, "GetQueueUrl", QueueName="legacy"), ".//q:QueueUrl") == url

    attributes = call(server, "GetQueueAttributes", QueueUrl=url, **{"AttributeName.1": "All"})
    values = {text(a, "q:Name"): text(a, "q:Value") for a in attributes.findall(".//q:Attribute", NS)}
    assert values["VisibilityTimeout"] == "45"

    sent = call(
        server, "SendMessage", QueueUrl=url, MessageBody="hello from 2012",
        **{"MessageAttribute.1.Name": "kind", "MessageAttribute.1.Value.DataType": "String",
           "MessageAttribute.1.Value.StringValue": "greeting"},
    )  # fmt: skip
    assert text(sent, ".//q:MD5OfMessageBody") == hashlib.md5(b"hello from 2012").hexdigest()
    assert text(sent, ".//q:MD5OfMessageAttributes")

    batch = call(
        server, "SendMessageBatch", QueueUrl=url,
        **{"SendMessageBatchRequestEntry.1.Id": "a", "SendMessageBatchRequestEntry.1.MessageBody": "one",
           "SendMessageBatchRequestEntry.2.Id": "b", "SendMessageBatchRequestEntry.2.MessageBody": "two"},
    )  # fmt: skip
    assert sorted(text(e, "q:Id") for e in batch.findall(".//q:SendMessageBatchResultEntry", NS)) == ["a", "b"]

    received = call(
        server, "ReceiveMessage", QueueUrl=url, MaxNumberOfMessages="10",
        **{"AttributeName.1": "All", "MessageAttributeName.1": "All"},
    )  # fmt: skip
    messages = received.findall(".//q:Message", NS)
    assert sorted(text(m, "q:Body") for m in messages) == ["hello from 2012", "one", "two"]
    first = next(m for m in messages if text(m, "q:Body") == "hello from 2012")
    assert text(first, "q:MessageAttribute/q:Value/q:StringValue") == "greeting"
    system = {text(a, "q:Name"): text(a, "q:Value") for a in first.findall("q:Attribute", NS)}
    assert system["ApproximateReceiveCount"] == "1"

    for message in messages:
        call(server, "DeleteMessage", QueueUrl=url, ReceiptHandle=text(message, "q:ReceiptHandle"))
    assert call(server, "ReceiveMessage", QueueUrl=url).findall(".//q:Message", NS) == []

    listed = call(server, "ListQueues", QueueNamePrefix="legacy")
    assert [e.text for e in listed.findall(".//q:QueueUrl", NS)] == [url]
    call(server, "DeleteQueue", QueueUrl=url)
    status, _, reply = post(
        server.endpoint, urllib.parse.urlencode({"Action": "GetQueueUrl", "QueueName": "legacy"}).encode(), FORM
    )
    assert status == 400
    assert b"<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in reply


@pytest.mark.server
def test_older_sdks_may_address_the_queue_by_path(server: ServerProcess) -> None:
    url = text(call(server, "CreateQueue", QueueName="by-path"), ".//q:QueueUrl")
    path = urllib.parse.urlsplit(url).path
    body = urllib.parse.urlencode({"Action": "SendMessage", "MessageBody": "via path"}).encode()
    status, _, reply = post(server.endpoint, body, FORM, path=path)
    assert status == 200, reply
    received = call(server, "ReceiveMessage", QueueUrl=url)
    assert [text(m, "q:Body") for m in received.findall(".//q:Message", NS)] == ["via path"]
