"""SNS on the wire: boto3 against a real server, the certificate and the links a notification carries."""

from __future__ import annotations

import base64
import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.harness.server import ServerProcess

pytestmark = pytest.mark.server


def _queue(server: ServerProcess, name: str) -> tuple[str, str]:
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _receive(server: ServerProcess, url: str) -> list[dict[str, Any]]:
    sqs = server.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


def test_a_notification_verifies_with_the_certificate_fetched_from_its_url(server: ServerProcess) -> None:
    """Given a queue subscribed to a topic, when a message is published over the wire, then the
    certificate at SigningCertURL verifies the notification's Signature (AWS's documented steps)."""
    sns = server.client("sns")
    topic = sns.create_topic(Name="wire-signed", Attributes={"SignatureVersion": "2"})["TopicArn"]
    url, arn = _queue(server, "wire-signed")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="verify me", Subject="s")
    [message] = _receive(server, url)
    with urllib.request.urlopen(message["SigningCertURL"], timeout=5) as response:
        certificate = x509.load_pem_x509_certificate(response.read())
    keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    text = "".join(f"{key}\n{message[key]}\n" for key in keys if key in message)
    public_key: Any = certificate.public_key()
    public_key.verify(base64.b64decode(message["Signature"]), text.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_the_unsubscribe_url_unsubscribes_with_a_plain_get(server: ServerProcess) -> None:
    sns = server.client("sns")
    topic = sns.create_topic(Name="wire-unsubscribe")["TopicArn"]
    url, arn = _queue(server, "wire-unsubscribe")
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="once")
    [message] = _receive(server, url)
    with urllib.request.urlopen(message["UnsubscribeURL"], timeout=5) as response:
        assert response.status == 200 and b"<UnsubscribeResponse" in response.read()
    with pytest.raises(ClientError) as caught:
        sns.get_subscription_attributes(SubscriptionArn=sub)
    assert caught.value.response["Error"]["Code"] == "NotFound"


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    _Hook.received = []
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.server_address[1]}/hook"
    listener.shutdown()
    listener.server_close()


def _wait_for(count: int) -> None:
    import time

    deadline = time.monotonic() + 10
    while len(_Hook.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_Hook.received) >= count, f"{len(_Hook.received)} posts, expected {count}"


def test_an_http_endpoint_confirms_by_visiting_the_subscribe_url(server: ServerProcess, hook: str) -> None:
    """Given an HTTP endpoint on this machine, when it subscribes, then SNS posts the confirmation;
    visiting its SubscribeURL confirms the subscription and the next notification is posted."""
    sns = server.client("sns")
    topic = sns.create_topic(Name="wire-http")["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook)["SubscriptionArn"] == "pending confirmation"
    _wait_for(1)
    headers, confirmation = _Hook.received[0]
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=5) as response:
        assert b"<ConfirmSubscriptionResult><SubscriptionArn>" in response.read()
    sns.publish(TopicArn=topic, Message="over http")
    _wait_for(2)
    headers, notification = _Hook.received[1]
    assert notification["Message"] == "over http" and headers["x-amz-sns-message-type"] == "Notification"
