"""Enhanced fan-out consumers: RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers,
DeregisterStreamConsumer.

A consumer's ARN is its stream's ARN followed by ``/consumer/NAME:CREATED`` (epoch seconds). A new
consumer is CREATING until its transition time has passed on the yard's clock, ACTIVE after (read
lazily); deregistering removes it at once.
"""

from __future__ import annotations

from typing import Any

from eventyard.service import RequestContext
from eventyard.streams.core import StreamCore, consumer_not_found
from eventyard.streams.errors import InvalidArgumentException, LimitExceededException, ResourceInUseException
from eventyard.streams.model import Consumer, Stream
from eventyard.streams.pagination import PageToken, decode_token
from eventyard.streams.tags import check_tags

#: Registered consumers per stream (AWS: 20 for provisioned and standard on-demand streams).
CONSUMER_LIMIT = 20
PAGE = 100


class Consumers(StreamCore):
    async def register_stream_consumer(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = await self.stream_for(context, request)
        self.require_active(stream)
        name = request["ConsumerName"]
        tags = check_tags(request.get("Tags") or {}, "add tags to", stream.name, stream.account)
        now = self.now()
        consumer, count = await self.consumers.register(
            stream.id, name, now, self.settles_at(now), tags, CONSUMER_LIMIT
        )
        if consumer is None:
            if count < 0:
                raise ResourceInUseException(
                    f"Consumer {name} under stream {stream.name} under account {stream.account} already exists."
                )
            raise LimitExceededException(
                f"Stream {stream.name} under account {stream.account} has reached its limit of"
                f" {CONSUMER_LIMIT} registered consumers."
            )
        answer = consumer.summary(now)
        answer["ConsumerStatus"] = "CREATING"  # what AWS answers, however short the transition
        return {"Consumer": answer}

    async def _consumer_for(self, context: RequestContext, request: dict[str, Any]) -> tuple[Stream, Consumer]:
        consumer_arn = request.get("ConsumerARN")
        if consumer_arn is not None:
            stream, consumer = await self.consumer_by_arn(consumer_arn)
            name = request.get("ConsumerName")
            if (name is not None and name != consumer.name) or (
                request.get("StreamARN") is not None and request["StreamARN"] != stream.arn
            ):
                raise InvalidArgumentException("ConsumerARN does not match the given StreamARN and ConsumerName.")
            return stream, consumer
        if request.get("StreamARN") is None or request.get("ConsumerName") is None:
            raise InvalidArgumentException("Either ConsumerARN or both ConsumerName and StreamARN must be provided.")
        stream = await self.stream_for(context, request)
        found = await self.consumers.find(stream.id, request["ConsumerName"])
        if found is None:
            raise consumer_not_found(f"{stream.arn}/consumer/{request['ConsumerName']}")
        return stream, found

    async def describe_stream_consumer(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = await self._consumer_for(context, request)
        description = consumer.summary(self.now())
        description["StreamARN"] = stream.arn
        return {"ConsumerDescription": description}

    async def list_stream_consumers(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = await self.stream_for(context, request)
        now = self.now()
        created = request.get("StreamCreationTimestamp")
        if created is not None and abs(created - stream.created_at) >= 1.0:
            raise consumer_not_found(stream.arn)
        consumers = await self.consumers.of_stream(stream.id)
        token = request.get("NextToken")
        if token is not None:
            after = decode_token(token, now, expires=True).after
            consumers = [c for c in consumers if c.name > after]
        limit = min(int(request.get("MaxResults") or PAGE), PAGE)
        answer: dict[str, Any] = {"Consumers": [c.summary(now) for c in consumers[:limit]]}
        if len(consumers) > limit:
            answer["NextToken"] = PageToken(consumers[limit - 1].name, now, stream.arn, stream.created_at).encode()
        return answer

    async def deregister_stream_consumer(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = await self._consumer_for(context, request)
        await self.consumers.delete(consumer.id)
        for shard in stream.shards:  # its subscriptions end
            self.waiters.notify(shard.row_id)
        return {}
