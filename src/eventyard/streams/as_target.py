"""A stream as an EventBridge rule target: each event becomes one record, put as PutRecords puts them.

EventBridge documents what a ``arn:aws:kinesis:...:stream/NAME`` target receives: the payload (the
event, or what Input/InputPath/InputTransformer made of it) as the record's data, and as partition
key the value that ``KinesisParameters.PartitionKeyPath``, a JSONPath, selects from the event;
without it, the event's id. AWS documents nothing for a path that selects nothing: the event id is
used then too (a delivery is never refused for it). A selected string is the key as it is; any other
value, its JSON text.

Delivery goes through the stream service's own operations (PutRecord, PutRecords five hundred at a
time), so a record is checked and acknowledged as any producer's is. A throttled record
(ProvisionedThroughputExceededException) or an internal failure is retried by the target's
RetryPolicy; any other refusal (the stream is gone, a key too long) goes to its dead-letter queue.
Staging runs PutRecords' checks up front so that the bus writes the records in the transaction
that accepts the events (see :mod:`eventyard.targets`); a throttled record is delivered later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from eventyard import arn
from eventyard.bus.transform import select
from eventyard.errors import ClientError, EventyardError
from eventyard.service import RequestContext
from eventyard.staging import StagedCall
from eventyard.targets import Rule, Staged, StagedCalls, Target

if TYPE_CHECKING:
    from eventyard.streams.service import StreamService

PUT_RECORDS_LIMIT = 500
_RETRIED = frozenset({"ProvisionedThroughputExceededException", "InternalFailure", "KMSThrottlingException"})


class RecordNotAccepted(Exception):
    """A record the stream did not take this time (throttled, or an internal failure): retried."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def partition_key(target: Target, event: dict[str, Any]) -> str:
    """The record's partition key: what PartitionKeyPath selects from the event, else its id."""
    path = (target.get("KinesisParameters") or {}).get("PartitionKeyPath")
    if path:
        found, value = select(event, path)
        if found and value is not None:
            return value if isinstance(value, str) else orjson.dumps(value).decode()
    return str(event["id"])


def _refusal(code: str, message: str) -> Exception:
    return RecordNotAccepted(code, message) if code in _RETRIED else ClientError(message, code=code)


class StreamTarget:
    """The ``arn:aws:kinesis:...:stream/`` target kind, bound to one yard's stream service."""

    def __init__(self, streams: StreamService) -> None:
        self.streams = streams

    def _where(self, stream_arn: str) -> RequestContext:
        parts = arn.parse_as(stream_arn, "kinesis")
        if parts is None:
            raise ClientError(f"Target {stream_arn} is not a stream.", code="ResourceNotFound")
        return RequestContext(account=parts.account, region=parts.region, endpoint=self.streams.yard.endpoint)

    async def deliver(self, target: Target, payload: str, event: dict[str, Any], rule: Rule) -> None:
        request = {"StreamARN": target["Arn"], "Data": payload.encode(), "PartitionKey": partition_key(target, event)}
        try:
            await self.streams.yard.call("kinesis", "PutRecord", request, self._where(target["Arn"]), trusted=True)
        except EventyardError as error:
            raise _refusal(error.code, error.message) from error

    async def deliver_batch(self, target: Target, items: list[tuple[str, dict[str, Any]]], rule: Rule) -> list[Any]:
        """PutRecords, five hundred records a call; a failed record fails its event alone."""
        context = self._where(target["Arn"])

        async def put(chunk: list[tuple[str, dict[str, Any]]]) -> list[Any]:
            records = [{"Data": p.encode(), "PartitionKey": partition_key(target, e)} for p, e in chunk]
            request = {"StreamARN": target["Arn"], "Records": records}
            try:
                result = await self.streams.yard.call("kinesis", "PutRecords", request, context, trusted=True)
            except EventyardError as error:
                return [_refusal(error.code, error.message)] * len(chunk)
            return [
                _refusal(r["ErrorCode"], r.get("ErrorMessage", "")) if r.get("ErrorCode") else None
                for r in result["Records"]
            ]

        chunks = [items[start : start + PUT_RECORDS_LIMIT] for start in range(0, len(items), PUT_RECORDS_LIMIT)]
        outcomes: list[Any] = []
        for chunk in chunks:  # one after another: the stream keeps the events' order
            try:
                outcomes += await put(chunk)
            except Exception as error:
                outcomes += [error] * len(chunk)
        return outcomes

    async def stage(self, target: Target, items: list[tuple[str, dict[str, Any]]]) -> Staged | None:
        """PutRecords staged five hundred records at a time, for a write in the accepting transaction."""
        context = self._where(target["Arn"])
        calls: list[StagedCall] = []
        refused: list[int] = []
        for start in range(0, len(items), PUT_RECORDS_LIMIT):
            chunk = items[start : start + PUT_RECORDS_LIMIT]
            records = [{"Data": p.encode(), "PartitionKey": partition_key(target, e)} for p, e in chunk]
            request = {"StreamARN": target["Arn"], "Records": records}
            try:
                call = await self.streams.yard.api.stage("kinesis", "PutRecords", request, context, trusted=True)
            except EventyardError:  # the stream is gone, or the whole chunk is refused
                return None
            calls.append(call)
            refused += [start + int(position) for position in call.refused]
        return StagedCalls(calls, refused, _records)


def _records(results: list[Any]) -> dict[int, dict[str, Any]]:
    """Each item's record (shard and sequence number) by its position; records refused at staging
    (throttled) are in ``refused``, delivered again through the kernel, which retries them."""
    found: dict[int, dict[str, Any]] = {}
    for index, result in enumerate(results):
        for offset, record in enumerate((result or {}).get("Records", [])):
            if "SequenceNumber" in record:
                position = index * PUT_RECORDS_LIMIT + offset
                found[position] = {"ShardId": record["ShardId"], "SequenceNumber": record["SequenceNumber"]}
    return found


def register(streams: StreamService) -> None:
    target = StreamTarget(streams)
    streams.yard.targets.register("kinesis", "stream/", target.deliver, batch=target.deliver_batch, stage=target.stage)
