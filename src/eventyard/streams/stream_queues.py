"""Stream queues: CreateQueue, DescribeQueue, ListQueues, UpdateQueue, DeleteQueue, and the record
operations (ReceiveQueueRecords, AcknowledgeQueueRecords, UpdateQueueRecordsVisibility and their
dead-letter twins, RestoreDeadLetterQueueRecords).

A queue reads one on-demand stream from its StartingPosition and delivers each record to one
consumer at a time (tables and statements: ``queue_store.py``). A receive waits up to
WaitTimeSeconds (default 9, as on AWS) for a record, woken by puts to the stream's shards and by the
end of the earliest lease; a record past the stream's retention is no longer delivered.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import struct
from typing import Any

from eventyard.errors import ValidationException
from eventyard.ids import random_hex
from eventyard.service import RequestContext
from eventyard.streams.core import StreamCore, parse_stream_arn, timestamp_ms
from eventyard.streams.errors import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from eventyard.streams.model import ACTIVE, ON_DEMAND, Shard, Stream, stream_arn
from eventyard.streams.pagination import PageToken, decode_token
from eventyard.streams.queue_store import Delivery, Handle, StreamQueue, queue_arn
from eventyard.streams.tags import check_tags

DEFAULT_VISIBILITY = 30
DEFAULT_MAX_RECEIVE = 6
DEFAULT_WAIT_SECONDS = 9
DEFAULT_LIMIT = 10
CONSUMER_LIMIT = 20  # queues share the stream's registered-consumer limit
_HANDLE = struct.Struct(">QQQ")


def _handle(delivery: Delivery, queue: int) -> str:
    return base64.b64encode(_HANDLE.pack(queue, delivery.shard, delivery.seq) + delivery.receipt.encode()).decode()


def _read_handle(text: str, timeout: int = 0) -> Handle | None:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) <= _HANDLE.size:
        return None
    queue, shard, seq = _HANDLE.unpack(raw[: _HANDLE.size])
    if max(queue, shard, seq) >= 2**63:  # not one we issued: no database integer is that large
        return None
    return Handle(queue, shard, seq, raw[_HANDLE.size :].decode("ascii", "replace"), timeout)


def _dead_letter_config(attributes: dict[str, Any], current: int | None) -> int | None:
    config = attributes.get("DeadLetterConfiguration")
    if config is None:
        return current
    if config["TargetType"] == "NONE":
        return None
    if config.get("MaxReceiveCount") is None:
        raise ValidationException("MaxReceiveCount is required when DeadLetterConfiguration's TargetType is BUILT_IN.")
    return int(config["MaxReceiveCount"])


class StreamQueues(StreamCore):
    def __init__(self, yard: Any) -> None:
        super().__init__(yard)
        self._turn = 0

    # --- the queue catalogue ---------------------------------------------------------------------

    async def create_queue(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        configurations = request["StreamConfigurationList"]
        if len(configurations) != 1:
            raise ValidationException("StreamConfigurationList must contain exactly one stream.")
        configuration = configurations[0]
        account, _, name = parse_stream_arn(configuration["StreamARN"])
        stream = await self.stream_for(context, {"StreamARN": configuration["StreamARN"]})
        self.require_active(stream)
        if stream.mode != ON_DEMAND:
            raise InvalidArgumentException(
                f"Queues are supported only on streams in ON_DEMAND mode; stream {name} under account {account}"
                " is in PROVISIONED mode."
            )
        position = configuration.get("StartingPosition") or {"Type": "LATEST"}
        kind, stamp = position["Type"], position.get("Timestamp")
        if (kind == "AT_TIMESTAMP") != (stamp is not None):
            raise ValidationException("StartingPosition takes a Timestamp with Type AT_TIMESTAMP, and only then.")
        attributes = request.get("QueueAttributes") or {}
        now = self.now()
        horizon = max(stream.created_at, now - stream.retention_seconds())
        stamp_ms = timestamp_ms(float(stamp), "Timestamp") if stamp is not None else 0
        cursors = {}
        for shard in stream.live_shards(now):
            if kind == "LATEST":
                cursors[shard.row_id] = await self.records.last_position(shard.row_id) or 0
            elif kind == "AT_TIMESTAMP":
                cursors[shard.row_id] = await self.records.position_at(shard.row_id, stamp_ms)
            else:
                cursors[shard.row_id] = 0
        effective = {"LATEST": now, "TRIM_HORIZON": horizon}.get(kind, max(stamp_ms / 1000, horizon))
        queue = StreamQueue(
            id=0,
            account=context.account,
            region=context.region,
            name=request["QueueName"],
            resource_id=random_hex(80),
            stream=stream.id,
            start_type=kind,
            start_at=effective,
            created_at=now,
            status="CREATING",
            settles_at=self.settles_at(now),
            visibility=int(attributes.get("VisibilityTimeoutSeconds", DEFAULT_VISIBILITY)),
            max_receive=_dead_letter_config(attributes, DEFAULT_MAX_RECEIVE),
            tags=check_tags(request.get("Tags") or {}, "add tags to", stream.name, stream.account),
            policy=None,
            stream_name=stream.name,
            stream_created=stream.created_at,
        )
        created, taken = await self.queues.create(queue, cursors, CONSUMER_LIMIT)
        if created is None:
            if taken < 0:
                raise ResourceInUseException(f"Queue {queue.name} under account {context.account} already exists.")
            raise LimitExceededException(
                f"Stream {stream.name} under account {stream.account} has reached its limit of {CONSUMER_LIMIT}"
                " registered consumers and queues."
            )
        return {"QueueDescription": self._describe(created, status="CREATING")}

    def _describe(self, queue: StreamQueue, status: str | None = None) -> dict[str, Any]:
        status = status or (queue.status if self.now() < queue.settles_at else ACTIVE)
        position: dict[str, Any] = {"Type": queue.start_type}
        if status != "CREATING" or queue.start_type == "AT_TIMESTAMP":
            position["Timestamp"] = queue.start_at
        dead_letters = (
            {"TargetType": "NONE"}
            if queue.max_receive is None
            else {"TargetType": "BUILT_IN", "MaxReceiveCount": queue.max_receive}
        )
        return {
            "QueueName": queue.name,
            "QueueARN": queue_arn(queue),
            "QueueStatus": status,
            "QueueCreationTimestamp": queue.created_at,
            "StreamConfigurationList": [
                {"StreamARN": stream_arn(queue.region, queue.account, queue.stream_name), "StartingPosition": position}
            ],
            "QueueAttributes": {"VisibilityTimeoutSeconds": queue.visibility, "DeadLetterConfiguration": dead_letters},
        }

    async def describe_queue(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"QueueDescription": self._describe(await self.queue_by_arn(request["QueueARN"]))}

    async def list_queues(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        streams: list[int] | None = None
        if request.get("StreamFilter"):
            streams = []
            for wanted in request["StreamFilter"]:
                account, region, name = parse_stream_arn(wanted["StreamARN"])
                stream = await self.find(account, region, name)
                created = wanted.get("StreamCreationTimestamp")
                if stream is not None and (created is None or abs(created - stream.created_at) < 1.0):
                    streams.append(stream.id)
        after = decode_token(request["NextToken"], now, expires=False).after if request.get("NextToken") else ""
        limit = int(request.get("MaxResults") or 100)
        found = await self.queues.page(context.account, context.region, streams, after, limit + 1)
        answer: dict[str, Any] = {
            "QueueSummaries": [
                {
                    "QueueName": q.name,
                    "QueueARN": queue_arn(q),
                    "QueueStatus": q.status if now < q.settles_at else ACTIVE,
                    "QueueCreationTimestamp": q.created_at,
                    "Streams": [
                        {
                            "StreamARN": stream_arn(q.region, q.account, q.stream_name),
                            "StreamCreationTimestamp": q.stream_created,
                        }
                    ],
                }
                for q in found[:limit]
            ]
        }
        if len(found) > limit:
            answer["NextToken"] = PageToken(found[limit - 1].name, now).encode()
        return answer

    async def update_queue(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_by_arn(request["QueueARN"])
        attributes = request["QueueAttributes"]
        changes: dict[str, Any] = {"max_receive": _dead_letter_config(attributes, queue.max_receive)}
        if attributes.get("VisibilityTimeoutSeconds") is not None:
            changes["visibility"] = int(attributes["VisibilityTimeoutSeconds"])
        now = self.now()
        await self.queues.update(queue.id, {**changes, "status": "UPDATING", "settles_at": self.settles_at(now)})
        return {"QueueDescription": self._describe(await self.queue_by_arn(request["QueueARN"]))}

    async def delete_queue(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_by_arn(request["QueueARN"])
        await self.queues.delete(queue.id)
        return {}

    # --- records ---------------------------------------------------------------------------------

    async def receive_queue_records(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return await self._receive(request, dead=False)

    async def receive_dead_letter_queue_records(self, context: RequestContext, request: dict[str, Any]) -> Any:
        return await self._receive(request, dead=True)

    async def _receive(self, request: dict[str, Any], *, dead: bool) -> dict[str, Any]:
        queue = await self.queue_by_arn(request["QueueARN"])
        clock = self.yard.clock
        if clock.now() < queue.settles_at and queue.status == "CREATING":
            raise ResourceInUseException(f"Queue {queue_arn(queue)} is not ACTIVE, instead in state CREATING.")
        stream = await self.catalogue.find_by_row(queue.stream)
        if stream is None:
            raise ResourceNotFoundException(f"Queue {queue_arn(queue)} not found.")
        limit = int(request.get("Limit") or DEFAULT_LIMIT)
        visibility = int(request.get("VisibilityTimeoutSeconds", queue.visibility))
        deadline = clock.now() + int(request.get("WaitTimeSeconds") or DEFAULT_WAIT_SECONDS)
        while True:
            shards = self._shards_in_turn(stream, clock.now())
            armed = [(row, self.waiters.arm(row)) for row in shards]  # before the read: a put meanwhile still wakes
            try:
                now = clock.now()
                cutoff = int((now - stream.retention_seconds()) * 1000)
                delivered, upcoming = await self.queues.receive(
                    queue, shards, limit, now, visibility, cutoff, random_hex(64), dead=dead
                )
                if delivered or clock.now() >= deadline:
                    by_row = {s.row_id: s for s in stream.shards}
                    return {"QueueRecords": [self._record(d, queue.id, by_row) for d in delivered]}
                await _wait_any(clock, [future for _, future in armed], min(deadline, upcoming or deadline))
            finally:
                for row, future in armed:
                    self.waiters.disarm(row, future)

    def _shards_in_turn(self, stream: Stream, now: float) -> list[int]:
        """The stream's live shards, starting from a different one on each receive (fairness)."""
        rows = [s.row_id for s in stream.live_shards(now)]
        self._turn += 1
        start = self._turn % len(rows) if rows else 0
        return rows[start:] + rows[:start]

    @staticmethod
    def _record(delivery: Delivery, queue: int, shards: dict[int, Shard]) -> dict[str, Any]:
        shard = shards.get(delivery.shard)
        record: dict[str, Any] = {
            "ReceiptHandle": _handle(delivery, queue),
            # the same in every queue of the stream: the record's sequence number
            "RecordId": shard.sequence(delivery.seq) if shard is not None else f"{delivery.shard}x{delivery.seq}",
            "Data": delivery.data,
            "ApproximateArrivalTimestamp": delivery.arrival / 1000,
            "FirstReceiveTimestamp": delivery.first_received_at,
            "ReceiveCount": delivery.receive_count,
        }
        if delivery.partition_key:
            record["PartitionKey"] = delivery.partition_key
        return record

    async def acknowledge_queue_records(self, context: RequestContext, request: dict[str, Any]) -> Any:
        return await self._settle(request, "ack", dead=False)

    async def acknowledge_dead_letter_queue_records(self, context: RequestContext, request: dict[str, Any]) -> Any:
        return await self._settle(request, "ack", dead=True)

    async def update_queue_records_visibility(self, context: RequestContext, request: dict[str, Any]) -> Any:
        return await self._settle(request, "visibility", dead=False)

    async def update_dead_letter_queue_records_visibility(
        self, context: RequestContext, request: dict[str, Any]
    ) -> Any:
        return await self._settle(request, "visibility", dead=True)

    async def restore_dead_letter_queue_records(self, context: RequestContext, request: dict[str, Any]) -> Any:
        return await self._settle(request, "restore", dead=True)

    async def _settle(self, request: dict[str, Any], action: str, *, dead: bool) -> dict[str, Any]:
        queue = await self.queue_by_arn(request["QueueARN"])
        entries = request["Entries"]
        handles = [_read_handle(e["ReceiptHandle"], int(e.get("VisibilityTimeoutSeconds", 0))) for e in entries]
        handles = [h if h is not None and h.queue == queue.id else None for h in handles]
        done = await self.queues.settle(handles, self.now(), action, dead=dead)
        successful, failed = [], []
        for entry, applied in zip(entries, done, strict=True):
            if applied:
                successful.append({"ReceiptHandle": entry["ReceiptHandle"]})
            else:
                failed.append(
                    {
                        "ReceiptHandle": entry["ReceiptHandle"],
                        "ErrorCode": "InvalidArgumentException",
                        "ErrorMessage": "The receipt handle is not valid for this queue, or no longer current.",
                    }
                )
        for handle, applied in zip(handles, done, strict=True):
            if (
                applied
                and handle is not None
                and (action == "restore" or (action == "visibility" and not handle.timeout))
            ):
                self.waiters.notify(handle.shard)  # visible now: wake the receives waiting for a record
        return {"Successful": successful, "Failed": failed}


async def _wait_any(clock: Any, futures: list[asyncio.Future[None]], until: float) -> None:
    """Wait until one of ``futures`` is woken or the clock reaches ``until``."""
    sleeper = asyncio.ensure_future(clock.sleep_until(until))
    try:
        await asyncio.wait([*futures, sleeper], return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not sleeper.done():
            sleeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sleeper
