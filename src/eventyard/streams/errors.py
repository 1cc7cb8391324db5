"""Kinesis Data Streams' errors: the model's exception shapes, and AWS's messages built in one place.

The messages are the ones production Kinesis answers with (as recorded by projects that test against
it: LocalStack's snapshots, kinesalite's suite); where no recording exists the wording follows the
same pattern and says so in a comment.
"""

from __future__ import annotations

import time

from eventyard.errors import ClientError, ResourceNotFoundException, ValidationException

__all__ = [
    "ExpiredIteratorException",
    "ExpiredNextTokenException",
    "InvalidArgumentException",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "ValidationException",
]

#: How long a shard iterator stays valid (AWS: five minutes).
ITERATOR_LIFETIME_MS = 300_000


class InvalidArgumentException(ClientError):
    code = "InvalidArgumentException"


class ResourceInUseException(ClientError):
    code = "ResourceInUseException"


class LimitExceededException(ClientError):
    code = "LimitExceededException"


class ExpiredIteratorException(ClientError):
    code = "ExpiredIteratorException"


class ExpiredNextTokenException(ClientError):
    code = "ExpiredNextTokenException"


class ProvisionedThroughputExceededException(ClientError):
    code = "ProvisionedThroughputExceededException"


# --- messages ------------------------------------------------------------------------------------


def stream_not_found(name: str, account: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Stream {name} under account {account} not found.")


def stream_exists(name: str, account: str) -> ResourceInUseException:
    return ResourceInUseException(f"Stream {name} under account {account} already exists.")


def stream_not_active(name: str, account: str, status: str) -> ResourceInUseException:
    return ResourceInUseException(f"Stream {name} under account {account} not ACTIVE, instead in state {status}")


def shard_missing(shard_id: str, name: str, account: str) -> ResourceNotFoundException:
    """GetShardIterator, GetRecords and SubscribeToShard name a shard the stream does not have."""
    return ResourceNotFoundException(f"Shard {shard_id} in stream {name} under account {account} does not exist")


def shard_not_found(shard_id: str, name: str, account: str) -> ResourceNotFoundException:
    """SplitShard and MergeShards name a shard the stream does not have."""
    return ResourceNotFoundException(f"Could not find shard {shard_id} in stream {name} under account {account}.")


def invalid_iterator() -> InvalidArgumentException:
    return InvalidArgumentException("Invalid ShardIterator.")


def expired_iterator(issued_ms: int, now_ms: int) -> ExpiredIteratorException:
    return ExpiredIteratorException(
        f"Iterator expired. The iterator was created at time {java_date(issued_ms)} while right now it is"
        f" {java_date(now_ms)} which is further in the future than the tolerated delay of"
        f" {ITERATOR_LIFETIME_MS} milliseconds."
    )


def java_date(epoch_ms: int) -> str:
    """A time as Java's ``Date.toString()`` renders it in UTC, which is how Kinesis writes times in messages."""
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(epoch_ms / 1000))


def shard_limit(account: str, region: str, current: int, limit: int, more: int) -> LimitExceededException:
    return LimitExceededException(
        f"This request would exceed the shard limit for the account {account} in {region}. Current shard count for"
        f" the account: {current}. Limit: {limit}. Number of additional shards that would have resulted from this"
        f" request: {more}. Refer to the AWS Service Limits page"
        " (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to"
        " request higher limits."
    )


def write_throttled(shard_id: str, name: str, account: str) -> str:
    return f"Rate exceeded for shard {shard_id} in stream {name} under account {account}."


def read_throttled(shard_id: str, name: str, account: str) -> ProvisionedThroughputExceededException:
    return ProvisionedThroughputExceededException(f"Rate exceeded for Shard - {account}/{name}/{shard_id}")


def retention_too_short(hours: int) -> InvalidArgumentException:
    return InvalidArgumentException(
        f"Minimum allowed retention period is 24 hours. Requested retention period ({hours} hours) is too short."
    )


def retention_too_long(hours: int) -> InvalidArgumentException:
    return InvalidArgumentException(
        f"Maximum allowed retention period is 8760 hours. Requested retention period ({hours} hours) is too long."
    )


def too_many_tags(verb: str, name: str, account: str, limit: int) -> InvalidArgumentException:
    return InvalidArgumentException(
        f"Failed to {verb} stream {name} under account {account} because a given stream cannot have more than"
        f" {limit} tags associated with it."
    )


def coral_length(where: str, size: int, limit: int) -> ValidationException:
    """A blob over its length limit, in the words of AWS's request validation (Java renders blobs so)."""
    return ValidationException(
        f"1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]' at '{where}'"
        f" failed to satisfy constraint: Member must have length less than or equal to {limit}"
    )


def coral_missing(where: str) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value null at '{where}' failed to satisfy constraint: Member must not be null"
    )


class DryRunOperationException(ClientError):
    code = "DryRunOperationException"


def dry_run() -> DryRunOperationException:
    return DryRunOperationException("Request would have succeeded, but DryRun flag is set.")
