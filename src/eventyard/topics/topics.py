"""Topic operations: create (idempotent), attributes, list, delete, tags, permissions, data protection.

CreateTopic is idempotent (AWS-recorded): the same name returns the same ARN as long as every
attribute and tag given agrees with what the topic has; a different value is refused with
``Topic already exists with different attributes`` (or ``tags``). A topic in one region is not
visible from another.
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.service import RequestContext
from eventyard.topics import attributes as topic_attributes
from eventyard.topics import store
from eventyard.topics.core import TopicCore
from eventyard.topics.errors import (
    TOPIC_NOT_FOUND,
    NotFound,
    ResourceNotFound,
    TagLimitExceeded,
    invalid,
)
from eventyard.topics.names import TopicName, check_topic_name, topic_name
from eventyard.topics.store import Topic

PAGE = 100
MAX_TAGS = 50
#: The actions AddPermission takes (the topic policy's own vocabulary).
ACTIONS = (
    "GetTopicAttributes", "SetTopicAttributes", "AddPermission", "RemovePermission", "DeleteTopic", "Subscribe",
    "ListSubscriptionsByTopic", "Publish", "Receive",
)  # fmt: skip


def _tag_pairs(tags: list[dict[str, str]] | None) -> list[list[str]]:
    pairs = [[str(tag["Key"]), str(tag.get("Value", ""))] for tag in tags or []]
    if len({key for key, _ in pairs}) != len(pairs):
        raise invalid("Duplicated keys are not allowed.")
    return pairs


class TopicOperations(TopicCore):
    # --- create, read, list, delete -----------------------------------------------------------------

    async def create_topic(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request.get("Name", ""))
        given = {str(k): str(v) for k, v in (request.get("Attributes") or {}).items()}
        fifo = given.get("FifoTopic", "false").lower() == "true"
        check_topic_name(name, fifo)
        if name.endswith(".fifo") and not fifo:
            raise invalid("Topic Name")
        wanted: dict[str, str] = {}
        for attribute, value in given.items():
            key, kept = topic_attributes.check(attribute, value, fifo=fifo, creating=True)
            if kept is not None and key != "FifoTopic":
                wanted[key] = kept
        if fifo:
            wanted["FifoTopic"] = "true"
        tags = _tag_pairs(request.get("Tags"))
        if len(tags) > MAX_TAGS:
            raise TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")
        data_protection = request.get("DataProtectionPolicy")
        if data_protection:
            _check_data_protection(data_protection)
        where = TopicName(context.account, context.region, name)
        topic = Topic(where.account, where.region, name, fifo, wanted, tags, data_protection or None)
        now = self.now()

        def job(c: Any) -> Topic | None:
            if store.insert_topic(c, topic, now):
                return None
            return store.get_topic(c, where.account, where.region, name)

        existing = await self.write(job)
        if existing is not None:
            for attribute, value in given.items():
                key, kept = topic_attributes.check(attribute, value, fifo=fifo, creating=True)
                if topic_attributes.current(existing, key) != (kept or ""):
                    raise invalid("Attributes Reason: Topic already exists with different attributes")
            have = {key: value for key, value in existing.tags}
            if any(have.get(key) != value for key, value in tags):
                raise invalid("Tags Reason: Topic already exists with different tags")
        self.catalogue.forget(where.arn)
        return {"TopicArn": where.arn}

    async def get_topic_attributes(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = topic_name(str(request.get("TopicArn", "")), context)

        def job(c: Any) -> tuple[Topic | None, tuple[int, int]]:
            topic = store.get_topic(c, name.account, name.region, name.name)
            return topic, store.subscription_counts(c, name.arn) if topic else (0, 0)

        topic, (confirmed, pending) = await self.read(job)
        if topic is None:
            raise NotFound(TOPIC_NOT_FOUND)
        return {"Attributes": topic_attributes.shown(topic, confirmed, pending)}

    async def set_topic_attributes(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = topic_name(str(request.get("TopicArn", "")), context)
        attribute = str(request.get("AttributeName", ""))
        value = str(request.get("AttributeValue") or "")
        await self._change(name, lambda topic: _set(topic, attribute, value))
        return {}

    async def list_topics(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        after = str(request.get("NextToken") or "")
        names = await self.read(lambda c: store.page_topics(c, context.account, context.region, after, PAGE + 1))
        answer: dict[str, Any] = {
            "Topics": [{"TopicArn": TopicName(context.account, context.region, n).arn} for n in names[:PAGE]]
        }
        if len(names) > PAGE:
            answer["NextToken"] = names[PAGE - 1]
        return answer

    async def delete_topic(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """Deleting a topic that does not exist succeeds (AWS-recorded); its subscriptions go with it."""
        name = topic_name(str(request.get("TopicArn", "")), context)
        await self.write(lambda c: store.delete_topic(c, name.account, name.region, name.name, name.arn))
        self.catalogue.forget(name.arn)
        return {}

    async def _change(self, name: TopicName, change: Any) -> Topic:
        """Read-modify-write of one topic in one job (its row locked on PostgreSQL)."""

        def job(c: Any) -> Topic:
            topic = store.get_topic(c, name.account, name.region, name.name, for_update=True)
            if topic is None:
                raise NotFound(TOPIC_NOT_FOUND)
            change(topic)
            store.update_topic(c, topic)
            return topic

        topic = await self.write(job)
        self.catalogue.topic_changed(name.arn)
        return topic

    # --- tags ------------------------------------------------------------------------------------------

    def _tagged(self, context: RequestContext, resource: str) -> TopicName:
        try:
            return topic_name(resource, context, "ResourceArn")
        except Exception:
            raise ResourceNotFound("Resource does not exist")

    async def _change_tags(self, name: TopicName, change: Any) -> None:
        try:
            await self._change(name, change)
        except NotFound:
            raise ResourceNotFound("Resource does not exist")

    async def tag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._tagged(context, str(request.get("ResourceArn", "")))
        pairs = _tag_pairs(request.get("Tags"))

        def change(topic: Topic) -> None:
            have = dict(topic.tags)
            have.update(dict(pairs))
            if len(have) > MAX_TAGS:
                raise TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")
            order = [key for key, _ in topic.tags] + [key for key, _ in pairs if key not in dict(topic.tags)]
            topic.tags = [[key, have[key]] for key in order]

        await self._change_tags(name, change)
        return {}

    async def untag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._tagged(context, str(request.get("ResourceArn", "")))
        keys = {str(key) for key in request.get("TagKeys") or []}

        def change(topic: Topic) -> None:
            topic.tags = [pair for pair in topic.tags if pair[0] not in keys]

        await self._change_tags(name, change)
        return {}

    async def list_tags_for_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._tagged(context, str(request.get("ResourceArn", "")))
        topic = await self.read(lambda c: store.get_topic(c, name.account, name.region, name.name))
        if topic is None:
            raise ResourceNotFound("Resource does not exist")
        return {"Tags": [{"Key": key, "Value": value} for key, value in topic.tags]}

    # --- the topic policy: AddPermission / RemovePermission -----------------------------------------

    async def add_permission(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = topic_name(str(request.get("TopicArn", "")), context)
        label = str(request.get("Label", ""))
        accounts = [str(a) for a in request.get("AWSAccountId") or []]
        actions = [str(a) for a in request.get("ActionName") or []]
        if any(action not in ACTIONS for action in actions):
            raise invalid("Policy statement action out of service scope!")

        def change(topic: Topic) -> None:
            policy = orjson.loads(topic_attributes.current(topic, "Policy"))
            statements = policy.setdefault("Statement", [])
            if any(statement.get("Sid") == label for statement in statements):
                raise invalid("Statement already exists")
            principals = [f"arn:aws:iam::{account}:root" for account in accounts]
            named = [f"SNS:{action}" for action in actions]
            statements.append(
                {
                    "Sid": label,
                    "Effect": "Allow",
                    "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
                    "Action": named[0] if len(named) == 1 else named,
                    "Resource": topic.arn,
                }
            )
            topic.attributes["Policy"] = orjson.dumps(policy).decode()

        await self._change(name, change)
        return {}

    async def remove_permission(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = topic_name(str(request.get("TopicArn", "")), context)
        label = str(request.get("Label", ""))

        def change(topic: Topic) -> None:
            policy = orjson.loads(topic_attributes.current(topic, "Policy"))
            policy["Statement"] = [s for s in policy.get("Statement", []) if s.get("Sid") != label]
            topic.attributes["Policy"] = orjson.dumps(policy).decode()

        await self._change(name, change)
        return {}

    # --- data protection policies (kept, not enforced) -------------------------------------------------

    async def put_data_protection_policy(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._tagged(context, str(request.get("ResourceArn", "")))
        text = str(request.get("DataProtectionPolicy", ""))
        _check_data_protection(text)

        def change(topic: Topic) -> None:
            topic.data_protection = text

        await self._change_tags(name, change)
        return {}

    async def get_data_protection_policy(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._tagged(context, str(request.get("ResourceArn", "")))
        topic = await self.read(lambda c: store.get_topic(c, name.account, name.region, name.name))
        if topic is None:
            raise ResourceNotFound("Resource does not exist")
        return {"DataProtectionPolicy": topic.data_protection} if topic.data_protection else {}


def _set(topic: Topic, attribute: str, value: str) -> None:
    key, kept = topic_attributes.check(attribute, value, fifo=topic.fifo, creating=False)
    if kept is None:
        topic.attributes.pop(key, None)
    else:
        topic.attributes[key] = kept


def _check_data_protection(text: str) -> None:
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise invalid("DataProtectionPolicy: failed to parse JSON.")
    if not isinstance(document, dict):
        raise invalid("DataProtectionPolicy: must be a JSON object.")
