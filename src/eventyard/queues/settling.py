"""Settling leases: DeleteMessage(Batch) and ChangeMessageVisibility(Batch).

AWS's rules, by handle: one that does not parse is ``ReceiptHandleIsInvalid``; an older handle
of a message received again deletes nothing and succeeds; on a FIFO queue a handle whose
visibility ran out has expired. Changing visibility needs the newest handle of the message (on a
standard queue also once its visibility ran out, which hides it again; on a FIFO queue only while
in flight), and the new timeout counts from now (12 hours at most since that receive).
"""

from __future__ import annotations

from typing import Any

from eventyard.errors import EventyardError
from eventyard.queues import batches, receipts
from eventyard.queues.core import QueueCore
from eventyard.queues.errors import MessageNotInflight, invalid_value
from eventyard.queues.store import Queue
from eventyard.service import RequestContext

_MISSING = "Message does not exist or is not available for visibility timeout change."


def _visibility(value: Any) -> int:
    timeout = int(value)
    if not 0 <= timeout <= 43_200:
        raise invalid_value("VisibilityTimeout", value, "Must be between 0 and 43200, if provided.")
    return timeout


def _delete_outcome(handle: str, outcome: str) -> None:
    if outcome == "expired":
        raise invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")


def _visibility_outcome(handle: str, outcome: str) -> None:
    if outcome == "missing":
        raise invalid_value("ReceiptHandle", handle, _MISSING)
    if outcome == "not_inflight":
        raise MessageNotInflight()
    if outcome == "limit":
        raise invalid_value(
            "VisibilityTimeout", handle, "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"
        )


class Settling(QueueCore):
    def _delete_job(self, queue: Queue, handle: str) -> Any:
        receipt = receipts.decode(str(handle or ""), queue.id)
        return self.messages.delete_job(queue, receipt.row_id, receipt.nonce, self.now())

    def _visibility_job(self, queue: Queue, handle: str, timeout: Any) -> Any:
        receipt = receipts.decode(str(handle or ""), queue.id)
        return self.messages.visibility_job(queue, receipt.row_id, receipt.nonce, _visibility(timeout), self.now())

    async def delete_message(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        handle = request.get("ReceiptHandle", "")
        outcome = await self.yard.db.write(self._delete_job(queue, handle))
        _delete_outcome(handle, outcome)
        return {}

    async def change_message_visibility(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        handle = request.get("ReceiptHandle", "")
        timeout = request.get("VisibilityTimeout", 0)
        outcome = await self.yard.db.write(self._visibility_job(queue, handle, timeout))
        _visibility_outcome(handle, outcome)
        if int(timeout) == 0:
            self.wake(queue.id)
        return {}

    async def delete_message_batch(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        entries = batches.check_entries(request.get("Entries"), "DeleteMessageBatchRequestEntry")
        return await self._settle_batch(
            entries,
            lambda e: self._delete_job(queue, e.get("ReceiptHandle", "")),
            lambda e, outcome: _delete_outcome(e.get("ReceiptHandle", ""), outcome),
        )

    async def change_message_visibility_batch(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        queue = await self.queue_at(context, request.get("QueueUrl"))
        entries = batches.check_entries(request.get("Entries"), "ChangeMessageVisibilityBatchRequestEntry")
        answer = await self._settle_batch(
            entries,
            lambda e: self._visibility_job(queue, e.get("ReceiptHandle", ""), e.get("VisibilityTimeout", 0)),
            lambda e, outcome: _visibility_outcome(e.get("ReceiptHandle", ""), outcome),
        )
        self.wake(queue.id)
        return answer

    async def _settle_batch(self, entries: list[dict[str, Any]], make_job: Any, check: Any) -> dict[str, Any]:
        """Every valid entry's job runs in one transaction; each entry succeeds or fails on its own."""
        failed: list[dict[str, Any]] = []
        jobs: list[tuple[dict[str, Any], Any]] = []
        for entry in entries:
            try:
                jobs.append((entry, make_job(entry)))
            except EventyardError as error:
                failed.append(batches.failure(entry["Id"], error))
        successful: list[dict[str, Any]] = []
        if jobs:
            outcomes = await self.messages.run([job for _, job in jobs])
            for (entry, _), outcome in zip(jobs, outcomes, strict=True):
                try:
                    check(entry, outcome)
                except EventyardError as error:
                    failed.append(batches.failure(entry["Id"], error))
                    continue
                successful.append({"Id": entry["Id"]})
        return batches.result(successful, failed)
