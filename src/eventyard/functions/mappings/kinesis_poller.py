"""Polling one shard of a Kinesis stream for a mapping: read after the checkpoint, invoke, move on.

Reading goes through the stream service's own GetShardIterator and GetRecords, from the
mapping's checkpoint (``AFTER_SEQUENCE_NUMBER``) or, the first time, its StartingPosition
(``LATEST`` reads what arrived after the mapping was created). One batch per shard is in flight at
a time and the checkpoint moves only past records the mapping is done with, so a shard's records
reach the function in order, and a poller that dies re-reads from the checkpoint. A shard closed by
a reshard is read to its end (checkpoint :data:`SHARD_END`) before its children are read (see the
engine), so a key's records stay in order across a reshard too.

A failed batch is retried (the shard waits) until ``MaximumRetryAttempts`` or
``MaximumRecordAgeInSeconds`` runs out; then it goes to ``DestinationConfig.OnFailure`` (if any)
and the shard moves past it. ``BisectBatchOnFunctionError`` halves the batch on each failure (the
first half is retried; its other half follows as the next batch). With ``ReportBatchItemFailures``
the checkpoint moves up to the first record the function names, and the retry starts there.

``ParallelizationFactor`` N: a read takes up to N batches, split into N lanes by a hash of the
partition key and invoked concurrently, each lane in order (so each key's records stay in order);
the checkpoint moves once every lane is done. A retry runs in one lane.
"""

from __future__ import annotations

import asyncio
import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventyard.errors import EventyardError
from eventyard.functions.mappings import kinesis_events
from eventyard.functions.mappings.config import compile_filters
from eventyard.functions.mappings.destinations import send_on_failure
from eventyard.functions.mappings.invoking import Outcome, invoke
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.functions.mappings.store import Mapping
    from eventyard.yard import Yard

#: How often an idle shard is read (AWS polls each shard about once a second).
IDLE_SECONDS = 1.0
#: The checkpoint of a shard read to its end (closed by a reshard): its children may be read now.
SHARD_END = "SHARD_END"
#: GetRecords' own limit on one read.
MAX_READ = 10_000
#: Retries of a failed batch wait 1, 2, 4... seconds, at most this long.
MAX_RETRY_DELAY = 30.0


@dataclass(frozen=True, slots=True)
class ShardState:
    """What the shard's poller carries between firings: retries of the batch at the checkpoint."""

    attempts: int = 0
    limit: int | None = None  # a bisected batch's size

    def dump(self) -> str:
        return "" if self.attempts == 0 and self.limit is None else f"{self.attempts}:{self.limit or ''}"

    @classmethod
    def load(cls, text: str) -> ShardState:
        if not text:
            return cls()
        attempts, _, limit = text.partition(":")
        return cls(int(attempts), int(limit) if limit else None)


@dataclass(frozen=True, slots=True)
class Step:
    """What a poll decided: when to read the shard again, with what state, from which checkpoint."""

    again_at: float | None  # None: the shard is closed and read to its end
    state: ShardState = ShardState()
    checkpoint: str | None = None  # move the checkpoint to this sequence number
    result: str | None = None  # the mapping's LastProcessingResult after this batch (None: unchanged)


OK = "OK"
PROBLEM = "PROBLEM: Function call failed"


class KinesisPoller:
    def __init__(self, yard: Yard) -> None:
        self.yard = yard

    async def poll(self, mapping: Mapping, shard_id: str, checkpoint: str | None, state: ShardState) -> Step:
        if checkpoint == SHARD_END:
            return Step(None)
        config = mapping.config
        now = self.yard.clock.now()
        context = RequestContext(account=mapping.account, region=mapping.region, endpoint=self.yard.endpoint)
        size = int(config["BatchSize"])
        limit = min(size, state.limit or size)
        lanes = int(config.get("ParallelizationFactor") or 1) if state.attempts == 0 else 1
        try:
            iterator = await self._iterator(context, mapping, shard_id, checkpoint)
            answer = await self.yard.call(
                "kinesis",
                "GetRecords",
                {"ShardIterator": iterator, "Limit": min(MAX_READ, limit * lanes)},
                context,
                trusted=True,
            )
        except EventyardError as error:
            if error.code == "ResourceNotFoundException":
                return Step(None)  # the stream or shard is gone
            return Step(now + IDLE_SECONDS, state)  # throttled: read again shortly
        items = answer.get("Records") or []
        if not items:
            if answer.get("NextShardIterator"):
                return Step(now + IDLE_SECONDS, state)
            return Step(None, state, SHARD_END)  # closed and read to its end
        window = float(config.get("MaximumBatchingWindowInSeconds") or 0)
        first_arrival = float(items[0]["ApproximateArrivalTimestamp"])
        if window > 0 and len(items) < limit * lanes and now < first_arrival + window and state.attempts == 0:
            return Step(first_arrival + window, state)
        role = str(config.get("_Role") or "")
        records = [kinesis_events.record(i, shard_id, mapping.source_arn, mapping.region, role) for i in items]
        last = records[-1]["kinesis"]["sequenceNumber"]
        max_age = int(config.get("MaximumRecordAgeInSeconds", -1))
        if max_age != -1:
            expired = [r for r in records if now - r["kinesis"]["approximateArrivalTimestamp"] > max_age]
            if expired:
                await self._give_up(mapping, shard_id, expired, "RecordAgeExceeded", state.attempts, None)
                return Step(now, ShardState(), expired[-1]["kinesis"]["sequenceNumber"])
        filters = compile_filters(config.get("FilterCriteria"))
        kept = [r for r in records if filters.keeps(kinesis_events.filter_document(r))]
        if not kept:
            return Step(now, ShardState(), last)
        outcome, failed = await self._invoke(mapping, kept, limit, lanes)
        if not outcome.ok or failed is False:  # failed, or a malformed answer: the whole batch failed
            return await self._failed(mapping, shard_id, kept, state, outcome, checkpoint)
        if isinstance(failed, str):  # done up to the first failed record; the retry starts there
            retry = kept[[r["kinesis"]["sequenceNumber"] for r in kept].index(failed) :]
            return await self._failed(mapping, shard_id, retry, state, outcome, _before(records, failed) or checkpoint)
        return Step(now, ShardState(), last, OK)

    async def _invoke(
        self, mapping: Mapping, kept: list[dict[str, Any]], limit: int, lanes: int
    ) -> tuple[Outcome, str | bool | None]:
        """Invoke with ``kept``: in ``lanes`` concurrent lanes by partition key (ParallelizationFactor),
        each lane's records in order, in batches of at most ``limit``. Returns a failed outcome if any
        invocation failed, else the earliest record a ReportBatchItemFailures answer names (or False
        for a malformed answer, None when all succeeded)."""
        report = "ReportBatchItemFailures" in (mapping.config.get("FunctionResponseTypes") or [])
        order = {r["kinesis"]["sequenceNumber"]: i for i, r in enumerate(kept)}
        by_lane: dict[int, list[dict[str, Any]]] = {}
        for r in kept:
            lane = zlib.crc32(r["kinesis"]["partitionKey"].encode()) % lanes if lanes > 1 else 0
            by_lane.setdefault(lane, []).append(r)

        async def run_lane(records: list[dict[str, Any]]) -> tuple[Outcome, str | bool | None]:
            outcome = Outcome(True, None, 200, None)
            for start in range(0, len(records), limit):
                batch = records[start : start + limit]
                outcome = await invoke(self.yard, mapping, {"Records": batch})
                if not outcome.ok:
                    return outcome, None
                if report:
                    failed = kinesis_events.failed_sequence(
                        outcome.result, [r["kinesis"]["sequenceNumber"] for r in batch]
                    )
                    if failed is not None:
                        return outcome, failed
            return outcome, None

        results = await asyncio.gather(*(run_lane(records) for records in by_lane.values()))
        for outcome, _ in results:
            if not outcome.ok:
                return outcome, None
        failures = [failed for _, failed in results if failed is not None]
        if False in failures:
            return results[0][0], False
        named = [f for f in failures if isinstance(f, str)]
        return results[0][0], (min(named, key=order.__getitem__) if named else None)

    async def _failed(
        self,
        mapping: Mapping,
        shard_id: str,
        batch: list[dict[str, Any]],
        state: ShardState,
        outcome: Outcome,
        checkpoint: str | None,
    ) -> Step:
        config = mapping.config
        now = self.yard.clock.now()
        attempts = state.attempts + 1
        retries = int(config.get("MaximumRetryAttempts", -1))
        if retries != -1 and attempts > retries:
            await self._give_up(mapping, shard_id, batch, "RetryAttemptsExhausted", attempts, outcome)
            return Step(now, ShardState(), batch[-1]["kinesis"]["sequenceNumber"], PROBLEM)
        limit = state.limit
        if config.get("BisectBatchOnFunctionError") and len(batch) > 1:
            limit = math.ceil(len(batch) / 2)
        delay = min(MAX_RETRY_DELAY, 2.0 ** (attempts - 1))
        return Step(now + delay, ShardState(attempts, limit), checkpoint, PROBLEM)

    async def _give_up(
        self,
        mapping: Mapping,
        shard_id: str,
        batch: list[dict[str, Any]],
        condition: str,
        attempts: int,
        outcome: Outcome | None,
    ) -> None:
        record = kinesis_events.failure_record(
            batch,
            shard_id=shard_id,
            stream_arn=mapping.source_arn,
            function_arn=mapping.function_arn,
            condition=condition,
            invoke_count=attempts,
            status=outcome.status if outcome is not None else 200,
            function_error=outcome.error if outcome is not None else None,
            now=self.yard.clock.now(),
        )
        await send_on_failure(self.yard, mapping, record)

    async def _iterator(self, context: RequestContext, mapping: Mapping, shard_id: str, checkpoint: str | None) -> str:
        request: dict[str, Any] = {"StreamARN": mapping.source_arn, "ShardId": shard_id}
        position = mapping.config.get("StartingPosition")
        if checkpoint is not None:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=checkpoint)
        elif position == "TRIM_HORIZON":
            request["ShardIteratorType"] = "TRIM_HORIZON"
        else:  # LATEST: what arrived since the mapping was created; AT_TIMESTAMP: since the time given
            at = mapping.created_at if position == "LATEST" else float(mapping.config["StartingPositionTimestamp"])
            request.update(ShardIteratorType="AT_TIMESTAMP", Timestamp=min(at, self.yard.clock.now()))
        answer = await self.yard.call("kinesis", "GetShardIterator", request, context, trusted=True)
        return str(answer["ShardIterator"])


def _before(records: list[dict[str, Any]], sequence: str) -> str | None:
    """The sequence number of the record just before ``sequence`` in the batch (None: it is the first)."""
    previous = None
    for r in records:
        if r["kinesis"]["sequenceNumber"] == sequence:
            return previous
        previous = r["kinesis"]["sequenceNumber"]
    return previous
