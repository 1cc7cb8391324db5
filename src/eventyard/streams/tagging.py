"""Tags (the stream operations and the resource ones) and resource policies, of streams, consumers
and queues. The tag checks themselves are in ``tags.py``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from eventyard import arn
from eventyard.service import RequestContext
from eventyard.streams.core import StreamCore
from eventyard.streams.errors import InvalidArgumentException, ResourceNotFoundException, too_many_tags
from eventyard.streams.model import Stream
from eventyard.streams.tags import MAX_TAGS, check_tag_text, check_tags, tag_list


class Tagging(StreamCore):
    # --- the stream operations -------------------------------------------------------------------

    async def add_tags_to_stream(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = await self.stream_for(context, request)
        await self._tag_stream(stream, request["Tags"])
        return {}

    async def remove_tags_from_stream(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = await self.stream_for(context, request)
        await self._untag_stream(stream, request["TagKeys"])
        return {}

    async def list_tags_for_stream(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream = await self.stream_for(context, request)
        keys = sorted(stream.tags)
        start = request.get("ExclusiveStartTagKey")
        if start is not None:
            keys = [key for key in keys if key > start]
        limit = int(request.get("Limit") or MAX_TAGS)
        return {"Tags": tag_list({k: stream.tags[k] for k in keys[:limit]}), "HasMoreTags": len(keys) > limit}

    async def _tag_stream(self, stream: Stream, given: dict[str, str]) -> None:
        check_tag_text([*given, *given.values()], "add tags to", stream.name, stream.account)
        tags = {**stream.tags, **given}
        if len(tags) > MAX_TAGS:
            raise too_many_tags("add tags to", stream.name, stream.account, MAX_TAGS)
        await self.catalogue.update(stream.id, {"tags": tags})
        self.forget(stream)

    async def _untag_stream(self, stream: Stream, keys: list[str]) -> None:
        check_tag_text(keys, "remove tags from", stream.name, stream.account)
        removed = set(keys)
        await self.catalogue.update(stream.id, {"tags": {k: v for k, v in stream.tags.items() if k not in removed}})
        self.forget(stream)

    # --- the resource operations (streams, consumers and queues by ARN) -------------------------

    async def resource(self, resource_arn: str) -> Resource:
        """The stream, consumer or queue that ``resource_arn`` names."""
        parsed = arn.parse_as(resource_arn, "kinesis")
        parts = parsed.resource.split("/") if parsed is not None else []
        if parsed is not None and parts and parts[0] == "queue":
            queue = await self.queue_by_arn(resource_arn)
            return Resource(queue.tags, queue.policy, "queue", queue.id, queue.stream_name, queue.account)
        if parsed is None or not parts or parts[0] != "stream":
            raise ResourceNotFoundException(f"Resource {resource_arn} not found.")
        if len(parts) > 2:
            stream, consumer = await self.consumer_by_arn(resource_arn)
            return Resource(consumer.tags, consumer.policy, "consumer", consumer.id, stream.name, stream.account)
        found = await self.find(parsed.account, parsed.region, parts[1])
        if found is None:
            raise ResourceNotFoundException(f"Stream {parts[1]} under account {parsed.account} not found.")
        return Resource(found.tags, found.policy, "stream", found.id, found.name, found.account, found)

    async def _store(self, target: Resource, **changes: Any) -> None:
        if target.kind == "stream":
            await self.catalogue.update(target.row, changes)
            if target.stream is not None:
                self.forget(target.stream)
        elif target.kind == "consumer":
            await self.consumers.update(target.row, **changes)
        else:
            await self.queues.update(target.row, changes)

    async def tag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        target = await self.resource(request["ResourceARN"])
        given = request["Tags"]
        check_tag_text([*given, *given.values()], "add tags to", target.stream_name, target.account)
        tags = check_tags({**target.tags, **given}, "add tags to", target.stream_name, target.account)
        await self._store(target, tags=tags)
        return {}

    async def untag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        target = await self.resource(request["ResourceARN"])
        removed = set(request["TagKeys"])
        await self._store(target, tags={k: v for k, v in target.tags.items() if k not in removed})
        return {}

    async def list_tags_for_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": tag_list((await self.resource(request["ResourceARN"])).tags)}

    # --- resource policies -----------------------------------------------------------------------

    async def put_resource_policy(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        target = await self.resource(request["ResourceARN"])
        policy = request["Policy"]
        try:
            document = orjson.loads(policy)
        except orjson.JSONDecodeError:
            document = None
        if not isinstance(document, dict):
            raise InvalidArgumentException("Policy is not a valid JSON policy document.")
        await self._store(target, policy=policy)
        return {}

    async def get_resource_policy(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Policy": (await self.resource(request["ResourceARN"])).policy or "{}"}

    async def delete_resource_policy(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        target = await self.resource(request["ResourceARN"])
        if target.policy is None:  # AWS refuses (recorded; its message was not): there is nothing to delete
            raise ResourceNotFoundException(f"The resource {request['ResourceARN']} has no resource policy.")
        await self._store(target, policy=None)
        return {}


@dataclass
class Resource:
    """A taggable resource as the resource operations see it."""

    tags: dict[str, str]
    policy: str | None
    kind: str  # stream, consumer or queue
    row: int
    stream_name: str
    account: str
    stream: Stream | None = None
