"""GetShardIterator and GetRecords: reading a shard from a position.

A position is the record position after which the next read starts (0 is before the first record).
GetShardIterator turns the five iterator types into one; GetRecords reads from it, at most Limit
records and 10 MiB, skips records past the stream's retention, and hands back an iterator for
where it stopped. A closed shard read to its end answers its ChildShards and no NextShardIterator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventyard.service import RequestContext
from eventyard.streams.core import StreamCore, timestamp_ms
from eventyard.streams.errors import (
    ITERATOR_LIFETIME_MS,
    InvalidArgumentException,
    dry_run,
    expired_iterator,
    read_throttled,
    shard_missing,
)
from eventyard.streams.hashing import decode_key
from eventyard.streams.iterators import ShardIterator, decode_iterator
from eventyard.streams.model import Shard, Stream, shard_id_of
from eventyard.streams.record_store import ShardRead
from eventyard.streams.sequence import format_sequence, parse_sequence, shard_base

DEFAULT_LIMIT = 10_000
MAX_BYTES = 10 * 1024 * 1024
_NEEDS_SEQUENCE = ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")


@dataclass
class Batch:
    """What one read of a shard returns, shaped for GetRecords and SubscribeToShard alike."""

    records: list[dict[str, Any]]
    position: int  # after the last record returned
    millis_behind: int
    ended: bool  # a closed shard, read to its end
    children: list[dict[str, Any]]


def shape_batch(read: ShardRead, after: int, now_ms: int) -> Batch:
    base = shard_base(int(read.created_at), read.shard_index, read.stream_tag)
    records: list[dict[str, Any]] = []
    position = after
    for seq, arrival, key, data in read.rows:
        record: dict[str, Any] = {
            "SequenceNumber": format_sequence(base, seq),
            "ApproximateArrivalTimestamp": arrival / 1000,
            "Data": data if isinstance(data, bytes) else bytes(data),
        }
        if key:
            record["PartitionKey"] = decode_key(key)
        if read.encryption != "NONE":
            record["EncryptionType"] = read.encryption
        records.append(record)
        position = seq
    unread = read.unread_arrival
    behind = max(0, now_ms - unread) if unread is not None else 0
    ended = read.closed and unread is None and position >= read.last_seq
    children = []
    if ended:
        for index, parent, adjacent, start, end in read.children:
            parents = [shard_id_of(p) for p in (parent, adjacent) if p is not None]
            children.append(
                {"ShardId": shard_id_of(index), "ParentShards": parents,
                 "HashKeyRange": {"StartingHashKey": start, "EndingHashKey": end}}
            )  # fmt: skip
    return Batch(records, position, behind, ended, children)


class Reading(StreamCore):
    async def get_shard_iterator(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = await self.stream_for(context, request)
        shard = self.shard_of(stream, request["ShardId"])
        kind = request["ShardIteratorType"]
        sequence = request.get("StartingSequenceNumber")
        if kind in _NEEDS_SEQUENCE and sequence is None:
            raise InvalidArgumentException(_iterator_rule(f"{kind} and no StartingSequenceNumber"))
        if kind in ("TRIM_HORIZON", "LATEST") and sequence is not None:
            raise InvalidArgumentException(_iterator_rule(f"{kind} and also a StartingSequenceNumber"))
        position = await self.starting_position(
            stream, shard, kind, sequence, request.get("Timestamp"), "GetShardIterator"
        )
        if request.get("DryRun"):
            raise dry_run()
        iterator = ShardIterator(
            shard.row_id, shard.index, position, self.now_ms(), stream.tag, stream.account, stream.name
        )
        return {"ShardIterator": iterator.encode()}

    async def starting_position(
        self, stream: Stream, shard: Shard, kind: str, sequence: str | None, timestamp: float | None, operation: str
    ) -> int:
        """The position after which reading starts, for an iterator type (shared with SubscribeToShard)."""
        if kind == "TRIM_HORIZON":
            return 0
        if kind == "LATEST":
            last = await self.records.last_position(shard.row_id)
            if last is None:
                raise shard_missing(shard.shard_id, stream.name, stream.account)
            return last
        if kind == "AT_TIMESTAMP":
            if timestamp is None:
                raise InvalidArgumentException(
                    "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request"
                    " has no timestamp parameter."
                )
            wanted, now = timestamp_ms(timestamp, "Timestamp"), self.now_ms()
            if wanted > now:
                raise InvalidArgumentException(
                    "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis."
                    f" timestampInMillis: {wanted}, currentTimestampInMillis: {now}"
                )
            return await self.records.position_at(shard.row_id, wanted)
        assert sequence is not None
        found = parse_sequence(sequence)
        where = f"used in {operation} on shard {shard.shard_id} in stream {stream.name} under account {stream.account}"
        if found is None:
            raise InvalidArgumentException(f"StartingSequenceNumber {sequence} {where} is invalid.")
        if found.stream_tag != stream.tag:
            raise InvalidArgumentException(
                f"StartingSequenceNumber {sequence} {where} is invalid because it did not come from this stream."
            )
        if found.shard_index != shard.index or found.created_s != int(shard.created_at):
            raise InvalidArgumentException(
                f"Invalid StartingSequenceNumber. It encodes {shard_id_of(found.shard_index)}, while it was used in"
                f" a call to a shard with {shard.shard_id}"
            )
        if kind == "AT_SEQUENCE_NUMBER":  # at the shard's own starting number: from its first record
            return max(found.position - 1, 0)
        return found.position

    async def get_records(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        iterator = decode_iterator(request["ShardIterator"])
        now_ms = self.now_ms()
        if now_ms - iterator.issued_ms > ITERATOR_LIFETIME_MS:
            raise expired_iterator(iterator.issued_ms, now_ms)
        if not self.throughput.admit_read(iterator.shard_row):
            raise read_throttled(iterator.shard_id, iterator.stream_name, iterator.account)
        limit = int(request.get("Limit") or DEFAULT_LIMIT)
        read = await self.records.read(iterator.shard_row, iterator.position, now_ms, limit, MAX_BYTES)
        if read is None or read.stream_tag != iterator.stream_tag or read.shard_index != iterator.shard_index:
            raise shard_missing(iterator.shard_id, iterator.stream_name, iterator.account)
        if request.get("DryRun"):
            raise dry_run()
        batch = shape_batch(read, iterator.position, now_ms)
        self.throughput.charge_read(iterator.shard_row, sum(len(r["Data"]) for r in batch.records))
        answer: dict[str, Any] = {"Records": batch.records, "MillisBehindLatest": batch.millis_behind}
        if batch.ended:
            answer["ChildShards"] = batch.children
        else:
            answer["NextShardIterator"] = iterator.moved_to(batch.position, now_ms).encode()
        return answer


def _iterator_rule(specified: str) -> str:
    return (
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or"
        f" (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {specified}."
    )
