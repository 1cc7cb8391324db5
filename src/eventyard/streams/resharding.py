"""SplitShard, MergeShards and UpdateShardCount: closing shards and opening their children.

A reshard is one transaction that reads the stream under its row lock, decides (a :class:`Plan`),
closes the parents and inserts the children. Closing a parent updates its row, which a concurrent
put also updates to take positions, so the two serialise: every record a parent acknowledged is
below its EndingSequenceNumber, and a put that routed to a parent closed meanwhile routes again.

UpdateShardCount does what AWS does, splits and merges of existing shards, in one go: it splits
the open shards at the boundaries of the target's uniform ranges, then merges the pieces of each
range. The short-lived intermediate shards exist (closed, with their lineage), as on AWS.
"""

from __future__ import annotations

from typing import Any

from eventyard.errors import ValidationException
from eventyard.service import RequestContext
from eventyard.streams.core import StreamCore, shard_limit
from eventyard.streams.errors import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    shard_not_found,
    stream_not_active,
    stream_not_found,
)
from eventyard.streams.errors import shard_limit as shard_limit_error
from eventyard.streams.hashing import even_ranges
from eventyard.streams.model import ACTIVE, ON_DEMAND, Shard, Stream, shard_id_of, shard_index_of
from eventyard.streams.store import NewShard, Reshape


class Plan:
    """Splits and merges applied in order to a stream's open shards, collecting what to write."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.next_index = stream.next_shard
        #: Open shards as (index, start, end), kept in hash order; new ones included.
        self.open = [(s.index, s.start_hash, s.end_hash) for s in stream.open_shards]
        self.existing = {s.index for s in stream.open_shards}
        self.reshape = Reshape([], [])
        self._created: dict[int, NewShard] = {}

    def _close(self, index: int) -> None:
        if index in self.existing:
            self.reshape.closed.append(index)
        else:
            self._created[index].closed = True

    def _create(self, start: int, end: int, parent: int, adjacent: int | None = None) -> int:
        index = self.next_index
        self.next_index += 1
        shard = self._created[index] = NewShard(start, end, parent, adjacent)
        self.reshape.created.append(shard)
        return index

    def split(self, index: int, new_start: int) -> None:
        position = next(i for i, (at, _, _) in enumerate(self.open) if at == index)
        _, start, end = self.open[position]
        self._close(index)
        lower = self._create(start, new_start - 1, index)
        upper = self._create(new_start, end, index)
        self.open[position : position + 1] = [(lower, start, new_start - 1), (upper, new_start, end)]

    def merge(self, index: int, adjacent: int) -> None:
        position = next(i for i, (at, _, _) in enumerate(self.open) if at == index)
        (_, start, _), (_, _, end) = self.open[position], self.open[position + 1]
        self._close(index)
        self._close(adjacent)
        child = self._create(start, end, index, adjacent)
        self.open[position : position + 2] = [(child, start, end)]


class Resharding(StreamCore):
    def _check_stream(self, stream: Stream, operation: str) -> None:
        status = stream.status_at(self.now())
        if status != ACTIVE:
            raise stream_not_active(stream.name, stream.account, status)
        if stream.mode == ON_DEMAND:
            raise ValidationException(
                f"{operation} is not supported for stream {stream.name} under account {stream.account}: it is in"
                " ON_DEMAND capacity mode."
            )

    def _open_shard(self, stream: Stream, shard_id: str, purpose: str) -> Shard:
        index = shard_index_of(shard_id)
        shard = stream.shard(index) if index is not None else None
        if shard is None:
            raise shard_not_found(shard_id_of(index) if index is not None else shard_id, stream.name, stream.account)
        if not shard.is_open:
            raise ResourceInUseException(
                f"Shard {shard.shard_id} in stream {stream.name} under account {stream.account} has already been"
                f" merged or split, and thus is not eligible for {purpose}"
            )
        return shard

    async def _reshard(self, context: RequestContext, request: dict[str, Any], decide: Any) -> Stream:
        stream = await self.stream_for(context, request)
        limit = shard_limit(stream.region)
        now = self.now()

        def plan(current: Stream) -> Reshape:
            steps = Plan(current)
            decide(current, steps)
            return steps.reshape

        changed, open_now = await self.catalogue.reshard(stream.id, now, self.settles_at(now), plan, limit)
        self.forget(stream)
        if changed is None:
            if open_now < 0:
                raise stream_not_found(stream.name, stream.account)
            raise shard_limit_error(stream.account, stream.region, open_now, limit, 1)
        for shard in stream.shards:  # subscriptions to a closed parent move on to its children
            self.waiters.notify(shard.row_id)
        return changed

    async def split_shard(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        new_start = int(request["NewStartingHashKey"])

        def decide(stream: Stream, steps: Plan) -> None:
            self._check_stream(stream, "SplitShard")
            shard = self._open_shard(stream, request["ShardToSplit"], "splitting")
            if not shard.start_hash + 1 < new_start < shard.end_hash:
                raise InvalidArgumentException(
                    f"NewStartingHashKey {request['NewStartingHashKey']} used in SplitShard() on shard"
                    f" {shard.shard_id} in stream {stream.name} under account {stream.account} is not both greater"
                    f" than one plus the shard's StartingHashKey {shard.start_hash} and less than the shard's"
                    f" EndingHashKey {shard.end_hash}."
                )
            steps.split(shard.index, new_start)

        await self._reshard(context, request, decide)
        return {}

    async def merge_shards(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        def decide(stream: Stream, steps: Plan) -> None:
            self._check_stream(stream, "MergeShards")
            lower = self._open_shard(stream, request["ShardToMerge"], "merging")
            upper = self._open_shard(stream, request["AdjacentShardToMerge"], "merging")
            if lower.end_hash + 1 != upper.start_hash:
                raise InvalidArgumentException(
                    f"Shards {lower.shard_id} and {upper.shard_id} in stream {stream.name} under account"
                    f" {stream.account} are not an adjacent pair of shards eligible for merging"
                )
            steps.merge(lower.index, upper.index)

        await self._reshard(context, request, decide)
        return {}

    async def update_shard_count(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        target = int(request["TargetShardCount"])
        counted: list[int] = []

        def decide(stream: Stream, steps: Plan) -> None:
            self._check_stream(stream, "UpdateShardCount")
            current = len(stream.open_shards)
            counted.append(current)
            if target > 2 * current or 2 * target < current:
                raise LimitExceededException(
                    f"UpdateShardCount failed for stream {stream.name} under account {stream.account}: the target"
                    f" shard count {target} must be between half and double the current count {current}."
                )
            if target == current and _uniform(stream, target):
                return
            ranges = even_ranges(target)
            for start, _ in ranges[1:]:
                holder = next((i for i, lo, hi in steps.open if lo < start <= hi), None)
                if holder is not None:
                    steps.split(holder, start)
            for start, end in ranges:
                while True:
                    pieces = [(i, lo, hi) for i, lo, hi in steps.open if lo >= start and hi <= end]
                    if len(pieces) < 2:
                        break
                    steps.merge(pieces[0][0], pieces[1][0])

        stream = await self._reshard(context, request, decide)
        return {
            "StreamName": stream.name,
            "StreamARN": stream.arn,
            "CurrentShardCount": counted[-1] if counted else target,
            "TargetShardCount": target,
        }


def _uniform(stream: Stream, count: int) -> bool:
    return [(s.start_hash, s.end_hash) for s in stream.open_shards] == even_ranges(count)
