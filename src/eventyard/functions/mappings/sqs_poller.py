"""Polling an SQS queue for a mapping: receive a batch, invoke, delete what succeeded.

Everything goes through the queue service's own operations (GetQueueAttributes, ReceiveMessage,
DeleteMessageBatch), as any consumer's would. Messages are received with the queue's own
visibility timeout and deleted only after the function succeeded with them, so a batch whose
invocation failed, or whose poller died midway, comes back when that timeout runs out (and the
queue's redrive policy counts the receive). With ``ReportBatchItemFailures`` only the messages the
function names stay; on a FIFO queue the messages after a failed one in its group stay too, so the
group keeps its order. Messages the FilterCriteria do not keep are deleted, as AWS deletes them.

``MaximumBatchingWindowInSeconds`` is kept without holding messages: while fewer than BatchSize
are visible, the poller waits (re-arms) until the window that began when it first saw one is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventyard.errors import EventyardError
from eventyard.functions.mappings import sqs_events
from eventyard.functions.mappings.config import compile_filters
from eventyard.functions.mappings.invoking import invoke
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.functions.mappings.store import Mapping
    from eventyard.yard import Yard

RECEIVE_MAX = 10


@dataclass(frozen=True, slots=True)
class Polled:
    """What one poll did: how many messages it handed the function, and whether a window is open."""

    delivered: int
    window_until: float | None = None  # a batching window runs until then: poll again at that time
    failed: bool = False


def queue_url(yard: Yard, arn: str) -> str:
    parts = arn.split(":")
    return f"{yard.endpoint}/{parts[4]}/{parts[5]}"


class SqsPoller:
    def __init__(self, yard: Yard) -> None:
        self.yard = yard

    async def poll(self, mapping: Mapping, window_started: float | None) -> Polled:
        config = mapping.config
        context = RequestContext(account=mapping.account, region=mapping.region, endpoint=self.yard.endpoint)
        url = queue_url(self.yard, mapping.source_arn)
        size = int(config["BatchSize"])
        window = float(config.get("MaximumBatchingWindowInSeconds") or 0)
        now = self.yard.clock.now()
        if window > 0:
            visible = await self._visible(context, url)
            if visible == 0:
                return Polled(0)
            started = window_started if window_started is not None else now
            if visible < size and now < started + window:
                return Polled(0, window_until=started + window)
        messages = await self._receive(context, url, size)
        if not messages:
            return Polled(0)
        records = [sqs_events.record(m, mapping.source_arn, mapping.region) for m in messages]
        filters = compile_filters(config.get("FilterCriteria"))
        kept, dropped = records, []
        if not filters.empty:
            keeps = [filters.keeps(sqs_events.filter_document(r)) for r in records]
            kept = [r for r, keep in zip(records, keeps, strict=True) if keep]
            dropped = [r for r, keep in zip(records, keeps, strict=True) if not keep]
        if dropped:
            await self._delete(context, url, dropped)
        if not kept:
            return Polled(0)
        outcome = await invoke(self.yard, mapping, {"Records": kept})
        if not outcome.ok:
            return Polled(len(kept), failed=True)  # every message comes back after its visibility timeout
        done = kept
        if "ReportBatchItemFailures" in (config.get("FunctionResponseTypes") or []):
            failed = sqs_events.failed_ids(outcome.result, [r["messageId"] for r in kept])
            if failed is None:
                return Polled(len(kept), failed=True)
            failed = _with_group_followers(kept, failed)
            done = [r for r in kept if r["messageId"] not in failed]
        await self._delete(context, url, done)
        return Polled(len(kept), failed=len(done) < len(kept))

    async def _visible(self, context: RequestContext, url: str) -> int:
        answer = await self.yard.call(
            "sqs",
            "GetQueueAttributes",
            {"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]},
            context,
            trusted=True,
        )
        return int((answer.get("Attributes") or {}).get("ApproximateNumberOfMessages") or 0)

    async def _receive(self, context: RequestContext, url: str, size: int) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < size:
            want = min(RECEIVE_MAX, size - len(messages))
            answer = await self.yard.call(
                "sqs",
                "ReceiveMessage",
                {
                    "QueueUrl": url,
                    "MaxNumberOfMessages": want,
                    "WaitTimeSeconds": 0,
                    "MessageSystemAttributeNames": ["All"],
                    "MessageAttributeNames": ["All"],
                },
                context,
                trusted=True,
            )
            got = answer.get("Messages") or []
            messages += got
            if len(got) < want:
                break
        return messages

    async def _delete(self, context: RequestContext, url: str, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), RECEIVE_MAX):
            entries = [
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                for i, r in enumerate(records[start : start + RECEIVE_MAX])
            ]
            try:
                await self.yard.call("sqs", "DeleteMessageBatch", {"QueueUrl": url, "Entries": entries}, context)
            except EventyardError:  # the queue went away: nothing left to delete
                return


def _with_group_followers(records: list[dict[str, Any]], failed: set[str]) -> set[str]:
    """On a FIFO queue, a failed message keeps the rest of its group's batch back (order within a group)."""
    blocked: set[str] = set()
    result = set(failed)
    for r in records:
        group = r["attributes"].get("MessageGroupId")
        if group is None:
            continue
        if group in blocked:
            result.add(r["messageId"])
        elif r["messageId"] in failed:
            blocked.add(group)
    return result
