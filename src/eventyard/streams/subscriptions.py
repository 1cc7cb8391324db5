"""SubscribeToShard: records pushed to an enhanced fan-out consumer as they arrive, for five minutes.

The operation answers ``{"EventStream": <async iterator>}``; each item is one event keyed by its
member name, ``{"SubscribeToShardEvent": {...}}`` (the gateway frames them for the wire). The first
event comes at once with what the starting position holds; after it, an event comes as soon as a
put commits records to the shard (woken on this node directly, on another through LISTEN/NOTIFY),
and an empty one after a quiet second, so ContinuationSequenceNumber keeps recording progress, as
AWS sends events "even when no data is written to the shard". A subscription ends after five
minutes on the yard's clock, or after the event that delivers the end of a closed shard (with its
ChildShards). An error inside it raises the EventyardError AWS sends as an event: a newer
subscription of the same consumer and shard (five seconds or more later) takes over and the older
one ends with ResourceInUseException; a deregistered consumer or deleted stream ends it with
ResourceNotFoundException.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from eventyard.ids import random_hex
from eventyard.service import RequestContext
from eventyard.streams.core import consumer_not_found
from eventyard.streams.errors import InvalidArgumentException, ResourceInUseException, dry_run, shard_missing
from eventyard.streams.model import ACTIVE, Consumer, Shard, Stream
from eventyard.streams.reading import MAX_BYTES, Reading, shape_batch
from eventyard.streams.waiters import wait_or_timeout

SUBSCRIPTION_SECONDS = 300.0
#: An empty event follows this long after the last one when no records arrive.
QUIET_SECONDS = 1.0
EVENT_RECORDS = 10_000


class Subscriptions(Reading):
    async def subscribe_to_shard(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = await self.consumer_by_arn(request["ConsumerARN"])
        now = self.now()
        if consumer.status_at(now) != ACTIVE:
            raise ResourceInUseException(f"Consumer {consumer.arn} is not in ACTIVE state.")
        shard = self.shard_of(stream, request["ShardId"])
        start = request["StartingPosition"]
        kind = start["Type"]
        sequence = start.get("SequenceNumber")
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER") and sequence is None:
            raise InvalidArgumentException(f"StartingPosition of type {kind} needs a SequenceNumber.")
        timestamp = start.get("Timestamp")
        position = await self.starting_position(stream, shard, kind, sequence, timestamp, "SubscribeToShard")
        if request.get("DryRun"):
            raise dry_run()
        holder = random_hex(64)
        if not await self.consumers.subscribe(consumer.id, shard.row_id, holder, now):
            raise ResourceInUseException(
                f"Another active subscription exists for consumer {consumer.arn} on shard {shard.shard_id}: a new"
                " one may take it over 5 seconds after it started."
            )
        return {"EventStream": self._events(stream, consumer, shard, holder, position, now + SUBSCRIPTION_SECONDS)}

    async def _events(
        self, stream: Stream, consumer: Consumer, shard: Shard, holder: str, position: int, deadline: float
    ) -> AsyncIterator[dict[str, Any]]:
        clock = self.yard.clock
        last_event: float | None = None
        while clock.now() < deadline:
            if last_event is not None:
                await self._check_holder(stream, consumer, shard, holder)
            woken = self.waiters.arm(shard.row_id)  # before the read: a put committing meanwhile still wakes us
            try:
                now_ms = self.now_ms()
                read = await self.records.read(shard.row_id, position, now_ms, EVENT_RECORDS, MAX_BYTES)
                if read is None or read.stream_tag != stream.tag:
                    raise shard_missing(shard.shard_id, stream.name, stream.account)
                batch = shape_batch(read, position, now_ms)
                now = clock.now()
                if batch.records or batch.ended or last_event is None or now - last_event >= QUIET_SECONDS:
                    event: dict[str, Any] = {
                        "Records": batch.records,
                        "ContinuationSequenceNumber": shard.sequence(batch.position),
                        "MillisBehindLatest": batch.millis_behind,
                    }
                    if batch.ended:
                        event["ChildShards"] = batch.children
                    last_event, position = now, batch.position
                    yield {"SubscribeToShardEvent": event}
                    if batch.ended:
                        return
                    if batch.millis_behind:  # more is there already: no waiting
                        continue
                quiet_until = (last_event or now) + QUIET_SECONDS
                await wait_or_timeout(clock, woken, min(deadline, quiet_until))
            finally:
                self.waiters.disarm(shard.row_id, woken)

    async def _check_holder(self, stream: Stream, consumer: Consumer, shard: Shard, holder: str) -> None:
        held = await self.consumers.holds(consumer.id, shard.row_id, holder)
        if held is None:
            raise consumer_not_found(consumer.arn)
        if not held:
            raise ResourceInUseException(
                f"Subscription of consumer {consumer.arn} to shard {shard.shard_id} was taken over by a newer"
                " SubscribeToShard."
            )
