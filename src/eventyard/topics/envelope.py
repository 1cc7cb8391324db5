"""What subscribers receive: the JSON envelope (SQS, HTTP/S, email-json), the Lambda event, raw bodies.

The envelope is AWS's (sns-message-and-json-formats; AWS-recorded fields and order): ``Type``,
``MessageId``, ``SequenceNumber`` (FIFO topics), ``TopicArn``, ``Subject`` (when given), ``Message``,
``Timestamp`` (ISO 8601 with milliseconds), ``SignatureVersion``, ``Signature`` and
``SigningCertURL`` (standard topics only: FIFO notifications are unsigned), ``UnsubscribeURL``, and
``MessageAttributes`` (``{"Type", "Value"}``, binary values in base64) when there are any. It is
laid out as AWS lays it out, one field per line.

A :class:`Notification` is a published message's facts, as the publishing transaction keeps them in
a delivery timer: everything a delivery needs but the subscription it goes to.
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

if TYPE_CHECKING:
    from eventyard.topics.signing import Signer

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"


@dataclass
class Notification:
    kind: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    endpoint: str  # the base URL of links (UnsubscribeURL, SubscribeURL, SigningCertURL)
    subject: str | None = None
    per_protocol: dict[str, str] | None = None  # MessageStructure json
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # BinaryValue as base64 text
    group_id: str | None = None
    dedup_id: str | None = None
    sequence: str | None = None
    signature_version: str = "1"
    signed: bool = True
    token: str | None = None
    to: list[str] | None = None  # an UnsubscribeConfirmation's [protocol, endpoint, account, region]

    def message_for(self, protocol: str) -> str:
        if self.per_protocol is None:
            return self.message
        return self.per_protocol.get(protocol, self.per_protocol["default"])

    def dumps(self) -> str:
        fields = {name: getattr(self, name) for name in _FIELDS}
        return orjson.dumps({k: v for k, v in fields.items() if v is not None and v != {}}).decode()

    @classmethod
    def loads(cls, text: str) -> Notification:
        return cls(**orjson.loads(text))

    def sqs_attributes(self) -> dict[str, dict[str, Any]]:
        """The message attributes as SQS takes them (raw delivery)."""
        out: dict[str, dict[str, Any]] = {}
        for name, attribute in self.attributes.items():
            if "BinaryValue" in attribute:
                out[name] = {
                    "DataType": attribute["DataType"],
                    "BinaryValue": base64.b64decode(attribute["BinaryValue"]),
                }
            else:
                out[name] = {"DataType": attribute["DataType"], "StringValue": attribute["StringValue"]}
        return out


_MARK = "@@subscription@@"  # where the subscription ARN goes in a laid-out envelope (no ARN has an @)
_FIELDS = tuple(f.name for f in dataclasses.fields(Notification))


def unsubscribe_url(endpoint: str, subscription_arn: str) -> str:
    return f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"


def subscribe_url(endpoint: str, topic_arn: str, token: str) -> str:
    return f"{endpoint}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={quote(token)}"


def _attributes(notification: Notification) -> dict[str, dict[str, str]]:
    return {
        name: {"Type": a["DataType"], "Value": a.get("StringValue", a.get("BinaryValue", ""))}
        for name, a in notification.attributes.items()
    }


def _lines(fields: list[tuple[str, Any]]) -> list[str]:
    lines = []
    for name, value in fields:
        if isinstance(value, dict):
            inner = ",\n".join(f"    {orjson.dumps(k).decode()} : {orjson.dumps(v).decode()}" for k, v in value.items())
            lines.append(f'  "{name}" : {{\n{inner}\n  }}')
        else:
            lines.append(f'  "{name}" : {orjson.dumps(value).decode()}')
    return lines


def _layout(fields: list[tuple[str, Any]]) -> str:
    return "{\n" + ",\n".join(_lines(fields)) + "\n}"


class Envelopes:
    """Builds a notification's envelopes, signing each distinct message text once."""

    def __init__(self, notification: Notification, signer: Signer | None) -> None:
        self.notification = notification
        self.signer = signer
        self._signed: dict[str, tuple[str, str] | None] = {}  # message text -> (signature, cert URL)
        self._parts: dict[str, tuple[str, str]] = {}  # message text -> the layout around the subscription ARN
        self._signing: dict[str, tuple[dict[str, Any], Any]] = {}  # message text -> (document, signature owed)

    def sign_early(self, protocol: str) -> None:
        """Have ``protocol``'s text signed off the loop now (see ``Signer.submit``), if it can be."""
        document = self.signable(protocol)
        if document is not None and self.signer is not None:
            pending = self.signer.submit(document, self.notification.signature_version)
            if pending is not None:
                self._signing[document["Message"]] = (document, pending)

    def _owed(self, text: str) -> None:
        """Take the signature of ``text`` asked for early, if one was: the thread's, or made here
        should the thread not have started on it (see ``Signer.submit``)."""
        found = self._signing.pop(text, None)
        if found is not None and self.signer is not None:
            document, pending = found
            signature = pending.claim() or self.signer.sign(document, self.notification.signature_version)
            self.signed_with(document, signature)

    def _signature(self, document: dict[str, Any]) -> tuple[str, str] | None:
        n = self.notification
        if not n.signed or self.signer is None:
            return None
        key = document["Message"]
        if self._signing:
            self._owed(key)
        if key not in self._signed:
            self._signed[key] = (self.signer.sign(document, n.signature_version), self.signer.cert_url(n.endpoint))
        return self._signed[key]

    def signable(self, protocol: str) -> dict[str, Any] | None:
        """The fields a notification's signature covers for ``protocol``'s text, when it is still unsigned."""
        n = self.notification
        if self._signing:
            self._owed(n.message_for(protocol))
        if n.kind != NOTIFICATION or not n.signed or self.signer is None or n.message_for(protocol) in self._signed:
            return None
        document = {"Type": NOTIFICATION, "MessageId": n.message_id, "TopicArn": n.topic_arn,
                    "Message": n.message_for(protocol), "Timestamp": n.timestamp}  # fmt: skip
        if n.subject is not None:
            document["Subject"] = n.subject
        return document

    def signed_with(self, document: dict[str, Any], signature: str) -> None:
        assert self.signer is not None
        self._signed[document["Message"]] = (signature, self.signer.cert_url(self.notification.endpoint))

    def fields(self, protocol: str, subscription_arn: str) -> list[tuple[str, Any]]:
        n = self.notification
        message = n.message_for(protocol)
        if n.kind != NOTIFICATION:
            document = {"Type": n.kind, "MessageId": n.message_id, "Token": n.token, "TopicArn": n.topic_arn,
                        "Message": message, "SubscribeURL": subscribe_url(n.endpoint, n.topic_arn, n.token or ""),
                        "Timestamp": n.timestamp}  # fmt: skip
            signed = self._signature(document)
            out: list[tuple[str, Any]] = list(document.items())
            if signed is not None:
                out += [("SignatureVersion", n.signature_version), ("Signature", signed[0]),
                        ("SigningCertURL", signed[1])]  # fmt: skip
            return out
        out = [("Type", NOTIFICATION), ("MessageId", n.message_id)]
        if n.sequence is not None:
            out.append(("SequenceNumber", n.sequence))
        out.append(("TopicArn", n.topic_arn))
        if n.subject is not None:
            out.append(("Subject", n.subject))
        out += [("Message", message), ("Timestamp", n.timestamp)]
        signed = self._signature(dict(out))
        if signed is not None:
            out += [("SignatureVersion", n.signature_version), ("Signature", signed[0]), ("SigningCertURL", signed[1])]
        out.append(("UnsubscribeURL", unsubscribe_url(n.endpoint, subscription_arn)))
        if n.attributes:
            out.append(("MessageAttributes", _attributes(n)))
        return out

    def json(self, protocol: str, subscription_arn: str) -> str:
        """The envelope as SQS, HTTP/S and email-json subscribers receive it. Only UnsubscribeURL
        differs between subscriptions: the rest is laid out once per message text."""
        if self.notification.kind != NOTIFICATION:
            return _layout(self.fields(protocol, subscription_arn))
        text = self.notification.message_for(protocol)
        parts = self._parts.get(text)
        if parts is None:
            lines = _lines(self.fields(protocol, _MARK))
            at = next(i for i, line in enumerate(lines) if line.startswith('  "UnsubscribeURL"'))
            head, _, _ = lines[at].partition(_MARK)
            parts = self._parts[text] = ("{\n" + ",\n".join([*lines[:at], head]), ",\n".join(["", *lines[at + 1 :]]))
        url = orjson.dumps(subscription_arn).decode()[1:-1]
        return f'{parts[0]}{url}"{parts[1]}\n}}'

    def lambda_event(self, subscription_arn: str) -> bytes:
        """The event a Lambda function is invoked with (AWS-recorded field names: ``SigningCertUrl``...)."""
        n = self.notification
        fields = dict(self.fields("lambda", subscription_arn))
        sns = {
            "Type": fields["Type"],
            "MessageId": fields["MessageId"],
            "TopicArn": fields["TopicArn"],
            "Subject": fields.get("Subject"),
            "Message": fields["Message"],
            "Timestamp": fields["Timestamp"],
            "SignatureVersion": fields.get("SignatureVersion", n.signature_version),
            "Signature": fields.get("Signature", ""),
            "SigningCertUrl": fields.get("SigningCertURL", ""),
            "UnsubscribeUrl": fields.get("UnsubscribeURL", ""),
            "MessageAttributes": fields.get("MessageAttributes", {}),
        }
        if n.sequence is not None:
            sns["SequenceNumber"] = n.sequence
        record = {"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": subscription_arn, "Sns": sns}
        return orjson.dumps({"Records": [record]})


async def presign(wanted: list[tuple[Envelopes, set[str]]], signer: Signer | None) -> None:
    """Sign, in one batch, what ``wanted`` envelopes will show for those protocols (see :mod:`.signers`)."""
    if signer is None:
        return
    by_version: dict[str, list[tuple[Envelopes, dict[str, Any]]]] = {}
    for envelopes, protocols in wanted:
        seen: set[str] = set()
        for protocol in protocols:
            document = envelopes.signable(protocol)
            if document is not None and document["Message"] not in seen:
                seen.add(document["Message"])
                by_version.setdefault(envelopes.notification.signature_version, []).append((envelopes, document))
    for version, items in by_version.items():
        signatures = await signer.sign_many([document for _, document in items], version)
        for (envelopes, document), signature in zip(items, signatures, strict=True):
            envelopes.signed_with(document, signature)
