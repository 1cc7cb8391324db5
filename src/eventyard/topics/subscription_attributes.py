"""Subscription attributes: their checks, SNS's words for refusals, and what GetSubscriptionAttributes shows.

Settable: RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy, DeliveryPolicy
(HTTP/S), SubscriptionRoleArn (Firehose), ReplayPolicy (kept). Refusals in Subscribe's Attributes
read ``Invalid parameter: Attributes Reason: <name>: ...``; in SetSubscriptionAttributes
``Invalid parameter: <name>: ...`` (AWS-recorded). ``FilterPolicyScope`` is shown only while there is a
FilterPolicy (AWS-recorded), though it is kept either way.
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard import arn as arns
from eventyard.topics import delivery_policy
from eventyard.topics.errors import invalid, not_json
from eventyard.topics.filter_policy import SCOPES, parse_filter_policy
from eventyard.topics.store import Subscription

SETTABLE = frozenset(
    ["RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy",
     "SubscriptionRoleArn", "ReplayPolicy"]
)  # fmt: skip
RAW_PROTOCOLS = ("sqs", "http", "https", "firehose")
DEFAULTS = {"RawMessageDelivery": "false", "FilterPolicyScope": "MessageAttributes"}


def check(
    name: str, value: str, sub: Subscription, *, fifo_topic: bool, creating: bool, scope: str | None = None
) -> str | None:
    """One attribute as kept (None: removed). ``scope`` is the FilterPolicyScope a FilterPolicy is
    checked under (Subscribe passes the one given beside it)."""
    where = "Attributes Reason: " if creating else ""
    if name not in SETTABLE:
        raise invalid(f"{where}AttributeName" if not creating else f"Attributes Reason: Unknown attribute {name}")
    if name == "RawMessageDelivery":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise invalid(f"{where}RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
        if sub.protocol not in RAW_PROTOCOLS and lowered == "true":
            raise invalid(f"{where}Delivery protocol [{sub.protocol}] does not support raw message delivery.")
        return lowered
    if name == "FilterPolicyScope":
        if value not in SCOPES:
            raise invalid(
                f"{where}FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
            )
        policy = sub.attributes.get("FilterPolicy")
        if policy:
            parse_filter_policy(policy, value, creating=creating)
        return value
    if name == "FilterPolicy":
        chosen = scope or sub.attributes.get("FilterPolicyScope", "MessageAttributes")
        return value if parse_filter_policy(value, chosen, creating=creating) is not None else None
    if name == "RedrivePolicy":
        return _redrive(value, sub, fifo_topic, where)
    if name == "DeliveryPolicy":
        return delivery_policy.normalize(value, name=f"{where}DeliveryPolicy", topic=False)
    return value or None


def _redrive(value: str, sub: Subscription, fifo_topic: bool, where: str) -> str | None:
    if value == "":
        return None
    try:
        policy = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise not_json(f"{where}RedrivePolicy", value)
    if not isinstance(policy, dict) or "deadLetterTargetArn" not in policy:
        raise invalid(f"{where}RedrivePolicy: deadLetterTargetArn is missing")
    target = arns.parse_as(str(policy["deadLetterTargetArn"]), "sqs")
    if target is None:
        raise invalid(f"{where}RedrivePolicy: deadLetterTargetArn is an invalid arn")
    if fifo_topic and sub.endpoint.endswith(".fifo") and not target.resource.endswith(".fifo"):
        raise invalid(f"{where}RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.")
    return value


def effective(sub: Subscription, name: str) -> str:
    """An attribute's value now, defaults included (Subscribe's idempotency compares against these)."""
    return sub.attributes.get(name, DEFAULTS.get(name, ""))


def shown(sub: Subscription, topic_delivery_policy: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "ConfirmationWasAuthenticated": "true" if sub.attributes.get("_authenticated", "true") == "true" else "false",
        "Endpoint": sub.endpoint,
        "Owner": sub.owner,
        "PendingConfirmation": "true" if sub.pending else "false",
        "Protocol": sub.protocol,
        "RawMessageDelivery": effective(sub, "RawMessageDelivery"),
        "SubscriptionArn": sub.arn,
        "SubscriptionPrincipal": f"arn:aws:iam::{sub.owner}:root",
        "TopicArn": sub.topic_arn,
    }
    for key in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy", "SubscriptionRoleArn", "ReplayPolicy"):
        if key in sub.attributes:
            answer[key] = sub.attributes[key]
    if "FilterPolicy" in sub.attributes:
        answer["FilterPolicyScope"] = effective(sub, "FilterPolicyScope")
    if sub.protocol in ("http", "https"):
        answer["EffectiveDeliveryPolicy"] = orjson.dumps(
            delivery_policy.effective_subscription_policy(topic_delivery_policy, sub.attributes.get("DeliveryPolicy"))
        ).decode()
    return answer
