"""The topics and fan-outs a node keeps in memory, so that Publish reads no table.

A topic's :class:`Fanout` holds its confirmed subscriptions and their filter policies compiled into
two :class:`RuleMachine` (one per FilterPolicyScope), keyed by subscription ARN: matching a message
costs the same with 1 or 1,000 filtered subscriptions. Both caches are loaded on first use and
dropped by every change made through this node; where several nodes share the database
(``shared_by_nodes``) an entry is also trusted for one second only, as the bus's rule books are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventyard.bus.patterns.machine import RuleMachine
from eventyard.topics import store
from eventyard.topics.filter_policy import attributes_document, body_document, parse_filter_policy
from eventyard.topics.store import Subscription, Topic

if TYPE_CHECKING:
    from eventyard.yard import Yard

SHARED_CACHE_SECONDS = 1.0


@dataclass
class Fanout:
    """A topic's confirmed subscriptions, ready to match messages."""

    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    unfiltered: list[Subscription] = field(default_factory=list)
    by_attributes: RuleMachine = field(default_factory=RuleMachine)
    by_body: RuleMachine = field(default_factory=RuleMachine)
    body_filtered: list[Subscription] = field(default_factory=list)
    loaded_at: float = 0.0

    @classmethod
    def of(cls, subscriptions: list[Subscription], now: float) -> Fanout:
        fanout = cls(loaded_at=now)
        for sub in subscriptions:
            if sub.pending:
                continue
            fanout.subscriptions[sub.arn] = sub
            text = sub.attributes.get("FilterPolicy")
            scope = sub.attributes.get("FilterPolicyScope", "MessageAttributes")
            pattern = parse_filter_policy(text, scope, creating=False) if text else None
            if pattern is None:
                fanout.unfiltered.append(sub)
            elif scope == "MessageBody":
                fanout.by_body.add(sub.arn, pattern)
                fanout.body_filtered.append(sub)
            else:
                fanout.by_attributes.add(sub.arn, pattern)
        return fanout

    def match(self, attributes: dict[str, Any], message_for: Any) -> list[Subscription]:
        """The subscriptions a message goes to; ``message_for(protocol)`` is its text for that protocol."""
        found = list(self.unfiltered)
        if len(self.by_attributes):
            for arn in self.by_attributes.match(attributes_document(attributes)):
                found.append(self.subscriptions[str(arn)])
        if self.body_filtered:
            documents: dict[str, Any] = {}
            for sub in self.body_filtered:
                text = message_for(sub.protocol)
                if text not in documents:
                    documents[text] = body_document(text)
            for text, document in documents.items():
                if document is None:
                    continue
                for arn in self.by_body.match(document):
                    sub = self.subscriptions[str(arn)]
                    if message_for(sub.protocol) == text:
                        found.append(sub)
        return found


class Catalogue:
    """This node's view of topics (by ARN) and their fan-outs."""

    def __init__(self, yard: Yard) -> None:
        self.yard = yard
        self._topics: dict[str, tuple[Topic | None, float]] = {}
        self._fanouts: dict[str, Fanout] = {}
        self._shared = yard.db.shared_by_nodes

    def _fresh(self, stamp: float) -> bool:
        return not self._shared or self.yard.clock.now() - stamp < SHARED_CACHE_SECONDS

    async def topic(self, account: str, region: str, name: str) -> Topic | None:
        arn = f"arn:aws:sns:{region}:{account}:{name}"
        cached = self._topics.get(arn)
        if cached is not None and self._fresh(cached[1]):
            return cached[0]
        found = await self.yard.db.read(lambda c: store.get_topic(c, account, region, name))
        if len(self._topics) > 10_000:
            self._topics.clear()
        self._topics[arn] = (found, self.yard.clock.now())
        return found

    async def fanout(self, topic_arn: str) -> Fanout:
        cached = self._fanouts.get(topic_arn)
        if cached is not None and self._fresh(cached.loaded_at):
            return cached
        subscriptions = await self.yard.db.read(lambda c: store.subscriptions_of(c, topic_arn))
        fanout = Fanout.of(subscriptions, self.yard.clock.now())
        if len(self._fanouts) > 10_000:
            self._fanouts.clear()
        self._fanouts[topic_arn] = fanout
        return fanout

    async def subscription(self, arn: str) -> Subscription | None:
        """A subscription (for deliveries): from its topic's fan-out when cached, else from storage."""
        topic_arn = arn.rsplit(":", 1)[0]
        cached = self._fanouts.get(topic_arn)
        if cached is not None and self._fresh(cached.loaded_at) and arn in cached.subscriptions:
            return cached.subscriptions[arn]
        return await self.yard.db.read(lambda c: store.get_subscription(c, arn))

    def topic_changed(self, topic_arn: str) -> None:
        self._topics.pop(topic_arn, None)

    def subscriptions_changed(self, topic_arn: str) -> None:
        self._fanouts.pop(topic_arn, None)

    def forget(self, topic_arn: str) -> None:
        self._topics.pop(topic_arn, None)
        self._fanouts.pop(topic_arn, None)
