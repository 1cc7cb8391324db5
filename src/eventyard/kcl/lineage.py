"""Which shards a KCL application may process now: parents before children.

After a reshard the closed parents keep records their children must not overtake, so a child is
eligible only once each of its parents is done: checkpointed at ``SHARD_END``, or no longer listed
(past the retention period, its records are gone), or skipped. With the initial position ``LATEST``
an application that never read a closed shard skips it (there is nothing after its latest record),
as the KCL creates leases only from the open shards down. A child of shards the application did
read starts at ``TRIM_HORIZON``, whatever the initial position, so that nothing falls in a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventyard.kcl.processor import LATEST, SHARD_END, TRIM_HORIZON


@dataclass(frozen=True, slots=True)
class Eligible:
    """A shard the application may process: its id and where a new lease of it starts."""

    shard_id: str
    start: str


def _parents(shard: dict[str, Any]) -> list[str]:
    return [p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p]


def eligible_shards(shards: list[dict[str, Any]], checkpoints: dict[str, str], initial: str) -> list[Eligible]:
    """The shards (ListShards' shapes) to process now, in shard id order."""
    listed = {s["ShardId"]: s for s in shards}
    skipped: set[str] = set()
    found: list[Eligible] = []
    for shard_id in sorted(listed):  # a child's index is always above its parents'
        shard = listed[shard_id]
        parents = [p for p in _parents(shard) if p in listed]
        read_parents = [p for p in parents if p not in skipped]
        closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
        checkpoint = checkpoints.get(shard_id)
        if initial == LATEST and closed and checkpoint is None and not read_parents:
            skipped.add(shard_id)
            continue
        if checkpoint == SHARD_END:
            continue
        if any(checkpoints.get(p) != SHARD_END for p in read_parents):
            continue
        found.append(Eligible(shard_id, TRIM_HORIZON if read_parents else initial))
    return found
