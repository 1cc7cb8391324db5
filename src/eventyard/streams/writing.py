"""PutRecord and PutRecords: check as Kinesis does, route by hash key, store in one durable job.

Each record goes to the open shard whose hash key range holds the MD5 of its partition key (or its
ExplicitHashKey). The whole call is one job of the group-committing database, so it is acknowledged
only once durable, and concurrent calls share a commit. A shard closed by a reshard between routing
and writing makes the job fail as a whole; the call then routes again on the stream as it is now.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from eventyard.errors import ValidationException
from eventyard.service import RequestContext
from eventyard.streams.core import StreamCore
from eventyard.streams.errors import (
    InvalidArgumentException,
    ProvisionedThroughputExceededException,
    coral_length,
    coral_missing,
    dry_run,
    stream_not_found,
    write_throttled,
)
from eventyard.streams.hashing import encode_key, explicit_hash, partition_hash
from eventyard.streams.model import PROVISIONED, Shard, Stream
from eventyard.streams.record_store import Batch, ShardClosed
from eventyard.streams.sequence import parse_sequence

#: PutRecords refuses a request whose records (data and partition keys) pass 5 MiB in all.
MAX_REQUEST_BYTES = 5 * 1024 * 1024
#: A node trims a shard's expired records in a put at most this often (see ``RecordStore.put``).
TRIM_EVERY = 60.0
_ROUTING_ATTEMPTS = 8
_spread = random.Random()


@dataclass(slots=True)
class Entry:
    """One record to put: where its hash key routes it, and what it holds."""

    hash_key: int
    partition_key: bytes  # UTF-8, as stored
    data: bytes


class Writing(StreamCore):
    async def put_record(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, entry = await self._record_to_put(context, request)
        return self._record_answer(stream, await self._put(context, request, stream, [entry]))

    async def put_records(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, entries = await self._records_to_put(context, request)
        return self._records_answer(stream, await self._put(context, request, stream, entries))

    async def _record_to_put(self, context: RequestContext, request: dict[str, Any]) -> tuple[Stream, Entry]:
        """PutRecord's checks: the stream and the record to put."""
        stream = await self._writable(context, request)
        entry = self._entry(stream, request, "")
        ordering = request.get("SequenceNumberForOrdering")
        if ordering is not None:
            found = parse_sequence(ordering)
            if found is None or found.stream_tag != stream.tag:
                raise InvalidArgumentException(
                    f"ExclusiveMinimumSequenceNumber {ordering} used in PutRecord on stream {stream.name} under"
                    f" account {stream.account} is invalid."
                )
        if request.get("DryRun"):
            raise dry_run()
        return stream, entry

    async def _records_to_put(self, context: RequestContext, request: dict[str, Any]) -> tuple[Stream, list[Entry]]:
        """PutRecords' checks: the stream and the records to put."""
        stream = await self._writable(context, request)
        given = request["Records"]
        entries = [self._entry(stream, record, f"records.{i + 1}.member.") for i, record in enumerate(given)]
        total = sum(len(e.data) + len(e.partition_key) for e in entries)
        if total > MAX_REQUEST_BYTES:
            raise InvalidArgumentException(
                f"Records size exceeds 5 MB limit: the records of this request hold {total} bytes."
            )
        if request.get("DryRun"):
            raise dry_run()
        return stream, entries

    @staticmethod
    def _record_answer(stream: Stream, results: list[tuple[str, str, str | None]]) -> dict[str, Any]:
        ((shard, sequence, failure),) = results
        if failure is not None:
            raise ProvisionedThroughputExceededException(failure)
        answer = {"ShardId": shard, "SequenceNumber": sequence}
        if stream.encryption != "NONE":
            answer["EncryptionType"] = stream.encryption
        return answer

    @staticmethod
    def _records_answer(stream: Stream, results: list[tuple[str, str, str | None]]) -> dict[str, Any]:
        records: list[dict[str, str]] = []
        failed = 0
        for shard, sequence, failure in results:
            if failure is None:
                records.append({"SequenceNumber": sequence, "ShardId": shard})
            else:
                failed += 1
                records.append({"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": failure})
        answer: dict[str, Any] = {"FailedRecordCount": failed, "Records": records}
        if stream.encryption != "NONE":
            answer["EncryptionType"] = stream.encryption
        return answer

    async def _writable(self, context: RequestContext, request: dict[str, Any]) -> Stream:
        stream = await self.stream_for(context, request)
        if stream.status_at(self.now()) == "CREATING":  # AWS answers as if the stream were not there yet
            raise stream_not_found(stream.name, stream.account)
        return stream

    def _entry(self, stream: Stream, record: dict[str, Any], where: str) -> Entry:
        data: bytes = record["Data"]
        limit = stream.max_record_kib * 1024
        if len(data) > limit:
            raise coral_length(f"{where}data", len(data), limit)
        key = record.get("PartitionKey")
        if stream.distribution == "AUTO":
            return Entry(_spread.getrandbits(128), encode_key(key or ""), data)
        if key is None:
            raise coral_missing(f"{where}partitionKey")
        stored = encode_key(key)
        explicit = record.get("ExplicitHashKey")
        return Entry(explicit_hash(explicit) if explicit is not None else partition_hash(stored), stored, data)

    async def _put(
        self, context: RequestContext, request: dict[str, Any], stream: Stream, entries: list[Entry]
    ) -> list[tuple[str, str, str | None]]:
        """Store ``entries``; per entry (shard id, sequence number, None) or ("", "", why it was refused)."""
        for _ in range(_ROUTING_ATTEMPTS):
            plan = self._plan(stream, entries)
            try:
                stored = await self.records.put(list(plan.batches.values()), self.now_ms(), plan.trims)
            except ShardClosed:  # resharded meanwhile (perhaps by another node): route again
                self.forget(stream)
                stream = await self._writable(context, request)
                continue
            self._wake_readers(plan)
            return plan.answers(stored)
        raise ValidationException("The stream was resharded repeatedly while the records were being written.")

    def _plan(self, stream: Stream, entries: list[Entry]) -> Placement:
        """Route ``entries`` to the stream's open shards, refusing those over a shard's write limit."""
        shards = [stream.route(entry.hash_key) for entry in entries]
        refused = self._throttled(stream, shards, entries)
        batches: dict[int, Batch] = {}
        for position, (shard, entry) in enumerate(zip(shards, entries, strict=True)):
            if position not in refused:
                batch = batches.setdefault(shard.row_id, Batch(shard.row_id, []))
                batch.records.append((entry.partition_key, entry.data))
        return Placement(shards, refused, batches, self._due_trims(stream, batches))

    def _wake_readers(self, placement: Placement) -> None:
        for row in placement.batches:
            self.waiters.notify(row)

    def _throttled(self, stream: Stream, shards: list[Shard], entries: list[Entry]) -> dict[int, str]:
        if not self.throughput.enabled or stream.mode != PROVISIONED:
            return {}
        refused = {}
        for position, (shard, entry) in enumerate(zip(shards, entries, strict=True)):
            size = len(entry.data) + len(entry.partition_key)
            if not self.throughput.admit_write(shard.row_id, size):
                refused[position] = write_throttled(shard.shard_id, stream.name, stream.account)
        return refused

    def _due_trims(self, stream: Stream, batches: dict[int, Batch]) -> dict[int, int]:
        """The shards of this put whose expired records this node has not trimmed for a while."""
        now = self.now()
        due = {}
        for row in batches:
            if now - self.trimmed_at.get(row, float("-inf")) >= TRIM_EVERY:
                self.trimmed_at[row] = now
                due[row] = int((now - stream.retention_seconds()) * 1000)
        return due


@dataclass(slots=True)
class Placement:
    """Where a put's records go: each entry's shard, the refused ones (position -> why), the batches
    to store per shard row, and the shards whose expired records the put trims."""

    shards: list[Shard]
    refused: dict[int, str]
    batches: dict[int, Batch]
    trims: dict[int, int]

    def answers(self, stored: Any) -> list[tuple[str, str, str | None]]:
        next_position = {row: result.first for row, result in zip(self.batches, stored, strict=True)}
        answers: list[tuple[str, str, str | None]] = []
        for position, shard in enumerate(self.shards):
            why = self.refused.get(position)
            if why is not None:
                answers.append(("", "", why))
                continue
            at = next_position[shard.row_id]
            next_position[shard.row_id] = at + 1
            answers.append((shard.shard_id, shard.sequence(at), None))
        return answers
