"""What every part of the topic service shares: the clock, the catalogue, finding topics and subscriptions.

The operations are split by concept (topics, subscriptions, publishing, permissions); each is a
mixin over this core, and :class:`~eventyard.topics.service.TopicService` joins them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from eventyard.service import RequestContext, Service
from eventyard.topics import store
from eventyard.topics.catalogue import Catalogue
from eventyard.topics.errors import SUBSCRIPTION_NOT_FOUND, TOPIC_NOT_FOUND, NotFound
from eventyard.topics.names import TopicName, subscription_topic, topic_name
from eventyard.topics.store import Subscription, Topic

if TYPE_CHECKING:
    from eventyard.yard import Yard

T = TypeVar("T")


class TopicCore(Service):
    def __init__(self, yard: Yard) -> None:
        super().__init__(yard)
        self.catalogue = Catalogue(yard)

    def now(self) -> float:
        return self.yard.clock.now()

    async def read(self, job: Callable[[Any], T]) -> T:
        return await self.yard.db.read(job)

    async def write(self, job: Callable[[Any], T]) -> T:
        return await self.yard.db.write(job)

    async def topic_at(self, context: RequestContext, text: Any, member: str = "TopicArn") -> Topic:
        """The topic an ARN names, from the cache; SNS's refusals for a bad ARN or a missing topic."""
        name = topic_name(str(text or ""), context, member)
        topic = await self.catalogue.topic(name.account, name.region, name.name)
        if topic is None:
            raise NotFound(TOPIC_NOT_FOUND)
        return topic

    async def fresh_topic(self, name: TopicName) -> Topic:
        """The topic read from storage (for changes), or NotFound."""
        topic = await self.read(lambda c: store.get_topic(c, name.account, name.region, name.name))
        if topic is None:
            raise NotFound(TOPIC_NOT_FOUND)
        return topic

    async def topic_of(self, topic_arn: str) -> Topic | None:
        """A topic by ARN from the cache (None when it is gone or the ARN is not a topic's)."""
        try:
            name = topic_name(topic_arn)
        except Exception:
            return None
        return await self.catalogue.topic(name.account, name.region, name.name)

    async def subscription_at(self, text: Any, member: str = "SubscriptionArn") -> Subscription:
        arn = str(text or "")
        subscription_topic(arn, member)
        sub = await self.read(lambda c: store.get_subscription(c, arn))
        if sub is None:
            raise NotFound(SUBSCRIPTION_NOT_FOUND)
        return sub
