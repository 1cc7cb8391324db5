"""ReceiveMessage: lease visible messages, dead-letter poison ones, long-poll when there are none."""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.queues import attributes as queue_attributes
from eventyard.queues import receipts
from eventyard.queues.core import QueueCore
from eventyard.queues.errors import invalid_value
from eventyard.queues.message_store import DeadLetter, Leased
from eventyard.queues.messages import from_storable, md5_of_attributes, select_attributes
from eventyard.queues.polling import wait_or_timeout
from eventyard.queues.store import Queue
from eventyard.service import RequestContext

SYSTEM_ATTRIBUTES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


def _milliseconds(seconds: float | None) -> str:
    return str(int((seconds or 0.0) * 1000))


def _int_parameter(request: dict[str, Any], name: str, low: int, high: int, reason: str) -> int | None:
    value = request.get(name)
    if value is None:
        return None
    if not low <= int(value) <= high:
        raise invalid_value(name, value, reason)
    return int(value)


def system_attributes(message: Leased, wanted: set[str]) -> dict[str, str]:
    values: dict[str, str | None] = {
        "SenderId": message.sender_id,
        "SentTimestamp": _milliseconds(message.sent_at),
        "ApproximateReceiveCount": str(message.receive_count),
        "ApproximateFirstReceiveTimestamp": _milliseconds(message.first_received_at),
        "SequenceNumber": message.sequence_number,
        "MessageDeduplicationId": message.dedup_id,
        "MessageGroupId": message.group_id,
        "AWSTraceHeader": orjson.loads(message.system)["AWSTraceHeader"]["StringValue"] if message.system else None,
        "DeadLetterQueueSourceArn": message.dead_letter_source,
    }
    return {name: value for name in SYSTEM_ATTRIBUTES if name in wanted and (value := values[name]) is not None}


class Receiving(QueueCore):
    async def dead_letter_of(self, queue: Queue) -> DeadLetter | None:
        policy = queue_attributes.redrive_policy(queue.attributes)
        if policy is None:
            return None
        target = await self.queue_by_arn(policy.dead_letter_target_arn)
        if target is None:
            return None
        return DeadLetter(target, queue.arn, policy.max_receive_count)

    async def receive_message(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        count = _int_parameter(request, "MaxNumberOfMessages", 1, 10, "Must be between 1 and 10, if provided.") or 1
        visibility = _int_parameter(
            request, "VisibilityTimeout", 0, 43_200, "Must be between 0 and 43200, if provided."
        )
        wait = _int_parameter(request, "WaitTimeSeconds", 0, 20, "Must be >= 0 and <= 20, if provided.")
        if visibility is None:
            visibility = queue.number("VisibilityTimeout")
        if wait is None:
            wait = queue.number("ReceiveMessageWaitTimeSeconds")
        attempt_id = request.get("ReceiveRequestAttemptId") if queue.fifo else None
        wanted = set(request.get("MessageSystemAttributeNames") or []) | set(request.get("AttributeNames") or [])
        if "All" in wanted:
            wanted = set(SYSTEM_ATTRIBUTES)
        attribute_names = list(request.get("MessageAttributeNames") or [])
        dead_letter = await self.dead_letter_of(queue)
        deadline = self.now() + wait
        while True:
            armed = self.waiters.arm(queue.id) if wait else None
            try:
                leased, moved = await self.messages.receive(
                    queue, count, visibility, self.now(), dead_letter, attempt_id
                )
                if moved and dead_letter is not None:
                    self.wake(dead_letter.queue.id)
                now = self.now()
                if leased or armed is None or now >= deadline:
                    break
                if moved:
                    continue
                next_visible = await self.messages.next_visible_at(queue.id, now)
                until = deadline if next_visible is None else min(deadline, next_visible)
                await wait_or_timeout(self.yard.clock, armed, until)
            finally:
                if armed is not None:
                    self.waiters.disarm(queue.id, armed)
        if not leased:
            return {}
        return {"Messages": [self.render(queue, m, wanted, attribute_names) for m in leased]}

    def render(self, queue: Queue, message: Leased, wanted: set[str], attribute_names: list[str]) -> dict[str, Any]:
        item: dict[str, Any] = {
            "MessageId": message.message_id,
            "ReceiptHandle": receipts.encode(queue.id, message.row_id, message.receipt),
            "MD5OfBody": message.md5_body,
            "Body": message.body,
        }
        if wanted:
            system = system_attributes(message, wanted)
            if system:
                item["Attributes"] = system
        if attribute_names and message.attributes:
            chosen = select_attributes(from_storable(orjson.loads(message.attributes)), attribute_names)
            if chosen:
                item["MD5OfMessageAttributes"] = md5_of_attributes(chosen)
                item["MessageAttributes"] = chosen
        return item
