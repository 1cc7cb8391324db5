"""Topic attributes: which exist, which a topic type takes, their checks and what GetTopicAttributes shows.

A topic keeps only the attributes that were set; GetTopicAttributes adds what SNS derives (Owner,
TopicArn, the subscription counts, the default access policy, EffectiveDeliveryPolicy) and, on a
FIFO topic, ``FifoTopic`` and ``ContentBasedDeduplication`` (AWS-recorded: a standard topic shows
neither, even when created with ``FifoTopic: false``).
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.topics import delivery_policy
from eventyard.topics.errors import invalid
from eventyard.topics.store import Topic

_FEEDBACK = [
    f"{protocol}{kind}"
    for protocol in ("Application", "HTTP", "Lambda", "SQS", "Firehose")
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
]
#: What SetTopicAttributes (and CreateTopic) take on any topic.
SETTABLE = frozenset(
    ["DisplayName", "Policy", "DeliveryPolicy", "KmsMasterKeyId", "SignatureVersion", "TracingConfig", *_FEEDBACK]
)
#: What only a FIFO topic takes.
FIFO_ONLY = frozenset(["ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope"])
#: What CreateTopic takes besides (``FifoTopic`` is fixed at creation).
CREATE_ONLY = frozenset(["FifoTopic"])

_BOOLEANS = ("ContentBasedDeduplication",)


def default_policy(topic_arn: str, account: str) -> dict[str, Any]:
    """The access policy every new topic gets (AWS-recorded)."""
    return {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:AddPermission",
                    "SNS:RemovePermission",
                    "SNS:DeleteTopic",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish",
                ],
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
            }
        ],
    }


def check(name: str, value: str, *, fifo: bool, creating: bool) -> tuple[str, str | None]:
    """One attribute as SNS stores it: (name, value), value None to remove it. Refuses what SNS refuses."""
    prefix = "Attributes Reason: " if creating else ""
    if name in FIFO_ONLY and not fifo:
        raise invalid(f"{prefix}{name}: {name} is only valid for FIFO topics")
    if name not in SETTABLE and name not in FIFO_ONLY and not (creating and name in CREATE_ONLY):
        raise invalid(f"{prefix}AttributeName" if not creating else f"Attributes Reason: Unknown attribute {name}")
    if name in _BOOLEANS or name == "FifoTopic":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise invalid(f"{prefix}{name}: Invalid value [{value}]. Must be true or false.")
        return name, lowered
    if name == "SignatureVersion" and value not in ("1", "2"):
        raise invalid(f"{prefix}SignatureVersion: SignatureVersion must be 1 or 2")
    if name == "TracingConfig" and value not in ("PassThrough", "Active"):
        raise invalid(f"{prefix}TracingConfig: TracingConfig must be PassThrough or Active")
    if name == "FifoThroughputScope" and value not in ("Topic", "MessageGroup"):
        raise invalid(f"{prefix}FifoThroughputScope: Invalid value [{value}]. Please use either Topic or MessageGroup")
    if name == "Policy":
        return name, _checked_json(value, "Policy", prefix)
    if name == "ArchivePolicy":
        return name, _checked_json(value, "ArchivePolicy", prefix) if value else None
    if name == "DeliveryPolicy":
        return name, delivery_policy.normalize(value, name=f"{prefix}DeliveryPolicy")
    return name, value


def _checked_json(value: str, name: str, prefix: str) -> str:
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise invalid(f"{prefix}{name}: failed to parse JSON.")
    if not isinstance(document, dict):
        raise invalid(f"{prefix}{name}: must be a JSON object.")
    return value


def current(topic: Topic, name: str) -> str:
    """The value an attribute has now, defaults included (CreateTopic compares against these)."""
    if name == "FifoTopic":
        return "true" if topic.fifo else "false"
    if name == "ContentBasedDeduplication":
        return topic.attributes.get(name, "false")
    if name == "SignatureVersion":
        return topic.attributes.get(name, "1")
    if name == "DisplayName":
        return topic.attributes.get(name, "")
    if name == "Policy":
        return topic.attributes.get(name) or orjson.dumps(default_policy(topic.arn, topic.account)).decode()
    return topic.attributes.get(name, "")


def shown(topic: Topic, confirmed: int, pending: int) -> dict[str, str]:
    """GetTopicAttributes' answer."""
    answer: dict[str, str] = {
        "DisplayName": topic.attributes.get("DisplayName", ""),
        "Owner": topic.account,
        "Policy": current(topic, "Policy"),
        "SubscriptionsConfirmed": str(confirmed),
        "SubscriptionsDeleted": "0",
        "SubscriptionsPending": str(pending),
        "TopicArn": topic.arn,
        "EffectiveDeliveryPolicy": orjson.dumps(
            delivery_policy.effective_topic_policy(topic.attributes.get("DeliveryPolicy"))
        ).decode(),
    }
    for name, value in topic.attributes.items():
        if name not in answer and name != "FifoTopic":
            answer[name] = value
    if topic.fifo:
        answer["FifoTopic"] = "true"
        answer["ContentBasedDeduplication"] = topic.attributes.get("ContentBasedDeduplication", "false")
    return answer
