"""Notifications verify as AWS documents (sns-verify-signature-of-message), with the served certificate.

The verifier below is written from AWS's documentation, not from Eventyard's code: it fetches the
certificate named by SigningCertURL, rebuilds the string to sign from the message's own fields, and
checks the signature with SHA1 (SignatureVersion 1) or SHA256 (SignatureVersion 2).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

import eventyard
from tests.topics.helpers import drain, envelopes, subscribed_queue, topic
from tests.topics.test_subscriptions import Endpoint

NOTIFICATION_KEYS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
CONFIRMATION_KEYS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]


async def verify(yard: eventyard.Yard, message: dict[str, Any]) -> None:
    """AWS's steps: take the certificate at SigningCertURL, build the string to sign, verify."""
    file_name = message["SigningCertURL"].rsplit("/", 1)[-1]
    pem = await yard.services["sns"].certificate(file_name)  # type: ignore[attr-defined]
    assert pem is not None, f"no certificate served for {message['SigningCertURL']}"
    certificate = x509.load_pem_x509_certificate(pem.encode())
    keys = NOTIFICATION_KEYS if message["Type"] == "Notification" else CONFIRMATION_KEYS
    text = "".join(f"{key}\n{message[key]}\n" for key in keys if key in message)
    digest = hashes.SHA1() if message["SignatureVersion"] == "1" else hashes.SHA256()
    public_key: Any = certificate.public_key()
    public_key.verify(base64.b64decode(message["Signature"]), text.encode(), padding.PKCS1v15(), digest)


@pytest.mark.parametrize("version", ["1", "2"])
async def test_a_notification_verifies_with_the_certificate_at_its_signing_cert_url(
    yard: eventyard.Yard, version: str
) -> None:
    sns, sqs = yard.client("sns"), yard.client("sqs")
    arn = await topic(yard, f"signed-{version}", SignatureVersion=version)
    url, _, _ = await subscribed_queue(yard, arn, f"signed-{version}")
    await sns.publish(TopicArn=arn, Message="with subject", Subject="Hi")
    await sns.publish(TopicArn=arn, Message="ö§ without subject", MessageAttributes={
        "a": {"DataType": "String", "StringValue": "not signed"}})  # fmt: skip
    for message in envelopes(await drain(sqs, url, expect=2)):
        assert message["SignatureVersion"] == version
        await verify(yard, message)
        tampered = {**message, "Message": message["Message"] + "!"}
        with pytest.raises(InvalidSignature):
            await verify(yard, tampered)


async def test_a_subscription_confirmation_verifies_too(yard: eventyard.Yard) -> None:
    endpoint = Endpoint(yard)
    arn = await topic(yard)
    await yard.client("sns").subscribe(TopicArn=arn, Protocol="http", Endpoint="http://hooks.local/x")
    await yard.run_until_idle()
    await verify(yard, endpoint.posts[0][2])


async def test_the_key_survives_a_restart_so_old_messages_still_verify(tmp_path: Any) -> None:
    path = str(tmp_path / "yard.db")
    async with eventyard.open(path) as yard:
        arn = await topic(yard)
        url, _, _ = await subscribed_queue(yard, arn, "kept")
        await yard.client("sns").publish(TopicArn=arn, Message="before the restart")
    async with eventyard.open(path) as yard:
        [message] = envelopes(await drain(yard.client("sqs"), url, expect=1))
        await verify(yard, message)
        assert json.loads(json.dumps(message))["Message"] == "before the restart"
