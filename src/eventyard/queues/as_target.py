"""A queue as an EventBridge rule target: the event becomes a message, written as SQS writes messages.

EventBridge documents what a queue target receives: the payload (the event, or what the target's
Input/InputPath/InputTransformer made of it) as the message body; a FIFO queue gets the target's
``SqsParameters.MessageGroupId`` and the event id as deduplication id. Delivery goes through the
queue service's own operations (SendMessage, SendMessageBatch), so it is checked as any sender's is;
staging runs SendMessageBatch's checks up front so that the bus writes the messages in the
transaction that accepts the events (see :mod:`eventyard.targets`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from eventyard import arn
from eventyard.errors import ClientError, EventyardError
from eventyard.service import RequestContext
from eventyard.staging import StagedCall
from eventyard.targets import Rule, Staged, StagedCalls, Target

if TYPE_CHECKING:
    from eventyard.queues.service import QueueService


def _message(target: Target, payload: str, event: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"MessageBody": payload}
    if target["Arn"].endswith(".fifo"):
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if group:
            message["MessageGroupId"] = group
        message["MessageDeduplicationId"] = event["id"]
    return message


class QueueTarget:
    """The ``arn:aws:sqs:...`` target kind, bound to one yard's queue service."""

    def __init__(self, queues: QueueService) -> None:
        self.queues = queues

    def _where(self, queue_arn: str) -> tuple[RequestContext, str]:
        parts = arn.parse_as(queue_arn, "sqs")
        if parts is None:
            raise ClientError(f"Target {queue_arn} is not a queue.", code="ResourceNotFound")
        endpoint = self.queues.yard.endpoint
        context = RequestContext(account=parts.account, region=parts.region, endpoint=endpoint)
        return context, f"{endpoint}/{parts.account}/{parts.resource}"

    async def deliver(self, target: Target, payload: str, event: dict[str, Any], rule: Rule) -> None:
        context, url = self._where(target["Arn"])
        request = {"QueueUrl": url, **_message(target, payload, event)}
        await self.queues.yard.call("sqs", "SendMessage", request, context, trusted=True)

    async def deliver_batch(self, target: Target, items: list[tuple[str, dict[str, Any]]], rule: Rule) -> list[Any]:
        """SendMessageBatch, ten at a time (SQS's limit); a failed entry fails its event alone."""
        context, url = self._where(target["Arn"])

        async def send(chunk: list[tuple[str, dict[str, Any]]]) -> list[Any]:
            entries = [{"Id": str(i), **_message(target, payload, event)} for i, (payload, event) in enumerate(chunk)]
            result = await self.queues.yard.call(
                "sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": entries}, context, trusted=True
            )
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

    async def stage(self, target: Target, items: list[tuple[str, dict[str, Any]]]) -> Staged | None:
        """The deliveries checked now, for a write in the accepting transaction: to a standard queue
        as plain bodies (``Sending.stage_bodies``), to a FIFO queue SendMessageBatch ten at a time."""
        context, url = self._where(target["Arn"])
        if not target["Arn"].endswith(".fifo"):
            try:
                staged = await self.queues.stage_bodies(context, url, [payload for payload, _ in items])
            except EventyardError:  # the queue is gone
                return None
            return StagedCalls([staged], [int(position) for position in staged.refused], _body_ids)
        calls: list[StagedCall] = []
        refused: list[int] = []
        for start in range(0, len(items), 10):
            chunk = items[start : start + 10]
            entries = [{"Id": str(start + i), **_message(target, p, e)} for i, (p, e) in enumerate(chunk)]
            request = {"QueueUrl": url, "Entries": entries}
            try:
                call = await self.queues.yard.api.stage("sqs", "SendMessageBatch", request, context, trusted=True)
            except EventyardError:  # the queue is gone, or the whole chunk is refused
                return None
            calls.append(call)
            refused += [int(entry_id) for entry_id in call.refused]
        return StagedCalls(calls, refused, _batch_ids)


def _body_ids(results: list[Any]) -> dict[int, dict[str, Any]]:
    """``Sending.stage_bodies``'s result (each body's MessageId by position, None where refused)."""
    return {position: {"MessageId": sent} for position, sent in enumerate(results[0] or []) if sent}


def _batch_ids(results: list[Any]) -> dict[int, dict[str, Any]]:
    """The staged SendMessageBatch calls' entries (ids are the items' positions); the queue's refusals
    are in ``refused``, delivered again through the kernel, which dead-letters."""
    return {
        int(sent["Id"]): {"MessageId": sent["MessageId"]}
        for result in results
        for sent in (result or {}).get("Successful", [])
    }
