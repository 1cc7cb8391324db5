"""Message move tasks: redrive a dead-letter queue's messages back to their sources or elsewhere.

StartMessageMoveTask records a task row and arms its kernel timer in one transaction; the
:class:`MessageMoves` job moves the DLQ's visible messages in batches (each one transaction: insert
at the destination, delete at the source, see ``move_store``), honouring MaxNumberOfMessagesPerSecond
on the yard's clock. Without a DestinationArn each message goes back to the queue it was
dead-lettered from. One node at a time runs a task; another takes it over when that node dies.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import orjson

from eventyard.kernel import Firing, Job
from eventyard.queues import attributes as queue_attributes
from eventyard.queues import move_store
from eventyard.queues.core import QueueCore
from eventyard.queues.errors import InvalidParameterValue, ResourceNotFound, invalid_value
from eventyard.queues.store import dumps
from eventyard.service import RequestContext

BATCH = 100


def _task(row: Any) -> dict[str, Any]:
    task: dict[str, Any] = {}
    if row[4] == "RUNNING":
        task["TaskHandle"] = row[0]
    task.update({"Status": row[4], "SourceArn": row[1]})
    if row[2]:
        task["DestinationArn"] = row[2]
    if row[3] is not None:
        task["MaxNumberOfMessagesPerSecond"] = int(row[3])
    task["ApproximateNumberOfMessagesMoved"] = int(row[5])
    task["ApproximateNumberOfMessagesToMove"] = int(row[6])
    if row[7]:
        task["FailureReason"] = row[7]
    task["StartedTimestamp"] = int(row[8] * 1000)
    return task


def _source_of(handle: str) -> str | None:
    """The source queue ARN a task handle carries (handles are base64 JSON), or None if it is not a handle."""
    try:
        decoded = orjson.loads(base64.b64decode(handle, validate=True))
    except (ValueError, orjson.JSONDecodeError):
        return None
    source = decoded.get("sourceArn") if isinstance(decoded, dict) else None
    return source if isinstance(source, str) else None


class MoveTasks(QueueCore):
    moving: MessageMoves

    async def start_message_move_task(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        source_arn = str(request.get("SourceArn", ""))
        source = await self.queue_by_arn(source_arn)
        if source is None:
            raise ResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
        sources = [
            q
            for q in await self.catalogue.all_in(source.account, source.region)
            if (p := queue_attributes.redrive_policy(q.attributes)) and p.dead_letter_target_arn == source.arn
        ]
        if not sources:
            raise InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
        destination_arn = request.get("DestinationArn")
        if destination_arn is not None and await self.queue_by_arn(destination_arn) is None:
            raise ResourceNotFound("The resource that you specified for the DestinationArn parameter doesn't exist.")
        rate = request.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and not 1 <= int(rate) <= 500:
            raise invalid_value(
                "MaxNumberOfMessagesPerSecond", rate, "Must be an integer between 1 and 500, if provided."
            )
        visible, _, _ = await self.catalogue.counters(source.id, self.now())
        handle = base64.b64encode(dumps({"taskId": str(uuid.uuid4()), "sourceArn": source.arn}).encode()).decode()
        now = self.now()

        def job(connection: Any) -> bool:
            if not move_store.insert_task(connection, handle, source.arn, destination_arn, rate, visible, now):
                return False
            self.moving.start(connection, handle)
            return True

        if not await self.yard.db.write(job):
            raise InvalidParameterValue(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given "
                "time."
            )
        return {"TaskHandle": handle}

    async def list_message_move_tasks(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        source_arn = str(request.get("SourceArn", ""))
        if await self.queue_by_arn(source_arn) is None:
            raise ResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
        limit = int(request.get("MaxResults") or 1)
        if not 1 <= limit <= 10:
            raise invalid_value("MaxResults", limit, "You must enter a number that's between 1 and 10.")
        rows = await self.yard.db.read(lambda c: move_store.tasks_of(c, source_arn, limit))
        return {"Results": [_task(row) for row in rows]}

    async def cancel_message_move_task(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        handle = str(request.get("TaskHandle", ""))
        source_arn = _source_of(handle)
        if source_arn is None:  # AWS-recorded: a handle that is not one of ours is an invalid value
            raise InvalidParameterValue("Value for parameter TaskHandle is invalid.")
        if await self.queue_by_arn(source_arn) is None:
            raise ResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
        row = await self.yard.db.write(lambda c: move_store.cancel_task(c, handle))
        if row is None:
            raise ResourceNotFound("Task does not exist.")
        if row[0] != "RUNNING":
            raise InvalidParameterValue("Only active tasks can be cancelled.")
        return {"ApproximateNumberOfMessagesMoved": int(row[1])}


class MessageMoves(Job):
    """The kernel job that runs move tasks: one timer per task (key: its handle).

    Without a rate limit one firing moves batch after batch, each checked against the claim, until
    the source is empty; with MaxNumberOfMessagesPerSecond each firing moves one second's worth and
    fires again a second later (on the clock). A task whose node dies is carried on by any node.
    """

    owner = "sqs.move"
    concurrency = 4

    def __init__(self, queues: MoveTasks) -> None:
        self.queues = queues
        self.kernel = queues.yard.kernel

    def start(self, connection: Any, handle: str) -> None:
        self.kernel.set(connection, self.owner, handle, self.kernel.clock.now())

    def reconcile(self, connection: Any) -> None:
        """At start: every active task has its timer (tasks written before timers existed)."""
        for handle in move_store.active_handles(connection):
            self.kernel.ensure(connection, self.owner, handle, self.kernel.clock.now())

    async def fire(self, firing: Firing) -> None:
        handle = firing.timer.key
        found = await self.queues.yard.db.read(lambda c: move_store.task(c, handle))
        if found is None:
            return
        _, source_arn, destination_arn, rate = found
        source = await self.queues.queue_by_arn(source_arn)
        if source is None:
            return
        step = min(BATCH, rate) if rate else BATCH
        while True:
            now = firing.now

            def batch(c: Any, now: float = now) -> tuple[bool, set[int]]:
                firing.verify(c)
                return move_store.move_batch(c, handle, source.id, destination_arn, step, now)

            more, woken = await self.queues.yard.db.write(batch)
            for queue_id in woken:
                self.queues.wake(queue_id)
            if not more:
                return
            if rate:  # a second's worth moved: the next second's comes a second later
                firing.rearm(firing.timer, now + 1.0)
                return
