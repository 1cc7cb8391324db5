"""Queue attributes: AWS's defaults, ranges and wording, and what GetQueueAttributes shows.

A queue stores only its settable attributes (as strings, exactly as AWS echoes them back);
the computed ones (``QueueArn``, timestamps, ``Approximate*`` counters) are filled in on read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eventyard.queues.errors import InvalidAttributeName, InvalidAttributeValue, InvalidParameterValue

#: Settable attributes of every queue with their defaults, as AWS reports them.
STANDARD_DEFAULTS: dict[str, str] = {
    "VisibilityTimeout": "30",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
}

#: FIFO queues add these.
FIFO_DEFAULTS: dict[str, str] = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}

#: Integer attributes and their inclusive ranges (CreateQueue's documentation).
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "VisibilityTimeout": (0, 43_200),
    "MaximumMessageSize": (1_024, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600),
    "DelaySeconds": (0, 900),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}

_CHOICES = {"DeduplicationScope": ("messageGroup", "queue"), "FifoThroughputLimit": ("perQueue", "perMessageGroupId")}
BOOLEAN_ATTRIBUTES = frozenset({"FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"})
#: On a standard queue AWS does not know these names at all ...
_FIFO_NAMES = frozenset({"FifoQueue", "ContentBasedDeduplication"})
#: ... while these it knows, and says they need a FIFO queue.
_FIFO_SETTINGS = frozenset({"DeduplicationScope", "FifoThroughputLimit"})
OPTIONAL_ATTRIBUTES = frozenset({"Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"})
SETTABLE = (
    frozenset(STANDARD_DEFAULTS)
    | frozenset(FIFO_DEFAULTS)
    | OPTIONAL_ATTRIBUTES
    | frozenset({"KmsDataKeyReusePeriodSeconds"})
)
COMPUTED = frozenset(
    {
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "QueueArn",
    }
)
COUNTERS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)

#: The order AWS lists attributes in for ``All`` (cosmetic, but boto3 users print these).
ORDER = (
    "Policy",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "ApproximateNumberOfMessagesDelayed",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "SqsManagedSseEnabled",
)


@dataclass(frozen=True)
class RedrivePolicy:
    """Where a queue's poison messages go: the DLQ's ARN and the receive count that sends them."""

    dead_letter_target_arn: str
    max_receive_count: int


def defaults(fifo: bool) -> dict[str, str]:
    return {**STANDARD_DEFAULTS, **FIFO_DEFAULTS} if fifo else dict(STANDARD_DEFAULTS)


def invalid(name: str) -> InvalidAttributeValue:
    return InvalidAttributeValue(f"Invalid value for the parameter {name}.")


def normalize(given: dict[str, Any], *, fifo: bool, creating: bool) -> dict[str, str]:
    """Check attribute names and values the way CreateQueue/SetQueueAttributes do; returns clean strings."""
    clean: dict[str, str] = {}
    for name, raw in given.items():
        value = "" if raw is None else str(raw)
        if name not in SETTABLE or (name in _FIFO_NAMES and not fifo):
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        if name in _FIFO_SETTINGS and not fifo:
            raise InvalidAttributeName(f"You can specify the {name} only when FifoQueue is set to true.")
        if name == "FifoQueue" and not creating:
            # A FIFO queue may restate its type; changing it is refused.
            if value.lower() != "true":
                raise InvalidAttributeValue(
                    "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
                )
            continue
        if name in INTEGER_RANGES:
            low, high = INTEGER_RANGES[name]
            try:
                number = int(value)
            except ValueError:
                raise invalid(name)
            if not low <= number <= high:
                raise invalid(name)
            value = str(number)
        elif name in BOOLEAN_ATTRIBUTES:
            if value.lower() not in ("true", "false"):
                raise invalid(name)
            value = value.lower()
        elif name in _CHOICES and value not in _CHOICES[name]:
            raise invalid(name)
        elif name == "RedrivePolicy" and value:
            value = json.dumps(_redrive_policy_json(value), separators=(",", ":"))
        elif name == "RedriveAllowPolicy" and value:
            value = json.dumps(_redrive_allow_json(value), separators=(",", ":"))
        elif name == "Policy" and value:
            try:
                json.loads(value)
            except ValueError:
                raise invalid(name)
        clean[name] = value
    _check_encryption(clean)
    throughput = clean.get("FifoThroughputLimit")
    if throughput == "perMessageGroupId" and clean.get("DeduplicationScope") == "queue":
        raise InvalidAttributeValue(
            "Invalid value for the parameter FifoThroughputLimit. Reason: "
            "perMessageGroupId is allowed only when DeduplicationScope is messageGroup."
        )
    return clean


def _check_encryption(clean: dict[str, str]) -> None:
    """KMS and SQS-managed encryption exclude each other: naming a KMS key turns SSE-SQS off, and
    asking for both in one request is refused."""
    if not clean.get("KmsMasterKeyId"):
        return
    if clean.get("SqsManagedSseEnabled") == "true":
        raise InvalidAttributeName(
            "You can use one type of server-side encryption (SSE) at one time. "
            "You can either enable KMS SSE or SQS SSE."
        )
    clean["SqsManagedSseEnabled"] = "false"


def _redrive_policy_json(value: str) -> dict[str, Any]:
    try:
        policy = json.loads(value)
    except ValueError:
        raise InvalidParameterValue(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map."
        )
    if not isinstance(policy, dict):
        raise InvalidParameterValue(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map."
        )
    target = policy.get("deadLetterTargetArn")
    count = policy.get("maxReceiveCount")
    if target is None or count is None:
        missing = "deadLetterTargetArn" if target is None else "maxReceiveCount"
        raise InvalidParameterValue(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain "
            f"mandatory attribute: {missing}."
        )
    try:
        number = int(count)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 1000:
        raise InvalidParameterValue(
            f"Value {value} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: "
            f"{count}, valid values are from 1 to 1000 both inclusive."
        )
    return {"deadLetterTargetArn": str(target), "maxReceiveCount": number}


def _redrive_allow_json(value: str) -> dict[str, Any]:
    try:
        policy = json.loads(value)
    except ValueError:
        policy = None
    if not isinstance(policy, dict) or policy.get("redrivePermission") not in ("allowAll", "denyAll", "byQueue"):
        raise InvalidParameterValue(
            f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the "
            "redrive allow policy, as it's in an unsupported format."
        )
    sources = policy.get("sourceQueueArns")
    if policy["redrivePermission"] == "byQueue":
        if not isinstance(sources, list) or not 1 <= len(sources) <= 10:
            raise InvalidParameterValue(
                f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the "
                "redrive allow policy, as it's in an unsupported format."
            )
    elif sources:
        raise InvalidParameterValue(
            f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't create the "
            "redrive allow policy, as it's in an unsupported format."
        )
    return policy


def redrive_policy(attributes: dict[str, str]) -> RedrivePolicy | None:
    value = attributes.get("RedrivePolicy")
    if not value:
        return None
    policy = json.loads(value)
    return RedrivePolicy(policy["deadLetterTargetArn"], int(policy["maxReceiveCount"]))


def allows_source(dlq_attributes: dict[str, str], source_arn: str) -> bool:
    """Does the DLQ's RedriveAllowPolicy let ``source_arn`` name it as its dead-letter queue?"""
    value = dlq_attributes.get("RedriveAllowPolicy")
    if not value:
        return True
    policy = json.loads(value)
    permission = policy.get("redrivePermission")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        return source_arn in policy.get("sourceQueueArns", [])
    return True


def requested_names(names: list[str] | None) -> list[str] | None:
    """``None`` means every attribute (``All``); otherwise the names, checked."""
    if not names:
        return []
    if "All" in names:
        return None
    known = SETTABLE | COMPUTED
    for name in names:
        if name not in known:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
    return list(dict.fromkeys(names))


def ordered(attributes: dict[str, str]) -> dict[str, str]:
    rank = {name: index for index, name in enumerate(ORDER)}
    return dict(sorted(attributes.items(), key=lambda item: rank.get(item[0], len(rank))))
