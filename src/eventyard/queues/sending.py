"""SendMessage and SendMessageBatch: validate as SQS does, store in one durable job, wake long polls."""

from __future__ import annotations

from dataclasses import dataclass
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
from eventyard.storage.base import ForeignKeyViolation

MAX_BATCH_BYTES = 1_048_576


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


@dataclass(slots=True)
class Staged:
    """Messages checked against their queue, written by a transaction another service holds.

    The event bus writes its deliveries to local queues in the transaction that accepts the events
    (``write``), and wakes the queue's long polls once that transaction committed (``committed``).
    ``refused`` lists the positions of the entries SQS would refuse, which are not among ``messages``.
    """

    sending: Sending
    queue: Queue
    messages: list[NewMessage]
    refused: list[int]

    def write(self, connection: Any, now: float) -> None:
        if self.messages:
            self.sending.messages.insert(connection, self.queue, self.messages, now)

    def committed(self) -> None:
        self.sending.wake(self.queue.id)


class Sending(QueueCore):
    async def stage(self, context: RequestContext, url: str, entries: list[dict[str, Any]]) -> Staged | None:
        """SendMessageBatch's checks without its write (see ``Staged``); None when the queue does not
        exist. Entries SQS would refuse are left out (``Staged.refused``): the caller sends those the
        normal way, and gets SQS's error, while the others keep their order."""
        try:
            queue = await self.queue_at(context, url)
        except EventyardError:
            return None
        messages: list[NewMessage] = []
        refused: list[int] = []
        for position, entry in enumerate(entries):
            try:
                messages.append(self.prepare(context, queue, entry)[0])
            except EventyardError:
                refused.append(position)
        return Staged(self, queue, messages, refused)

    def prepare(
        self, context: RequestContext, queue: Queue, entry: dict[str, Any], *, in_batch: bool = False
    ) -> tuple[NewMessage, dict[str, Any]]:
        """Check one message against its queue; returns what to store and the MD5s to answer with."""
        body = check_body(entry.get("MessageBody"))
        attributes = check_attributes(entry.get("MessageAttributes"))
        system = _system_attributes(entry.get("MessageSystemAttributes"))
        check_size(size_of(body, attributes), queue.number("MaximumMessageSize"), in_batch=in_batch)
        delay = entry.get("DelaySeconds")
        if delay is not None and not 0 <= int(delay) <= 900:
            raise invalid_value("DelaySeconds", delay, "DelaySeconds must be >= 0 and <= 900.")
        order = fifo.ordering(queue, entry, body)
        answer: dict[str, Any] = {"MD5OfMessageBody": md5_of_body(body)}
        md5_attributes = md5_system = None
        if attributes:
            md5_attributes = answer["MD5OfMessageAttributes"] = md5_of_attributes(attributes)
        if system:
            md5_system = answer["MD5OfMessageSystemAttributes"] = md5_of_attributes(system)
        message = NewMessage(
            message_id=new_message_id(),
            body=body,
            md5_body=answer["MD5OfMessageBody"],
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
        ((message_id, sequence),) = await self.store(queue, [message])
        answer["MessageId"] = message_id
        if sequence is not None:
            answer["SequenceNumber"] = sequence
        return answer

    async def send_message_batch(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        entries = batches.check_entries(request.get("Entries"), "SendMessageBatchRequestEntry")
        total = sum(
            size_of(str(e.get("MessageBody") or ""), check_attributes_or_empty(e.get("MessageAttributes")))
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
        successful: list[dict[str, Any]] = []
        if accepted:
            stored = await self.store(queue, [message for _, message, _ in accepted])
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
