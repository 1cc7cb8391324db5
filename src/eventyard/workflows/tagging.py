"""Tags on state machines and activities: TagResource, UntagResource, ListTagsForResource.

AWS (AWS-recorded where noted): tags are key/value pairs, an empty value allowed (recorded); a key
given again replaces its value; untagging a key that is not there, or the same key twice, is fine
(recorded). At most 50 tags a resource (``TooManyTags``). Only state machines and activities are
tagged: a version or alias ARN, like a machine that is not there, is ``ResourceNotFound:
Resource not found: '<arn>'`` (recorded for a version). Tags list in the order they were set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from eventyard.service import RequestContext
from eventyard.workflows import arns
from eventyard.workflows import catalogue_store as store
from eventyard.workflows.api_errors import TooManyTags, resource_not_found
from eventyard.workflows.service_base import MAX_TAGS, WorkflowBase, tag_list, tag_map

Change = Callable[[dict[str, str]], dict[str, str]]


def _locate(context: RequestContext, arn: str) -> str:
    """``stateMachine`` or ``activity`` for an ARN of this namespace that may carry tags."""
    kind = arns.resource_kind(arn)
    if kind == "stateMachine":
        ref = arns.parse_machine(arn)
        if ref.version is not None or ref.alias is not None:
            raise resource_not_found(arn)
        region, account = ref.region, ref.account
    else:
        region, account, _ = arns.parse_activity(arn)
    if (account, region) != (context.account, context.region):
        raise resource_not_found(arn)
    return kind


def _tags_in(c: Any, kind: str, arn: str, *, lock: bool = False) -> dict[str, str]:
    if kind == "stateMachine":
        machine = store.machine(c, arn, lock=lock)
        if machine is None:
            raise resource_not_found(arn)
        return machine.tags
    tags = store.activity_tags(c, arn, lock=lock)
    if tags is None:
        raise resource_not_found(arn)
    return tags


class TagOperations(WorkflowBase):
    async def tag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        added = tag_map(request["tags"])
        await self._retag(context, request["resourceArn"], lambda tags: {**tags, **added})
        return {}

    async def untag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        removed = set(request["tagKeys"])
        await self._retag(
            context, request["resourceArn"], lambda tags: {k: v for k, v in tags.items() if k not in removed}
        )
        return {}

    async def list_tags_for_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["resourceArn"]
        kind = _locate(context, arn)
        tags = await self.yard.db.read(lambda c: _tags_in(c, kind, arn))
        return {"tags": tag_list(tags)}

    async def _retag(self, context: RequestContext, arn: str, change: Change) -> None:
        kind = _locate(context, arn)

        def job(c: Any) -> None:
            tags = change(_tags_in(c, kind, arn, lock=True))
            if len(tags) > MAX_TAGS:
                raise TooManyTags(
                    f"Too many tags: a resource takes at most {MAX_TAGS}, this would have {len(tags)}: '{arn}'"
                )
            if kind == "stateMachine":
                machine = store.machine(c, arn)
                assert machine is not None
                store.update_machine(c, replace(machine, tags=tags))
            else:
                store.set_activity_tags(c, arn, tags)

        await self.yard.db.write(job)
