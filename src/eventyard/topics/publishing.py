"""Publish and PublishBatch: check, match the topic's subscriptions, and write every delivery at once.

A publish is *prepared* first (:meth:`Publishing.prepare`): the messages are checked, matched on the
topic's compiled fan-out, and each delivery to a local SQS queue is staged with the queue's checks
run now: a standard queue's bodies (no group id, no attributes) as a rule's queue target stages
them, one call a queue (``Sending.stage_bodies``), the others through the queue service's own
SendMessage or SendMessageBatch (``api.stage``). Then ONE transaction
(:meth:`Prepared.write`) takes the FIFO deduplication ids, writes the staged messages straight into
their queues (each under a savepoint) and records every other delivery (HTTP/S, Lambda, a queue
whose staging or write failed) as a kernel timer of :mod:`.delivery`, claimed by this node, which
fires it the moment the transaction commits (:meth:`Prepared.committed`). So an acknowledged
Publish survives ``kill -9``: its queue messages are written, its other deliveries are timers.

The same prepared publish is what ``stage_publish`` offers other services (a workflow's
``sns:publish`` task, an EventBridge rule's topic target): its ``write`` runs in their transaction.

FIFO topics: a publish takes the deduplication id (given, or SHA-256 of the message under
ContentBasedDeduplication) for five minutes at the topic; a duplicate is acknowledged with the first
message's id and sequence number and delivered nowhere. Publishes of one message group are
serialised on this node from sequence number to commit, so a group's order is the order its
messages reach the queues.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import hashlib
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from eventyard import arn as arns
from eventyard.errors import EventyardError
from eventyard.ids import new_id, new_uuid
from eventyard.kernel import Timer
from eventyard.service import RequestContext
from eventyard.staging import StagedCall, rows_together
from eventyard.targets import Staged, StagedCalls
from eventyard.topics import store
from eventyard.topics.core import TopicCore
from eventyard.topics.delivery import OWNER as DELIVERIES
from eventyard.topics.envelope import NOTIFICATION, Envelopes, Notification, presign
from eventyard.topics.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    TooManyEntriesInBatchRequest,
    invalid,
)
from eventyard.topics.messages import MAX_MESSAGE_BYTES, Entry, check_entry
from eventyard.topics.names import phone_number, topic_name
from eventyard.topics.store import Subscription, Topic
from eventyard.trace import Step

DEDUP_SECONDS = 300.0
#: Publishes of one topic handled together at most (see ``_coalesced``).
COALESCE = 64
MAX_BATCH = 10
_ENTRY_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def timestamp(epoch: float) -> str:
    """ISO 8601 with milliseconds, as SNS stamps notifications."""
    second = int(epoch // 1)
    return f"{_second(second)}.{int((epoch - second) * 1000):03d}Z"


@lru_cache(maxsize=64)
def _second(second: int) -> str:
    return _dt.datetime.fromtimestamp(second, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def sqs_message(
    notification: Notification, envelopes: Envelopes, sub: Subscription, fifo_topic: bool
) -> dict[str, Any]:
    """The SendMessage entry a subscribed queue gets (raw or enveloped; FIFO identity for a FIFO queue)."""
    raw = sub.attributes.get("RawMessageDelivery") == "true"
    message: dict[str, Any] = {
        "MessageBody": notification.message_for("sqs") if raw else envelopes.json("sqs", sub.arn)
    }
    if raw and notification.attributes:
        message["MessageAttributes"] = notification.sqs_attributes()
    if sub.endpoint.endswith(".fifo"):
        message["MessageGroupId"] = notification.group_id
        message["MessageDeduplicationId"] = notification.dedup_id
    elif not fifo_topic and notification.group_id:  # a standard topic's group id reaches fair queues
        message["MessageGroupId"] = notification.group_id
    return message


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


@lru_cache(maxsize=4096)
def _delivery_head(arn: str, protocol: str, endpoint: str) -> str:
    return f'{{"arn":{_json(arn)},"protocol":{_json(protocol)},"endpoint":{_json(endpoint)},"status":'


def _enveloped(sub: Subscription) -> bool:
    return sub.protocol == "sqs" and sub.attributes.get("RawMessageDelivery") != "true"


def _plain(notification: Notification, sub: Subscription, fifo_topic: bool) -> bool:
    """Whether a standard queue gets ``notification`` as a body alone: no group id, no attributes."""
    if fifo_topic or notification.group_id or sub.endpoint.endswith(".fifo"):
        return False
    return not notification.attributes or _enveloped(sub)


def queue_address(endpoint: str, queue_arn: str) -> tuple[RequestContext, str]:
    """The context and QueueUrl SQS is called with for a queue ARN (remembered: fan-outs ask per message)."""
    found = _addresses.get((endpoint, queue_arn))
    if found is None:
        if len(_addresses) > 10_000:
            _addresses.clear()
        found = _addresses[(endpoint, queue_arn)] = _queue_address(endpoint, queue_arn)
    return found


_addresses: dict[tuple[str, str], tuple[RequestContext, str]] = {}


def _queue_address(endpoint: str, queue_arn: str) -> tuple[RequestContext, str]:
    parts = arns.parse_as(queue_arn, "sqs")
    if parts is None:
        raise invalid("SQS endpoint ARN")
    context = RequestContext(account=parts.account, region=parts.region, endpoint=endpoint)
    return context, f"{parts.account}/{parts.resource}"  # a QueueUrl's path is all SQS reads of it


@dataclass
class _Unit:
    """The staged queue writes of some entries (one entry on a FIFO topic), with their stand-ins."""

    entries: set[int]
    staged: Staged  # as a rule target's (see eventyard.targets): write, committed, results
    fallback: list[tuple[str, Notification]]  # (subscription ARN, notification): timers if the write fails
    positions: list[int] = field(default_factory=list)  # the entry of each staged message, in order
    subscription: str = ""


def _sent_ids(results: list[Any]) -> dict[int, dict[str, Any]]:
    """A staged SendMessage's or SendMessageBatch's (ids ``0``...) message ids by position."""
    result = results[0] or {}
    sent = [{"Id": "0", **result}] if "MessageId" in result else result.get("Successful", [])
    return {int(message["Id"]): {"MessageId": message["MessageId"]} for message in sent}


@dataclass
class Prepared:
    """A publish checked and staged, ready for one transaction (see the module doc)."""

    topic: Topic
    notifications: list[Notification]
    units: list[_Unit] = field(default_factory=list)
    timers: list[tuple[int, str, Notification]] = field(default_factory=list)  # (entry, subscription ARN, ...)
    results: list[dict[str, Any]] = field(default_factory=list)
    kernel: Any = None
    now: float = 0.0
    tracer: Any = None
    traced: dict[int, list[Subscription]] = field(default_factory=dict)  # entry -> what it matched, to trace
    _claimed: list[Timer] = field(default_factory=list)
    _written: list[_Unit] = field(default_factory=list)

    def write(self, c: Any) -> list[dict[str, Any]]:
        """The publish's writes on ``c`` (the caller's transaction); returns the answer per entry."""
        duplicates: set[int] = set()
        if self.topic.fifo:
            for position, n in enumerate(self.notifications):
                first = store.claim_dedup(
                    c, self.topic.arn, n.dedup_id or "", n.message_id, n.sequence, self.now, self.now + DEDUP_SECONDS
                )
                if first is not None:
                    duplicates.add(position)
                    self.results[position] = {
                        "MessageId": first[0],
                        **({"SequenceNumber": first[1]} if first[1] else {}),
                    }
        rows = [(arn, n) for position, arn, n in self.timers if position not in duplicates]
        units = [unit for unit in self.units if not unit.entries & duplicates]
        self._written = []
        if units:  # all under one savepoint; should one fail, again one by one (a queue deleted meanwhile)
            c.execute("SAVEPOINT sns_staged")
            try:
                with rows_together():  # every queue's messages in a few INSERTs (see eventyard.staging)
                    for unit in units:
                        unit.staged.write(c, self.now)
                self._written = units
            except Exception:
                c.execute("ROLLBACK TO SAVEPOINT sns_staged")
                for unit in units:
                    c.execute("SAVEPOINT sns_unit")
                    try:
                        unit.staged.write(c, self.now)
                        self._written.append(unit)
                    except Exception:  # the delivery job retries and reports
                        c.execute("ROLLBACK TO SAVEPOINT sns_unit")
                        rows += unit.fallback
                    c.execute("RELEASE SAVEPOINT sns_unit")
            c.execute("RELEASE SAVEPOINT sns_staged")
        if rows:  # timer payloads are made only now: most publishes need none
            payloads: dict[int, str] = {}
            timers = [
                (f"{arn} {new_id()}", payloads.get(id(n)) or payloads.setdefault(id(n), n.dumps())) for arn, n in rows
            ]
            self._claimed = self.kernel.add_claimed(c, DELIVERIES, timers, self.now)
        else:
            self._claimed = []
        if self.tracer is not None and self.traced:
            self.tracer.record(c, self._trace_steps(duplicates))
        return self.results

    def _trace_steps(self, duplicates: set[int]) -> list[Step]:
        """Each matched message's trace step (see :mod:`eventyard.trace`), its queue messages as written:
        ``{"kind": "sns", "topic", "subject", "subscriptions": [{"arn", "protocol", "endpoint", "status",
        "MessageId"}]}``, laid out as JSON here (a fan-out's ten deliveries a message are the hot path:
        each subscription's part of the layout is made once a publish, not once a message)."""
        written: dict[str, dict[int, str]] = {}  # subscription ARN -> entry -> its queue message's id
        for unit in self._written:
            results = getattr(unit.staged, "results", None)  # optional (see eventyard.targets); a queue's has it
            if results is not None:
                ids = written.setdefault(unit.subscription, {})
                for index, message in results().items():
                    ids[unit.positions[index]] = message["MessageId"]
        heads: dict[str, tuple[str, dict[int, str]]] = {}  # subscription ARN -> (its layout's head, its ids)
        topic = _json(self.topic.arn)
        steps: list[Step] = []
        for p, matched in self.traced.items():
            if p in duplicates:
                continue
            deliveries = []
            for sub in matched:
                found = heads.get(sub.arn)
                if found is None:
                    found = heads[sub.arn] = (
                        _delivery_head(sub.arn, sub.protocol, sub.endpoint),
                        written.get(sub.arn, {}),
                    )
                head, ids = found
                message_id = ids.get(p)
                # a queue message's id is UUID-shaped (eventyard.ids): nothing in it to escape
                deliveries.append(
                    head + ('"pending"}' if message_id is None else f'"written","MessageId":"{message_id}"}}')
                )
            n = self.notifications[p]
            listed = ",".join(deliveries)
            body = f'{{"kind":"sns","topic":{topic},"subject":{_json(n.subject)},"subscriptions":[{listed}]}}'
            steps.append((n.message_id, "event", body))
        return steps

    def committed(self) -> None:
        for unit in self._written:
            unit.staged.committed()
        self.kernel.fire_now(self._claimed)


class Publishing(TopicCore):
    signer: Any  # the service's Signer
    _sequence = 0
    _group_locks: dict[tuple[str, str], asyncio.Lock]
    _batches: dict[tuple[str, str], list[Any]]
    _flushing: set[asyncio.Future[None]]

    def next_sequence(self) -> str:
        """A FIFO sequence number: 20 digits, increasing on this node (from the clock, so across restarts)."""
        self._sequence = max(self._sequence + 1, int(self.now() * 1_000_000) * 1000)
        return f"{self._sequence:020d}"

    # --- the operations ---------------------------------------------------------------------------

    async def publish(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        topic_arn = request.get("TopicArn")
        target = topic_arn if topic_arn is not None else request.get("TargetArn")
        if target is None:
            phone = request.get("PhoneNumber")
            if phone:  # SMS goes nowhere here: accepted, as AWS accepts it
                if not phone_number(str(phone)):
                    raise invalid(f"PhoneNumber Reason: {phone} is not valid to publish to")
                check_entry(request)
                return {"MessageId": new_uuid()}
            raise invalid("TopicArn or TargetArn Reason: no value for required parameter")
        member = "TopicArn" if topic_arn is not None else "TargetArn"
        if member == "TargetArn" and "/" in str(target).rsplit(":", 1)[-1]:
            raise invalid("TargetArn Reason: No endpoint found for the target arn specified")
        topic_name(str(target), context, member)
        entry = check_entry(request)
        topic = await self.topic_at(context, target, member)
        self.check_fifo(topic, [entry])
        if topic.fifo:
            return (await self._publish(context, topic, [entry]))[0]
        return await self._coalesced(context, topic, entry)

    async def publish_batch(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        topic_name(str(request.get("TopicArn", "")), context)
        given = list(request.get("PublishBatchRequestEntries") or [])
        if not given:
            raise EmptyBatchRequest("The batch request doesn't contain any entries.")
        if len(given) > MAX_BATCH:
            raise TooManyEntriesInBatchRequest("The batch request contains more entries than permissible.")
        ids = [str(e.get("Id", "")) for e in given]
        if len(set(ids)) != len(ids):
            raise BatchEntryIdsNotDistinct("Two or more batch entries in the request have the same Id.")
        for entry_id in ids:
            if len(entry_id) > 80:
                raise InvalidBatchEntryId(f"The Id of a batch entry in the batch request is too long: {entry_id}")
            if not entry_id or not set(entry_id) <= _ENTRY_ID_CHARACTERS:
                raise InvalidBatchEntryId(
                    f"The Id of a batch entry in the batch request contains an impermissible character: {entry_id}"
                )
        topic = await self.topic_at(context, request.get("TopicArn"))
        entries = [check_entry(e, entry_id) for e, entry_id in zip(given, ids, strict=True)]
        if sum(e.size for e in entries) > MAX_MESSAGE_BYTES:
            raise BatchRequestTooLong("The length of all the messages put together is more than the limit.")
        self.check_fifo(topic, entries)
        results = await self._publish(context, topic, entries)
        successful = [{"Id": e.entry_id, **result} for e, result in zip(entries, results, strict=True)]
        return {"Successful": successful, "Failed": []}

    async def stage_publish(self, context: RequestContext, request: dict[str, Any]) -> StagedCall:
        """Publish's checks now, its writes in the caller's transaction (``eventyard.staging``)."""
        target = request.get("TopicArn") or request.get("TargetArn")
        if target is None:
            raise invalid("TopicArn or TargetArn Reason: no value for required parameter")
        entry = check_entry(request)
        topic = await self.topic_at(context, target, "TopicArn" if request.get("TopicArn") else "TargetArn")
        self.check_fifo(topic, [entry])
        prepared = await self.prepare(context, topic, [entry])
        return StagedCall(lambda c: prepared.write(c)[0], prepared.committed)

    # --- the work ----------------------------------------------------------------------------------

    def check_fifo(self, topic: Topic, entries: list[Entry]) -> None:
        for entry in entries:
            if topic.fifo:
                if entry.group_id is None:
                    raise invalid("The MessageGroupId parameter is required for FIFO topics")
                if entry.dedup_id is None and topic.attributes.get("ContentBasedDeduplication") != "true":
                    raise invalid(
                        "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
                        "provided explicitly"
                    )
            elif entry.dedup_id is not None:
                raise invalid(
                    "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not "
                    "valid for this topic type"
                )

    async def _coalesced(self, context: RequestContext, topic: Topic, entry: Entry) -> dict[str, Any]:
        """Publish one message together with the others that reach the same topic in this turn of the
        event loop: one match, one staged SendMessageBatch per queue and one transaction for all of them
        (group commit one level up). Each caller still gets its own answer once it is durable."""
        made = await self._made_early(context, topic, entry)
        key = (topic.arn, context.endpoint)
        batch = self._batches.get(key)
        if batch is None or len(batch) >= COALESCE:
            batch = self._batches[key] = []
            asyncio.get_running_loop().call_soon(self._flush, key, batch, context, topic)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        batch.append((entry, answer, made))
        return await answer

    async def _made_early(
        self, context: RequestContext, topic: Topic, entry: Entry
    ) -> tuple[Notification, Envelopes] | None:
        """The notification of a publish to a standard topic, made now and its signature asked for at
        once, where a signing thread signs (see :mod:`.signing`): it signs while the loop reads the
        other requests of this turn. None where the loop signs, or nothing would be delivered."""
        if not self.signer.early or entry.per_protocol is not None:
            return None
        if not (await self.catalogue.fanout(topic.arn)).subscriptions:
            return None
        notification = self.notification(context, topic, entry, self.now())
        envelopes = Envelopes(notification, self.signer)
        envelopes.sign_early("sqs")
        return notification, envelopes

    def _flush(self, key: tuple[str, str], batch: list[Any], context: RequestContext, topic: Topic) -> None:
        if self._batches.get(key) is batch:
            del self._batches[key]
        task = asyncio.ensure_future(self._publish_together(context, topic, batch))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _publish_together(self, context: RequestContext, topic: Topic, batch: list[Any]) -> None:
        try:
            results = await self._publish(context, topic, [entry for entry, _, _ in batch], [m for _, _, m in batch])
        except Exception as error:
            for _, answer, _ in batch:
                if not answer.done():
                    answer.set_exception(error)
            return
        for (_, answer, _), result in zip(batch, results, strict=True):
            if not answer.done():
                answer.set_result(result)

    async def _publish(
        self, context: RequestContext, topic: Topic, entries: list[Entry], made: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        if not topic.fifo:
            prepared = await self.prepare(context, topic, entries, made)
            results = await self.write(prepared.write)
            prepared.committed()
            return results
        async with AsyncExitStack() as stack:  # one group at a time, from sequence number to commit
            for group in sorted({str(e.group_id) for e in entries}):
                lock = self._group_locks.setdefault((topic.arn, group), asyncio.Lock())
                await stack.enter_async_context(lock)
            prepared = await self.prepare(context, topic, entries)
            results = await self.write(prepared.write)
        prepared.committed()
        return results

    def notification(self, context: RequestContext, topic: Topic, entry: Entry, now: float) -> Notification:
        dedup = entry.dedup_id
        if topic.fifo and dedup is None:
            dedup = hashlib.sha256(entry.message.encode("utf-8")).hexdigest()
        return Notification(
            kind=NOTIFICATION,
            message_id=new_id(),  # UUID-shaped; sequential, so the trace's index grows at its end
            topic_arn=topic.arn,
            message=entry.message,
            timestamp=timestamp(now),
            endpoint=context.endpoint,
            subject=entry.subject,
            per_protocol=entry.per_protocol,
            attributes=entry.attributes,
            group_id=entry.group_id,
            dedup_id=dedup if topic.fifo else None,
            sequence=self.next_sequence() if topic.fifo else None,
            signature_version=topic.attributes.get("SignatureVersion", "1"),
            signed=not topic.fifo,
        )

    async def prepare(
        self,
        context: RequestContext,
        topic: Topic,
        entries: list[Entry],
        made: list[tuple[Notification, Envelopes] | None] | None = None,
    ) -> Prepared:
        """Check, match and stage (see the module doc); nothing is written yet. ``made``: the entries'
        notifications made already (see ``_made_early``), where they were."""
        now = self.now()
        fanout = await self.catalogue.fanout(topic.arn)
        made = made or [None] * len(entries)
        notifications = [
            m[0] if m else self.notification(context, topic, e, now) for e, m in zip(entries, made, strict=True)
        ]
        prepared = Prepared(topic, notifications, kernel=self.yard.kernel, now=now, tracer=self.yard.trace)
        prepared.results = [
            {"MessageId": n.message_id, **({"SequenceNumber": n.sequence} if n.sequence else {})} for n in notifications
        ]
        # (queue subscription ARN) -> [(entry position, SendMessage entry, the delivery standing in for it)]
        queued: dict[str, list[tuple[int, dict[str, Any], tuple[str, Notification]]]] = {}
        plain: dict[str, list[tuple[int, str, tuple[str, Notification]]]] = {}  # the same, a body alone
        subscriptions: dict[str, Subscription] = {}
        matched_by: list[tuple[int, Notification, list[Subscription], Envelopes]] = []
        for position, n in enumerate(notifications):
            matched = fanout.match(n.attributes, n.message_for) if fanout.subscriptions else []
            if matched:
                early = made[position]
                envelopes = early[1] if early else Envelopes(n, self.signer)
                matched_by.append((position, n, matched, envelopes))
                if self.yard.trace.enabled:
                    prepared.traced[position] = matched
        enveloped = [(env, {"sqs"} if any(_enveloped(s) for s in subs) else set()) for _, _, subs, env in matched_by]
        # All of this turn's signatures in one batch, the newest first: the signing threads took the
        # oldest first, so the loop signs what they have not reached without waiting on theirs.
        await presign(enveloped[::-1], self.signer)
        for position, n, matched, envelopes in matched_by:
            for sub in matched:
                if sub.protocol != "sqs":
                    prepared.timers.append((position, sub.arn, n))
                    continue
                subscriptions[sub.arn] = sub
                if _plain(n, sub, topic.fifo):
                    body = envelopes.json("sqs", sub.arn) if _enveloped(sub) else n.message_for("sqs")
                    plain.setdefault(sub.arn, []).append((position, body, (sub.arn, n)))
                else:
                    message = sqs_message(n, envelopes, sub, topic.fifo)
                    queued.setdefault(sub.arn, []).append((position, message, (sub.arn, n)))
        for arn, bodies in plain.items():
            await self._stage_bodies(prepared, subscriptions[arn], bodies)
        for arn, items in queued.items():
            await self._stage(prepared, subscriptions[arn], items)
        return prepared

    async def _stage_bodies(
        self, prepared: Prepared, sub: Subscription, items: list[tuple[int, str, tuple[str, Notification]]]
    ) -> None:
        """Stage a standard queue's plain messages as one call, as a rule's queue target is staged;
        what the queue refuses becomes a delivery timer (whose SendMessage reports why)."""
        kind = self.yard.targets.kind_of(sub.endpoint)
        staged: Staged | None = None
        if kind is not None and kind.stage is not None:
            try:
                staged = await kind.stage({"Arn": sub.endpoint}, [(body, {}) for _, body, _ in items])
            except EventyardError:  # not a queue's ARN
                staged = None
        refused = set(staged.refused) if staged is not None else set(range(len(items)))
        prepared.timers += [(items[i][0], *items[i][2]) for i in sorted(refused)]
        kept = [item for i, item in enumerate(items) if i not in refused]
        if staged is not None and kept:
            entries = {p for p, _, _ in kept}
            prepared.units.append(_Unit(entries, staged, [t for _, _, t in kept], [p for p, _, _ in items], sub.arn))

    async def _stage(
        self, prepared: Prepared, sub: Subscription, items: list[tuple[int, dict[str, Any], tuple[str, Notification]]]
    ) -> None:
        """Stage one queue's messages, ten a call (one entry a call on a FIFO topic, whose duplicates are
        known only in the transaction); what the queue refuses becomes a delivery timer."""
        try:
            context, url = queue_address(self.yard.endpoint, sub.endpoint)
        except EventyardError:
            prepared.timers += [(position, *timer) for position, _, timer in items]
            return
        step = 1 if prepared.topic.fifo else MAX_BATCH
        for start in range(0, len(items), step):
            chunk = items[start : start + step]
            try:
                if len(chunk) == 1:  # the common case (one message a publish): SendMessage's checks only
                    request = {"QueueUrl": url, **chunk[0][1]}
                    call = await self.yard.api.stage("sqs", "SendMessage", request, context, trusted=True)
                else:
                    entries = [m for _, m, _ in chunk]
                    for i, m in enumerate(entries):
                        m["Id"] = str(i)
                    request = {"QueueUrl": url, "Entries": entries}
                    call = await self.yard.api.stage("sqs", "SendMessageBatch", request, context, trusted=True)
            except EventyardError:  # no such queue here, or the message refused: the delivery job reports
                prepared.timers += [(position, *timer) for position, _, timer in chunk]
                continue
            staged = StagedCalls([call], [int(entry_id) for entry_id in call.refused], _sent_ids)
            refused = set(staged.refused)
            prepared.timers += [(chunk[i][0], *chunk[i][2]) for i in sorted(refused)]
            kept = [item for i, item in enumerate(chunk) if i not in refused]
            if kept:
                unit = _Unit(
                    {p for p, _, _ in kept}, staged, [timer for _, _, timer in kept], [p for p, _, _ in chunk], sub.arn
                )
                prepared.units.append(unit)
