"""Tags (stream operations and the resource ones) and resource policies, of streams and consumers.

Kinesis checks tag characters twice, and words the two refusals differently: a character outside
letters, digits, white space and ``_ . / = + - % @ :`` gets "Some tags contain invalid characters",
and then a ``%`` gets "... because some tags contained illegal characters" (AWS's own inconsistency,
recorded by suites that run against it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

import orjson

from eventyard import arn
from eventyard.service import RequestContext
from eventyard.streams.core import StreamCore
from eventyard.streams.errors import InvalidArgumentException, ResourceNotFoundException, too_many_tags
from eventyard.streams.model import Consumer, Stream

MAX_TAGS = 50
_PUNCTUATION = frozenset("_./=+-%@:")


def _valid(text: str) -> bool:
    return all(ch.isalnum() or ch in _PUNCTUATION or unicodedata.category(ch) == "Zs" for ch in text)


def check_tag_text(texts: Iterable[str], verb: str, name: str, account: str) -> None:
    texts = list(texts)
    if not all(_valid(text) for text in texts):
        raise InvalidArgumentException(
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space,"
            " _ . / = + - % @."
        )
    if any("%" in text for text in texts):
        raise InvalidArgumentException(
            f"Failed to {verb} stream {name} under account {account} because some tags contained illegal"
            " characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'."
        )


def check_tags(tags: dict[str, str], verb: str, name: str, account: str) -> dict[str, str]:
    check_tag_text([*tags, *tags.values()], verb, name, account)
    if len(tags) > MAX_TAGS:
        raise too_many_tags(verb, name, account, MAX_TAGS)
    return dict(tags)


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


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

    # --- the resource operations (streams and consumers by ARN) ----------------------------------

    async def resource(self, resource_arn: str) -> tuple[Stream, Consumer | None]:
        """The stream, or the consumer and its stream, that ``resource_arn`` names."""
        parsed = arn.parse_as(resource_arn, "kinesis")
        parts = parsed.resource.split("/") if parsed is not None else []
        if parsed is None or not parts or parts[0] != "stream":
            raise ResourceNotFoundException(f"Resource {resource_arn} not found.")
        if len(parts) > 2:
            stream, consumer = await self.consumer_by_arn(resource_arn)
            return stream, consumer
        stream_found = await self.find(parsed.account, parsed.region, parts[1])
        if stream_found is None:
            raise ResourceNotFoundException(f"Stream {parts[1]} under account {parsed.account} not found.")
        return stream_found, None

    async def tag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = await self.resource(request["ResourceARN"])
        if consumer is None:
            await self._tag_stream(stream, request["Tags"])
        else:
            tags = check_tags({**consumer.tags, **request["Tags"]}, "add tags to", stream.name, stream.account)
            await self.consumers.update(consumer.id, tags=tags)
        return {}

    async def untag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = await self.resource(request["ResourceARN"])
        if consumer is None:
            await self._untag_stream(stream, request["TagKeys"])
        else:
            removed = set(request["TagKeys"])
            await self.consumers.update(consumer.id, tags={k: v for k, v in consumer.tags.items() if k not in removed})
        return {}

    async def list_tags_for_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = await self.resource(request["ResourceARN"])
        return {"Tags": tag_list(consumer.tags if consumer is not None else stream.tags)}

    # --- resource policies -----------------------------------------------------------------------

    async def put_resource_policy(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = await self.resource(request["ResourceARN"])
        policy = request["Policy"]
        try:
            document = orjson.loads(policy)
        except orjson.JSONDecodeError:
            document = None
        if not isinstance(document, dict):
            raise InvalidArgumentException("Policy is not a valid JSON policy document.")
        await self._set_policy(stream, consumer, policy)
        return {}

    async def get_resource_policy(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = await self.resource(request["ResourceARN"])
        policy = consumer.policy if consumer is not None else stream.policy
        return {"Policy": policy or "{}"}

    async def delete_resource_policy(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = await self.resource(request["ResourceARN"])
        await self._set_policy(stream, consumer, None)
        return {}

    async def _set_policy(self, stream: Stream, consumer: Consumer | None, policy: str | None) -> None:
        if consumer is None:
            await self.catalogue.update(stream.id, {"policy": policy})
            self.forget(stream)
        else:
            await self.consumers.update(consumer.id, policy=policy)
