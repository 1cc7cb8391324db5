"""What every part of the stream service shares: the stores, the clock, options, and finding streams.

The operations are split by concept (streams, settings, tags, shards, writing, reading, consumers,
subscriptions, stream queues); each is a mixin over this core, and
:class:`~eventyard.streams.service.StreamService` joins them.

Options (read once, when the yard builds the service; tests set the attributes directly):

- ``EVENTYARD_KINESIS_TRANSITION_SECONDS`` (default ``0``): how long, on the yard's clock, a stream
  stays CREATING or UPDATING and a consumer CREATING. AWS takes seconds; 0 makes every change
  read as ACTIVE at once, which keeps users' scripts and boto3 waiters fast (a waiter that sees
  CREATING sleeps 10 s). The transitional state is still what RegisterStreamConsumer answers.
- ``EVENTYARD_KINESIS_THROUGHPUT_LIMITS`` (``1`` to enable, default off): emulate the per-shard
  limits of provisioned streams (see ``throughput.py``).
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from eventyard import arn
from eventyard.service import RequestContext, Service
from eventyard.streams.consumer_store import ConsumerStore
from eventyard.streams.errors import (
    InvalidArgumentException,
    ResourceNotFoundException,
    shard_missing,
    stream_not_active,
    stream_not_found,
)
from eventyard.streams.model import ACTIVE, Consumer, Shard, Stream, shard_id_of, shard_index_of
from eventyard.streams.queue_store import QueueStore, StreamQueue, queue_arn
from eventyard.streams.record_store import RecordStore
from eventyard.streams.store import StreamCatalogue
from eventyard.streams.throughput import Throughput
from eventyard.streams.waiters import ShardWaiters

if TYPE_CHECKING:
    from eventyard.yard import Yard

#: How long a node trusts its cached copy of a stream where other nodes may change it (PostgreSQL).
SHARED_CACHE_SECONDS = 1.0
#: Regions where an account may hold 500 open shards; 200 elsewhere (AWS's default quotas).
_LARGE_REGIONS = frozenset({"us-east-1", "us-west-2", "eu-west-1"})


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def shard_limit(region: str) -> int:
    return 500 if region in _LARGE_REGIONS else 200


#: Timestamps are clamped to this many seconds either side of the epoch (far beyond any record).
_TIMESTAMP_BOUND = 1e12


def timestamp_ms(value: float, member: str) -> int:
    """A request's timestamp as epoch milliseconds (CBOR can carry infinities; no integer column can)."""
    if not math.isfinite(value):
        raise InvalidArgumentException(f"{member} is not a valid timestamp.")
    return round(max(-_TIMESTAMP_BOUND, min(_TIMESTAMP_BOUND, value)) * 1000)


class StreamCore(Service):
    def __init__(self, yard: Yard) -> None:
        super().__init__(yard)
        self.catalogue = StreamCatalogue(yard.db)
        self.records = RecordStore(yard.db)
        self.consumers = ConsumerStore(yard.db)
        self.queues = QueueStore(yard.db)
        self.waiters = ShardWaiters()
        self.transition_seconds = _env_float("EVENTYARD_KINESIS_TRANSITION_SECONDS", 0.0)
        limits = os.environ.get("EVENTYARD_KINESIS_THROUGHPUT_LIMITS", "").lower() in ("1", "true", "yes", "on")
        self.throughput = Throughput(yard.clock, enabled=limits)
        self._cache: dict[tuple[str, str, str], tuple[Stream, float]] = {}
        #: When this node last trimmed each shard's expired records in a put (``writing.py``).
        self.trimmed_at: dict[int, float] = {}
        self._shared = yard.db.shared_by_nodes

    def now(self) -> float:
        return self.yard.clock.now()

    def now_ms(self) -> int:
        return int(self.yard.clock.now() * 1000)

    def settles_at(self, now: float) -> float:
        return now + self.transition_seconds

    # --- finding streams -------------------------------------------------------------------------

    async def find(self, account: str, region: str, name: str) -> Stream | None:
        key = (account, region, name)
        cached = self._cache.get(key)
        if cached is not None and (not self._shared or self.now() - cached[1] < SHARED_CACHE_SECONDS):
            return cached[0]
        stream = await self.catalogue.find(account, region, name)
        if stream is None:
            self._cache.pop(key, None)
        else:
            self._cache[key] = (stream, self.now())
        return stream

    def forget(self, stream: Stream) -> None:
        """Drop a stream from the cache after this node changed or deleted it."""
        self._cache.pop((stream.account, stream.region, stream.name), None)

    def remember(self, stream: Stream) -> None:
        self._cache[(stream.account, stream.region, stream.name)] = (stream, self.now())

    async def stream_for(self, context: RequestContext, request: dict[str, Any]) -> Stream:
        """The stream a request names by StreamName and/or StreamARN (and StreamId, when given).

        An ARN names its own account and region, so a stream of another account is reachable by
        ARN, as AWS allows with a resource policy."""
        account, region, name = self.stream_address(context, request)
        stream = await self.find(account, region, name)
        wanted_id = request.get("StreamId")
        if stream is None or (wanted_id is not None and wanted_id != stream.stream_id):
            raise stream_not_found(name, account)
        return stream

    def stream_address(self, context: RequestContext, request: dict[str, Any]) -> tuple[str, str, str]:
        name = request.get("StreamName")
        given_arn = request.get("StreamARN")
        if given_arn is None:
            if name is None:
                raise InvalidArgumentException("Either StreamName or StreamARN should be provided.")
            return context.account, context.region, str(name)
        account, region, from_arn = parse_stream_arn(str(given_arn))
        if name is not None and name != from_arn:
            raise InvalidArgumentException(f"StreamName {name} does not match the stream of StreamARN {given_arn}.")
        return account, region, from_arn

    async def active_stream(self, context: RequestContext, request: dict[str, Any]) -> Stream:
        """The stream, which must be ACTIVE (resharding and most settings refuse a stream in transition)."""
        stream = await self.stream_for(context, request)
        self.require_active(stream)
        return stream

    def require_active(self, stream: Stream) -> None:
        status = stream.status_at(self.now())
        if status != ACTIVE:
            raise stream_not_active(stream.name, stream.account, status)

    def shard_of(self, stream: Stream, shard_id: str) -> Shard:
        """The shard ``shard_id`` names (``shardId-1`` reads as ``shardId-000000000001``, as on AWS)."""
        index = shard_index_of(shard_id)
        shard = stream.shard(index) if index is not None else None
        if shard is None or stream.status_at(self.now()) == "CREATING":
            shown = shard_id_of(index) if index is not None else shard_id
            raise shard_missing(shown, stream.name, stream.account)
        return shard

    # --- finding consumers -----------------------------------------------------------------------

    async def consumer_by_arn(self, consumer_arn: str) -> tuple[Stream, Consumer]:
        """The consumer (and its stream) that ``arn:...:stream/NAME/consumer/CONSUMER:CREATED`` names."""
        parsed = arn.parse_as(consumer_arn, "kinesis")
        parts = parsed.resource.split("/") if parsed is not None else []
        if parsed is None or len(parts) != 4 or parts[0] != "stream" or parts[2] != "consumer" or ":" not in parts[3]:
            raise InvalidArgumentException(f"Invalid ConsumerARN: {consumer_arn}")
        name, _, created = parts[3].rpartition(":")
        stream = await self.find(parsed.account, parsed.region, parts[1])
        consumer = await self.consumers.find(stream.id, name) if stream is not None else None
        if stream is None or consumer is None or str(int(consumer.created_at)) != created:
            raise consumer_not_found(consumer_arn)
        return stream, consumer

    # --- finding queues --------------------------------------------------------------------------

    async def queue_by_arn(self, arn: str) -> StreamQueue:
        resource = arn.rsplit(":", 1)[-1]
        found = await self.queues.find(resource.removeprefix("queue/")) if resource.startswith("queue/") else None
        if found is None or queue_arn(found) != arn:
            raise ResourceNotFoundException(f"Queue {arn} not found.")
        return found


def consumer_not_found(consumer_arn: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Consumer {consumer_arn} not found.")


def parse_stream_arn(text: str) -> tuple[str, str, str]:
    """(account, region, name) of ``arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`` (the model checked the shape)."""
    parsed = arn.parse_as(text, "kinesis")
    if parsed is None or parsed.resource_type != "stream" or not parsed.resource_name:
        raise ResourceNotFoundException(f"Stream {text} not found.")
    name = parsed.resource_name.split("/", 1)[0]
    return parsed.account, parsed.region, name
