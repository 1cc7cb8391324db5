"""Streams, shards and consumers as the service sees them (the rows behind them: ``store.py``).

State changes that AWS makes in the background happen here on read: a stream or consumer keeps a
transitional status (CREATING, UPDATING) until its ``settles_at`` time on the yard's clock and
reads as ACTIVE from then on, so nothing has to run to finish a transition.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property

from eventyard import arn
from eventyard.streams.sequence import format_sequence, shard_base

PROVISIONED = "PROVISIONED"
ON_DEMAND = "ON_DEMAND"
ACTIVE = "ACTIVE"
#: The metrics EnableEnhancedMonitoring's "ALL" stands for, in the order AWS lists them.
ALL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)


def shard_id_of(index: int) -> str:
    return f"shardId-{index:012d}"


def shard_index_of(shard_id: str) -> int | None:
    """``shardId-000000000001`` -> 1. AWS reads the digits after the last dash: ``shardId-1`` and
    ``anything-1`` name the same shard; None when there are no digits to read."""
    digits = shard_id.rsplit("-", 1)[-1]
    if not digits.isascii() or not digits.isdigit() or len(digits.lstrip("0")) > 10:
        return None
    index = int(digits)
    return index if index < 2**31 else None


@dataclass
class Shard:
    row_id: int
    index: int
    parent: int | None
    adjacent_parent: int | None
    start_hash: int
    end_hash: int
    created_at: float
    closed_at: float | None
    #: The position of the last record the shard holds; for a closed shard, its final one.
    last_seq: int
    stream_tag: int

    @cached_property
    def shard_id(self) -> str:
        return shard_id_of(self.index)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @cached_property
    def base(self) -> int:
        return shard_base(int(self.created_at), self.index, self.stream_tag)

    def sequence(self, position: int) -> str:
        return format_sequence(self.base, position)

    def holds(self, hash_key: int) -> bool:
        return self.start_hash <= hash_key <= self.end_hash

    def describe(self) -> dict[str, object]:
        """The Shard shape of DescribeStream and ListShards."""
        shown: dict[str, object] = {"ShardId": self.shard_id}
        if self.parent is not None:
            shown["ParentShardId"] = shard_id_of(self.parent)
        if self.adjacent_parent is not None:
            shown["AdjacentParentShardId"] = shard_id_of(self.adjacent_parent)
        shown["HashKeyRange"] = self.hash_range()
        numbers = {"StartingSequenceNumber": self.sequence(0)}
        if self.closed_at is not None:
            numbers["EndingSequenceNumber"] = self.sequence(self.last_seq)
        shown["SequenceNumberRange"] = numbers
        return shown

    def hash_range(self) -> dict[str, str]:
        return {"StartingHashKey": str(self.start_hash), "EndingHashKey": str(self.end_hash)}

    def open_at(self, when: float) -> bool:
        return self.created_at <= when and (self.closed_at is None or self.closed_at >= when)


@dataclass
class Stream:
    id: int
    account: str
    region: str
    name: str
    stream_id: str
    tag: int
    created_at: float
    status: str
    settles_at: float
    mode: str
    retention_hours: int
    encryption: str
    key_id: str | None
    metrics: list[str]
    tags: dict[str, str]
    policy: str | None
    max_record_kib: int
    warm_mibps: int | None
    distribution: str
    next_shard: int
    shards: list[Shard] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return stream_arn(self.region, self.account, self.name)

    def status_at(self, now: float) -> str:
        """The status a caller sees at ``now``: a transition is over once its time has come."""
        return self.status if now < self.settles_at else ACTIVE

    @cached_property
    def open_shards(self) -> list[Shard]:
        return sorted((s for s in self.shards if s.is_open), key=lambda s: s.start_hash)

    @cached_property
    def _starts(self) -> list[int]:
        return [s.start_hash for s in self.open_shards]

    def route(self, hash_key: int) -> Shard:
        """The open shard whose range holds ``hash_key`` (open ranges always cover the whole space)."""
        return self.open_shards[bisect.bisect_right(self._starts, hash_key) - 1]

    def shard(self, index: int) -> Shard | None:
        for shard in self.shards:
            if shard.index == index:
                return shard
        return None

    def retention_seconds(self) -> float:
        return self.retention_hours * 3600.0

    def live_shards(self, now: float) -> list[Shard]:
        """Shards that are open, or closed less than a retention period ago (older ones are expired:
        their records are gone and AWS lists them no more)."""
        horizon = now - self.retention_seconds()
        return [s for s in self.shards if s.closed_at is None or s.closed_at >= horizon]


def stream_arn(region: str, account: str, name: str) -> str:
    return arn.build("kinesis", region, account, f"stream/{name}")


@dataclass
class Consumer:
    id: int
    stream: int
    stream_arn: str
    name: str
    created_at: float
    status: str
    settles_at: float
    tags: dict[str, str]
    policy: str | None

    @property
    def arn(self) -> str:
        return f"{self.stream_arn}/consumer/{self.name}:{int(self.created_at)}"

    def status_at(self, now: float) -> str:
        return self.status if now < self.settles_at else ACTIVE

    def summary(self, now: float) -> dict[str, object]:
        return {
            "ConsumerName": self.name,
            "ConsumerARN": self.arn,
            "ConsumerStatus": self.status_at(now),
            "ConsumerCreationTimestamp": self.created_at,
        }
