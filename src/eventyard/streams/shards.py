"""ListShards: a stream's shards, filtered as ShardFilter asks, a page at a time.

A shard closed longer ago than the retention period has expired (its records are gone) and is
listed no more, as on AWS. A NextToken names the stream and the place in it, so AWS refuses a
StreamName, StreamARN or ExclusiveStartShardId beside it (which breaks boto3's ListShards paginator
against AWS as against Eventyard: botocore#2009); tokens expire after 300 seconds.
"""

from __future__ import annotations

from typing import Any

from eventyard.service import RequestContext
from eventyard.streams.core import StreamCore, parse_stream_arn
from eventyard.streams.errors import InvalidArgumentException, stream_not_active, stream_not_found
from eventyard.streams.model import Shard, Stream, shard_index_of
from eventyard.streams.pagination import PageToken, decode_token

MAX_PAGE = 1000


class Shards(StreamCore):
    async def list_shards(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        token = request.get("NextToken")
        after: int | None = None
        if token is not None:
            for member in ("StreamName", "StreamARN", "ExclusiveStartShardId"):
                if request.get(member) is not None:
                    raise InvalidArgumentException(f"NextToken and {member} cannot be provided together.")
            page = decode_token(token, now, expires=True)
            account, region, name = parse_stream_arn(page.stream_arn)
            stream = await self.find(account, region, name)
            if stream is None or stream.created_at != page.stream_created:
                raise stream_not_found(name, account)
            after = shard_index_of(f"shardId-{page.after}")
            if after is None:
                raise InvalidArgumentException(f"Invalid NextToken: {token}")
        else:
            if request.get("StreamName") is None and request.get("StreamARN") is None:
                raise InvalidArgumentException("Either NextToken or StreamName should be provided.")
            stream = await self.stream_for(context, request)
            created = request.get("StreamCreationTimestamp")
            if created is not None and abs(created - stream.created_at) >= 1.0:
                raise stream_not_found(stream.name, stream.account)
            start = request.get("ExclusiveStartShardId")
            if start is not None:
                after = shard_index_of(start)
        status = stream.status_at(now)
        if status == "CREATING":
            raise stream_not_active(stream.name, stream.account, status)
        shards = sorted(self._filtered(stream, request.get("ShardFilter"), now), key=lambda s: s.index)
        if after is not None:
            shards = [s for s in shards if s.index > after]
        limit = min(int(request.get("MaxResults") or MAX_PAGE), MAX_PAGE)
        answer: dict[str, Any] = {"Shards": [s.describe() for s in shards[:limit]]}
        if len(shards) > limit:
            answer["NextToken"] = PageToken(str(shards[limit - 1].index), now, stream.arn, stream.created_at).encode()
        return answer

    def _filtered(self, stream: Stream, given: dict[str, Any] | None, now: float) -> list[Shard]:
        live = stream.live_shards(now)
        kind = given["Type"] if given else "FROM_TRIM_HORIZON"
        horizon = max(now - stream.retention_seconds(), stream.created_at)
        if kind == "FROM_TRIM_HORIZON":
            return live
        if kind == "AT_LATEST":
            return [s for s in live if s.is_open]
        if kind == "AT_TRIM_HORIZON":
            return [s for s in live if s.open_at(horizon)]
        if kind == "AFTER_SHARD_ID":
            if given is None or given.get("ShardId") is None:
                raise InvalidArgumentException("ShardFilter of type AFTER_SHARD_ID needs a ShardId.")
            start = shard_index_of(given["ShardId"])
            return [s for s in live if start is None or s.index > start]
        if given is None or given.get("Timestamp") is None:
            raise InvalidArgumentException(f"ShardFilter of type {kind} needs a Timestamp.")
        when = max(float(given["Timestamp"]), stream.created_at)
        if kind == "AT_TIMESTAMP":
            return [s for s in live if s.open_at(when)]
        when = max(when, horizon)  # FROM_TIMESTAMP: corrected to the trim horizon, as AWS documents
        return [s for s in live if s.closed_at is None or s.closed_at >= when]
