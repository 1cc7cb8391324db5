"""SendMessage and SendMessageBatch: validate as SQS does, store in one durable job, wake long polls."""

from __future__ import annotations

from typing import Any

from eventyard.errors import EventyardError
from eventyard.queues import batches, fifo
from eventyard.queues.core import QueueCore
from eventyard.queues.errors import BatchRequestTooLong, InvalidParameterValue, QueueDoesNotExist, invalid_value
from eventyard.queues.message_store import NewMessage, new_message_id
from eventyard.queues.messages import (
    Attributes,
    check_attributes,
    check_body,
    check_size,
    md5_of_attributes,
    md5_of_body,
    size_of,
    to_storable,
)
from eventyard.queues.store import Queue, dumps
from eventyard.service import RequestContext
from eventyard.staging import CannotStage, StagedCall
from eventyard.storage.base import ForeignKeyViolation

MAX_BATCH_BYTES = 1_048_576
#: The members of the usual message, a body and nothing else: nothing to check but the body and its size.
_PLAIN = frozenset(("QueueUrl", "Id", "MessageBody"))


def _system_attributes(given: dict[str, Any] | None) -> Attributes:
    """MessageSystemAttributes: only AWSTraceHeader exists, a String."""
    if not given:
        return {}
    for name, attribute in given.items():
        if name != "AWSTraceHeader":
            raise InvalidParameterValue(f"Message system attribute name '{name}' is invalid.")
        if attribute.get("DataType") != "String" or not attribute.get("StringValue"):
            raise InvalidParameterValue(
                "Message system attribute 'AWSTraceHeader' must contain a non-empty value of type 'String'."
            )
    return {"AWSTraceHeader": {"DataType": "String", "StringValue": given["AWSTraceHeader"]["StringValue"]}}


class Sending(QueueCore):
    def prepare(
        self, context: RequestContext, queue: Queue, entry: dict[str, Any], *, in_batch: bool = False
    ) -> tuple[NewMessage, dict[str, Any]]:
        """Check one message against its queue; returns what to store and the MD5s to answer with."""
        if entry.keys() <= _PLAIN and not queue.fifo:  # the usual message: a body and nothing else
            plain = self._plain(context, queue, entry.get("MessageBody"), in_batch=in_batch)
            return plain, {"MD5OfMessageBody": plain.md5_body}
        body = check_body(entry.get("MessageBody"))
        given = entry.get("MessageAttributes")
        attributes = check_attributes(given) if given else {}
        system = _system_attributes(entry.get("MessageSystemAttributes"))
        check_size(size_of(body, attributes), queue.number("MaximumMessageSize"), in_batch=in_batch)
        delay = entry.get("DelaySeconds")
        if delay is not None and not 0 <= int(delay) <= 900:
            raise invalid_value("DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900.")
        order = fifo.ordering(queue, entry, body)
        md5_body = md5_of_body(body)
        answer: dict[str, Any] = {"MD5OfMessageBody": md5_body}
        md5_attributes = md5_system = None
        if attributes:
            md5_attributes = answer["MD5OfMessageAttributes"] = md5_of_attributes(attributes)
        if system:
            md5_system = answer["MD5OfMessageSystemAttributes"] = md5_of_attributes(system)
        message = NewMessage(
            message_id=new_message_id(),
            body=body,
            md5_body=md5_body,
            attributes=dumps(to_storable(attributes)) if attributes else None,
            md5_attributes=md5_attributes,
            system=dumps(system) if system else None,
            md5_system=md5_system,
            sender_id=context.account,
            # A FIFO queue delays by its own setting only (a per-message 0 does not override it).
            delay=queue.number("DelaySeconds") if delay is None or queue.fifo else int(delay),
            group_id=order.group_id,
            dedup_id=order.dedup_id,
            dedup_scope=order.dedup_scope,
        )
        return message, answer

    def _plain(self, context: RequestContext, queue: Queue, body: Any, *, in_batch: bool = False) -> NewMessage:
        """A standard queue's message that is a body alone, checked (its characters, its size)."""
        text = check_body(body)
        check_size(size_of(text, {}), queue.number("MaximumMessageSize"), in_batch=in_batch)
        delay = queue.number("DelaySeconds")
        return NewMessage(new_message_id(), text, md5_of_body(text), None, None, None, None, context.account, delay)

    async def store(self, queue: Queue, messages: list[NewMessage]) -> list[tuple[str, str | None]]:
        try:
            stored = await self.messages.send(queue, messages, self.now())
        except QueueDoesNotExist:
            self.forget(queue)
            raise
        except ForeignKeyViolation:  # another node deleted the queue under our cached copy
            self.forget(queue)
            raise QueueDoesNotExist()
        self.wake(queue.id)
        return stored

    async def send_message(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        message, answer = self.prepare(context, queue, request)
        return _sent(answer, *(await self.store(queue, [message]))[0])

    async def send_message_batch(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        accepted, failed = self._check_batch(context, queue, request.get("Entries"))
        stored = await self.store(queue, [message for _, message, _ in accepted]) if accepted else []
        return _batch_answer(accepted, stored, failed)

    # --- the same, staged for a transaction another service holds (see ``eventyard.staging``) ------

    async def stage_send_message(self, context: RequestContext, request: dict[str, Any]) -> StagedCall:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        message, answer = self.prepare(context, queue, request)
        return StagedCall(
            lambda c: _sent(answer, *self.messages.insert(c, queue, [message], self.now())[0]),
            lambda: self.wake(queue.id),
        )

    async def stage_send_message_batch(self, context: RequestContext, request: dict[str, Any]) -> StagedCall:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        accepted, failed = self._check_batch(context, queue, request.get("Entries"))

        def write(c: Any) -> dict[str, Any]:
            stored = self.messages.insert(c, queue, [m for _, m, _ in accepted], self.now()) if accepted else []
            return _batch_answer(accepted, stored, failed)

        return StagedCall(write, lambda: self.wake(queue.id), refused=[f["Id"] for f in failed])

    async def stage_bodies(self, context: RequestContext, queue_url: str, bodies: list[str]) -> StagedCall:
        """Plain messages another service of this yard sends a standard queue (an EventBridge rule's
        events, an SNS topic's notifications), staged as one call: each body gets SendMessage's
        checks (its characters, its size) and no batch limit applies, as those services send each
        message on its own. ``refused``: the positions (as str) of the bodies the queue refuses;
        ``result`` once written: each body's MessageId by position, None where refused."""
        queue = await self.queue_at(context, queue_url)
        if queue.fifo:
            raise CannotStage("a FIFO queue's messages need a group id: stage SendMessageBatch")
        messages: list[NewMessage] = []
        ids: list[str | None] = []
        refused: list[str] = []
        for position, body in enumerate(bodies):
            try:
                message = self._plain(context, queue, body)
            except EventyardError:  # the caller delivers it through SendMessage, which reports why
                refused.append(str(position))
                ids.append(None)
                continue
            messages.append(message)
            ids.append(message.message_id)

        def write(c: Any) -> list[str | None]:
            if messages:
                self.messages.insert(c, queue, messages, self.now())
            return ids

        return StagedCall(write, lambda: self.wake(queue.id), refused=refused)

    def _check_batch(
        self, context: RequestContext, queue: Queue, entries: Any
    ) -> tuple[list[tuple[str, NewMessage, dict[str, Any]]], list[dict[str, Any]]]:
        """SendMessageBatch's checks: the whole request's (raised), then each entry's (``failed``)."""
        entries = batches.check_entries(entries, "SendMessageBatchRequestEntry")
        total = sum(
            size_of(str(e.get("MessageBody") or ""), check_attributes_or_empty(e["MessageAttributes"]))
            if e.get("MessageAttributes")
            else size_of(str(e.get("MessageBody") or ""), {})
            for e in entries
        )
        if total > MAX_BATCH_BYTES:
            raise BatchRequestTooLong(
                f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes."
            )
        if queue.fifo:
            fifo.check_batch_identity(queue, entries)
        accepted: list[tuple[str, NewMessage, dict[str, Any]]] = []
        failed: list[dict[str, Any]] = []
        for entry in entries:
            try:
                message, answer = self.prepare(context, queue, entry, in_batch=True)
            except EventyardError as error:
                failed.append(batches.failure(entry["Id"], error))
                continue
            accepted.append((entry["Id"], message, answer))
        return accepted, failed


def _sent(answer: dict[str, Any], message_id: str, sequence: str | None) -> dict[str, Any]:
    answer["MessageId"] = message_id
    if sequence is not None:
        answer["SequenceNumber"] = sequence
    return answer


def _batch_answer(
    accepted: list[tuple[str, NewMessage, dict[str, Any]]],
    stored: list[tuple[str, str | None]],
    failed: list[dict[str, Any]],
) -> dict[str, Any]:
    successful = []
    for (entry_id, _, answer), (message_id, sequence) in zip(accepted, stored, strict=True):
        item = {"Id": entry_id, "MessageId": message_id, **answer}
        if sequence is not None:
            item["SequenceNumber"] = sequence
        successful.append(item)
    return batches.result(successful, failed)


def check_attributes_or_empty(attributes: Any) -> Attributes:
    """For the batch size total only: attributes that don't validate count as nothing (they fail later)."""
    try:
        return check_attributes(attributes)
    except EventyardError:
        return {}
