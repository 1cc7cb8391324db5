"""Where matched events go: one deliverer per kind of target ARN.

A deliverer is ``async (yard, target, payload, event, rule) -> None`` that raises on failure; a
:class:`~eventyard.errors.ClientError` means the target refused for good (no retries, straight to
the dead-letter queue), anything else is retried by the target's RetryPolicy. The workflow,
stream and function services register their own kinds with :func:`register` when they exist.

A kind whose target lives in the same database may also *stage* deliveries: check them up front
and write them in the transaction that accepts the events, so that they need no outbox row, no
second transaction and no delivery engine (SQS queues do). A stager answers None when it cannot
vouch for any of the writes, and lists the ones it would refuse; those deliveries take the outbox,
which retries and dead-letters as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from eventyard.arn import parse as parse_arn
from eventyard.errors import ClientError, ResourceNotFoundException
from eventyard.ids import new_id
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.yard import Yard

Deliver = Callable[["Yard", dict[str, Any], str, dict[str, Any], dict[str, Any]], Awaitable[None]]

#: ``async (yard, target, [(payload, event)], rule) -> [error or None per item]``: many events to one target.
BatchDeliver = Callable[
    ["Yard", dict[str, Any], list[tuple[str, dict[str, Any]]], dict[str, Any]], Awaitable[list[Any]]
]


class Staged(Protocol):
    """Deliveries checked by their target, to be written in the transaction that accepts the events;
    ``refused``: the positions of those the target would refuse (they are not written)."""

    refused: list[int]

    def write(self, connection: Any, now: float) -> None: ...

    def committed(self) -> None: ...


#: ``async (yard, target, [(payload, event)]) -> Staged | None`` (see the module doc)
Stage = Callable[["Yard", dict[str, Any], list[tuple[str, dict[str, Any]]]], Awaitable[Staged | None]]

#: (service in the ARN, resource prefix) -> deliverer, and the batch deliverer and stager where the kind has one
_KINDS: dict[tuple[str, str], Deliver] = {}
_BATCHES: dict[tuple[str, str], BatchDeliver] = {}
_STAGES: dict[tuple[str, str], Stage] = {}


def register(
    service: str, resource_prefix: str, deliver: Deliver, batch: BatchDeliver | None = None, stage: Stage | None = None
) -> None:
    _KINDS[(service, resource_prefix)] = deliver
    if batch is not None:
        _BATCHES[(service, resource_prefix)] = batch
    if stage is not None:
        _STAGES[(service, resource_prefix)] = stage


def _kind(arn: str) -> tuple[str, str] | None:
    parts = parse_arn(arn)
    if parts is None:
        return None
    service, resource = parts.service, parts.resource
    for kind_service, prefix in _KINDS:
        if kind_service == service and resource.startswith(prefix):
            return kind_service, prefix
    return None


def deliverer_for(arn: str) -> Deliver | None:
    kind = _kind(arn)
    return _KINDS[kind] if kind else None


def batch_deliverer_for(arn: str) -> BatchDeliver | None:
    kind = _kind(arn)
    return _BATCHES.get(kind) if kind else None


def stager_for(arn: str) -> Stage | None:
    kind = _kind(arn)
    return _STAGES.get(kind) if kind else None


def supported(arn: str) -> bool:
    return deliverer_for(arn) is not None


def context_of(yard: Yard, arn: str) -> RequestContext:
    parts = parse_arn(arn)
    assert parts is not None
    return RequestContext(account=parts.account, region=parts.region, endpoint=yard.endpoint)


def _queue_message(target: dict[str, Any], payload: str, event: dict[str, Any]) -> dict[str, Any]:
    """SQS: the payload as body; FIFO queues get the group id and the event id as dedup id."""
    message: dict[str, Any] = {"MessageBody": payload}
    if target["Arn"].endswith(".fifo"):
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if group:
            message["MessageGroupId"] = group
        message["MessageDeduplicationId"] = event["id"]
    return message


def _queue_url(yard: Yard, arn: str) -> str:
    parts = parse_arn(arn)
    assert parts is not None
    if "sqs" not in yard.services:
        raise ResourceNotFoundException("The queue service is not running.")
    return f"{yard.endpoint}/{parts.account}/{parts.resource}"


async def to_queue(
    yard: Yard, target: dict[str, Any], payload: str, event: dict[str, Any], rule: dict[str, Any]
) -> None:
    request = {"QueueUrl": _queue_url(yard, target["Arn"]), **_queue_message(target, payload, event)}
    await yard.call("sqs", "SendMessage", request, context_of(yard, target["Arn"]), trusted=True)


async def to_queue_in_batches(
    yard: Yard, target: dict[str, Any], items: list[tuple[str, dict[str, Any]]], rule: dict[str, Any]
) -> list[Any]:
    """SendMessageBatch, ten at a time (SQS's limit); a failed entry fails its event alone."""
    url = _queue_url(yard, target["Arn"])
    context = context_of(yard, target["Arn"])

    async def send(chunk: list[tuple[str, dict[str, Any]]]) -> list[Any]:
        entries = [{"Id": str(i), **_queue_message(target, payload, event)} for i, (payload, event) in enumerate(chunk)]
        request = {"QueueUrl": url, "Entries": entries}
        result = await yard.call("sqs", "SendMessageBatch", request, context, trusted=True)
        failed = {f["Id"]: f for f in result.get("Failed", [])}
        return [
            None
            if str(i) not in failed
            else ClientError(failed[str(i)].get("Message", ""), code=failed[str(i)]["Code"])
            for i in range(len(chunk))
        ]

    chunks = [items[start : start + 10] for start in range(0, len(items), 10)]
    outcomes: list[Any]
    if target["Arn"].endswith(".fifo"):  # one after another: the queue keeps the events' order
        outcomes = []
        for chunk in chunks:
            try:
                outcomes.append(await send(chunk))
            except Exception as error:
                outcomes.append(error)
    else:  # together, so their writes share one group commit
        outcomes = await asyncio.gather(*(send(chunk) for chunk in chunks), return_exceptions=True)
    errors: list[Any] = []
    for chunk, outcome in zip(chunks, outcomes, strict=True):
        errors += [outcome] * len(chunk) if isinstance(outcome, BaseException) else outcome
    return errors


async def stage_for_queue(yard: Yard, target: dict[str, Any], items: list[tuple[str, dict[str, Any]]]) -> Staged | None:
    """A local queue's SendMessageBatch checks, for a write in the accepting transaction."""
    queues = yard.services.get("sqs")
    if queues is None:
        return None
    entries = [_queue_message(target, payload, event) for payload, event in items]
    return await queues.stage(context_of(yard, target["Arn"]), _queue_url(yard, target["Arn"]), entries)  # type: ignore[attr-defined]


async def to_bus(yard: Yard, target: dict[str, Any], payload: str, event: dict[str, Any], rule: dict[str, Any]) -> None:
    """Another event bus: the event enters it as it is, and its rules decide.

    AWS-recorded: within a region the event keeps its id (also across accounts); a bus in another
    region receives it under a new id, with the rest of the event unchanged.
    """
    bus = yard.services["events"]
    parts = parse_arn(target["Arn"])
    assert parts is not None
    source = parse_arn(rule["Arn"])
    if source is not None and source.region != parts.region:
        event = {**event, "id": new_id()}
    await bus.forward(context_of(yard, target["Arn"]), parts.resource.removeprefix("event-bus/"), event)  # type: ignore[attr-defined]


register("sqs", "", to_queue, to_queue_in_batches, stage_for_queue)
register("events", "event-bus/", to_bus)
