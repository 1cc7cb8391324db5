"""CreateStream, DeleteStream, DescribeStream, DescribeStreamSummary, ListStreams, DescribeLimits."""

from __future__ import annotations

from typing import Any

from eventyard.ids import random_hex
from eventyard.service import RequestContext
from eventyard.streams.core import StreamCore, shard_limit
from eventyard.streams.errors import InvalidArgumentException, ResourceInUseException, stream_exists
from eventyard.streams.errors import shard_limit as shard_limit_error
from eventyard.streams.hashing import even_ranges
from eventyard.streams.model import ON_DEMAND, PROVISIONED, Stream, shard_index_of
from eventyard.streams.pagination import PageToken, decode_token
from eventyard.streams.sequence import TAG_BITS
from eventyard.streams.store import NewShard
from eventyard.streams.tags import check_tags

#: A new on-demand stream starts with the capacity of four shards (4 MiB/s of writes), as on AWS.
ON_DEMAND_SHARDS = 4
ON_DEMAND_STREAM_LIMIT = 50
DEFAULT_RETENTION_HOURS = 24
DEFAULT_RECORD_KIB = 1024
PAGE = 100


def new_stream_id() -> str:
    """A StreamId of AWS's form ``[a-z0-9]{20}-[a-z0-9]{3}``."""
    return f"{random_hex(80)}-{random_hex(12)}"


#: The largest warm throughput a stream may ask for (what the settings column holds).
MAX_WARM_MIBPS = 2**31 - 1


def check_warm_throughput(warm: int | None, mode: str) -> int | None:
    if warm is not None and mode != ON_DEMAND:
        raise InvalidArgumentException("WarmThroughputMiBps is only supported for streams in ON_DEMAND mode.")
    if warm is not None and warm > MAX_WARM_MIBPS:
        raise InvalidArgumentException(f"WarmThroughputMiBps must be at most {MAX_WARM_MIBPS}.")
    return warm


def monitoring(stream: Stream) -> list[dict[str, Any]]:
    return [{"ShardLevelMetrics": list(stream.metrics)}]


class Lifecycle(StreamCore):
    async def create_stream(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["StreamName"]
        count = request.get("ShardCount")
        details = request.get("StreamModeDetails")
        mode = details["StreamMode"] if details else (PROVISIONED if count is not None else ON_DEMAND)
        if mode == PROVISIONED and count is None:
            raise InvalidArgumentException("ShardCount is required for a stream in PROVISIONED mode.")
        if mode == ON_DEMAND and count is not None:
            raise InvalidArgumentException("ShardCount is not supported for a stream in ON_DEMAND mode.")
        warm = check_warm_throughput(request.get("WarmThroughputMiBps"), mode)
        limit = shard_limit(context.region)
        if count is not None and count > limit:  # refused before its ranges are even drawn
            open_now = (await self.catalogue.counts(context.account, context.region, ON_DEMAND))[0]
            raise shard_limit_error(context.account, context.region, open_now, limit, count)
        tags = check_tags(request.get("Tags") or {}, "add tags to", name, context.account)
        now = self.now()
        stream = Stream(
            id=0, account=context.account, region=context.region, name=name, stream_id=new_stream_id(),
            tag=int(random_hex(TAG_BITS), 16), created_at=now, status="CREATING", settles_at=self.settles_at(now),
            mode=mode, retention_hours=DEFAULT_RETENTION_HOURS, encryption="NONE", key_id=None, metrics=[],
            tags=tags, policy=None, max_record_kib=int(request.get("MaxRecordSizeInKiB") or DEFAULT_RECORD_KIB),
            warm_mibps=warm, distribution=request.get("RecordDistributionStrategy") or "USER_PARTITION_KEY",
            next_shard=0,
        )  # fmt: skip
        shards = [NewShard(start, end) for start, end in even_ranges(count or ON_DEMAND_SHARDS)]
        created, current = await self.catalogue.create(stream, shards, now, limit)
        if created is None:
            if current:
                raise shard_limit_error(context.account, context.region, current, limit, len(shards))
            raise stream_exists(name, context.account)
        self.remember(created)
        return {}

    async def delete_stream(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = await self.stream_for(context, request)
        if await self.queues.count(stream.id):
            raise ResourceInUseException(
                f"Stream {stream.name} under account {stream.account} has queues: delete them with DeleteQueue first."
            )
        if not request.get("EnforceConsumerDeletion") and await self.consumers.count(stream.id):
            raise ResourceInUseException(
                f"Stream {stream.name} under account {stream.account} has registered consumers:"
                " set EnforceConsumerDeletion to delete them with the stream."
            )
        await self.catalogue.delete(stream.id)
        self.forget(stream)
        for shard in stream.shards:
            self.waiters.notify(shard.row_id)
        return {}

    async def describe_stream(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = await self.stream_for(context, request)
        now = self.now()
        status = stream.status_at(now)
        shards = [] if status == "CREATING" else sorted(stream.live_shards(now), key=lambda s: s.index)
        after = request.get("ExclusiveStartShardId")
        if after is not None:
            start = shard_index_of(after)
            shards = [s for s in shards if start is None or s.index > start]
        limit = min(int(request.get("Limit") or PAGE), PAGE)
        description: dict[str, Any] = {
            "StreamName": stream.name,
            "StreamARN": stream.arn,
            "StreamStatus": status,
            "StreamModeDetails": {"StreamMode": stream.mode},
            "Shards": [s.describe() for s in shards[:limit]],
            "HasMoreShards": len(shards) > limit,
            "RetentionPeriodHours": stream.retention_hours,
            "StreamCreationTimestamp": stream.created_at,
            "EnhancedMonitoring": monitoring(stream),
            "EncryptionType": stream.encryption,
        }
        if stream.key_id:
            description["KeyId"] = stream.key_id
        return {"StreamDescription": description}

    async def describe_stream_summary(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = await self.stream_for(context, request)
        status = stream.status_at(self.now())
        summary: dict[str, Any] = {
            "StreamName": stream.name,
            "StreamARN": stream.arn,
            "StreamId": stream.stream_id,
            "StreamStatus": status,
            "StreamModeDetails": {"StreamMode": stream.mode},
            "RetentionPeriodHours": stream.retention_hours,
            "StreamCreationTimestamp": stream.created_at,
            "EnhancedMonitoring": monitoring(stream),
            "EncryptionType": stream.encryption,
            "OpenShardCount": 0 if status == "CREATING" else len(stream.open_shards),
            "ConsumerCount": await self.consumers.count(stream.id),
            "MaxRecordSizeInKiB": stream.max_record_kib,
        }
        if stream.key_id:
            summary["KeyId"] = stream.key_id
        queues = await self.queues.count(stream.id)
        if queues:
            summary["QueueCount"] = queues
        if stream.mode == ON_DEMAND:
            summary["RecordDistributionStrategy"] = stream.distribution
            if stream.warm_mibps is not None:
                summary["WarmThroughput"] = {"TargetMiBps": stream.warm_mibps, "CurrentMiBps": stream.warm_mibps}
        return {"StreamDescriptionSummary": summary}

    async def list_streams(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        limit = min(int(request.get("Limit") or PAGE), PAGE)
        after = request.get("ExclusiveStartStreamName") or ""
        token = request.get("NextToken")
        if token is not None:
            after = decode_token(token, self.now(), expires=False).after
        streams = await self.catalogue.page(context.account, context.region, after, limit + 1)
        now = self.now()
        page = streams[:limit]
        answer: dict[str, Any] = {
            "StreamNames": [s.name for s in page],
            "HasMoreStreams": len(streams) > limit,
            "StreamSummaries": [
                {
                    "StreamName": s.name,
                    "StreamARN": s.arn,
                    "StreamStatus": s.status_at(now),
                    "StreamModeDetails": {"StreamMode": s.mode},
                    "StreamCreationTimestamp": s.created_at,
                }
                for s in page
            ],
        }
        if len(streams) > limit:
            answer["NextToken"] = PageToken(page[-1].name, now).encode()
        return answer

    async def describe_limits(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        open_shards, on_demand = await self.catalogue.counts(context.account, context.region, ON_DEMAND)
        return {
            "ShardLimit": shard_limit(context.region),
            "OpenShardCount": open_shards,
            "OnDemandStreamCount": on_demand,
            "OnDemandStreamCountLimit": ON_DEMAND_STREAM_LIMIT,
        }
