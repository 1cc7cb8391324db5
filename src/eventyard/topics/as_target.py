"""A topic as an EventBridge rule target, and the FIFO deduplication sweep.

EventBridge documents what a topic target receives: the payload (the event, or what the target's
Input/InputPath/InputTransformer made of it) published as the message; a FIFO topic gets the
target's ``SqsParameters.MessageGroupId`` (as for FIFO queues) and the event id as deduplication
id. Delivery goes through the topic service's own Publish, so it is checked as any publisher's is.
Staging prepares the publish up front (its checks, its match, the queue deliveries it stages), so
that the bus writes it in the transaction that accepts the events: no outbox, no second commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventyard import arn
from eventyard.errors import EventyardError, ResourceNotFoundException
from eventyard.kernel import Firing, Job
from eventyard.service import RequestContext
from eventyard.targets import Rule, Staged, Target
from eventyard.topics import store
from eventyard.topics.messages import Entry, check_entry

if TYPE_CHECKING:
    from eventyard.topics.publishing import Prepared
    from eventyard.topics.service import TopicService

SWEEP_SECONDS = 60.0
IDLE_SWEEP_SECONDS = 600.0


def _request(target: Target, payload: str, event: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {"TopicArn": target["Arn"], "Message": payload}
    if target["Arn"].endswith(".fifo"):
        request["MessageGroupId"] = (target.get("SqsParameters") or {}).get("MessageGroupId") or "eventbridge"
        request["MessageDeduplicationId"] = event["id"]
    return request


class TopicTarget:
    """The ``arn:aws:sns:...`` target kind, bound to one yard's topic service."""

    def __init__(self, topics: TopicService) -> None:
        self.topics = topics

    def _context(self, topic_arn: str) -> RequestContext:
        parts = arn.parse_as(topic_arn, "sns")
        if parts is None:
            raise ResourceNotFoundException(f"Target {topic_arn} is not a topic.")
        return RequestContext(account=parts.account, region=parts.region, endpoint=self.topics.yard.endpoint)

    async def deliver(self, target: Target, payload: str, event: dict[str, Any], rule: Rule) -> None:
        request = _request(target, payload, event)
        await self.topics.yard.call("sns", "Publish", request, self._context(target["Arn"]), trusted=True)

    async def stage(self, target: Target, items: list[tuple[str, dict[str, Any]]]) -> Staged | None:
        context = self._context(target["Arn"])
        try:
            topic = await self.topics.topic_at(context, target["Arn"])
        except EventyardError:
            return None  # the delivery job meets the same error, and retries or dead-letters
        entries: list[Entry] = []
        refused: list[int] = []
        for position, (payload, event) in enumerate(items):
            try:
                entry = check_entry(_request(target, payload, event))
                self.topics.check_fifo(topic, [entry])
            except EventyardError:
                refused.append(position)
                continue
            entries.append(entry)
        if not entries:
            return None
        prepared = await self.topics.prepare(context, topic, entries)
        return _StagedPublish(prepared, refused)


class _StagedPublish:
    def __init__(self, prepared: Prepared, refused: list[int]) -> None:
        self.prepared = prepared
        self.refused = refused

    def write(self, connection: Any, now: float) -> None:
        self.prepared.write(connection)

    def results(self) -> dict[int, dict[str, Any]]:
        """Once written, each item's topic message id by its position (for the trace)."""
        positions = [p for p in range(len(self.prepared.results) + len(self.refused)) if p not in set(self.refused)]
        return {p: {"MessageId": r["MessageId"]} for p, r in zip(positions, self.prepared.results, strict=False)}

    def committed(self) -> None:
        self.prepared.committed()


class DedupSweep(Job):
    """Forgets FIFO deduplication ids whose five minutes are over (a minute after a sweep that found
    some, ten minutes after one that found none); one node at a time fires it."""

    owner = "sns.dedup-sweep"
    concurrency = 1

    def __init__(self, topics: TopicService) -> None:
        self.topics = topics

    async def arm(self) -> None:
        kernel = self.topics.yard.kernel
        due = kernel.clock.now() + SWEEP_SECONDS
        await kernel.db.write(lambda c: kernel.ensure(c, self.owner, "sweep", due))

    async def fire(self, firing: Firing) -> None:
        deleted = await self.topics.yard.db.write(lambda c: store.sweep_dedup(c, firing.now))
        firing.rearm(firing.timer, firing.now + (SWEEP_SECONDS if deleted else IDLE_SWEEP_SECONDS))
