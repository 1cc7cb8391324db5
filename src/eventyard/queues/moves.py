"""Message move tasks: redrive a dead-letter queue's messages back to their sources or elsewhere.

StartMessageMoveTask records a task row and the engine moves the DLQ's visible messages in
small jobs (each one transaction: insert at the destination, delete at the source), honouring
MaxNumberOfMessagesPerSecond on the yard's clock. Without a DestinationArn each message goes back
to the queue it was dead-lettered from. Tasks are rows, so a restarted node resumes them.
"""

from __future__ import annotations

import base64
import functools
import uuid
from typing import Any

import orjson

from eventyard.arn import parse_as
from eventyard.queues import attributes as queue_attributes
from eventyard.queues.core import QueueCore
from eventyard.queues.engine import QueueEngine
from eventyard.queues.errors import InvalidParameterValue, ResourceNotFound, invalid_value
from eventyard.queues.message_store import _INSERT, _sequence
from eventyard.queues.store import Queue, dumps
from eventyard.service import RequestContext

BATCH = 100
_TASK_COLUMNS = (
    "handle, source_arn, destination_arn, max_per_second, status, moved, to_move, failure_reason, started_at"
)


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


class MoveTasks(QueueCore):
    engine: QueueEngine

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
            running = connection.execute(
                "SELECT 1 FROM sqs_move_tasks WHERE source_arn = ? AND status = 'RUNNING'", (source.arn,)
            ).fetchone()
            if running:
                return False
            connection.execute(
                f"INSERT INTO sqs_move_tasks ({_TASK_COLUMNS}) VALUES (?, ?, ?, ?, 'RUNNING', 0, ?, NULL, ?)",
                (handle, source.arn, destination_arn, rate, visible, now),
            )
            return True

        if not await self.yard.db.write(job):
            raise InvalidParameterValue(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given "
                "time."
            )
        self.engine.spawn(lambda: self.run_move_task(handle, source, destination_arn, rate))
        return {"TaskHandle": handle}

    async def list_message_move_tasks(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        source_arn = str(request.get("SourceArn", ""))
        if await self.queue_by_arn(source_arn) is None:
            raise ResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
        limit = int(request.get("MaxResults") or 1)
        if not 1 <= limit <= 10:
            raise invalid_value("MaxResults", limit, "You must enter a number that's between 1 and 10.")

        def job(connection: Any) -> list[Any]:
            return list(
                connection.execute(
                    f"SELECT {_TASK_COLUMNS} FROM sqs_move_tasks WHERE source_arn = ? ORDER BY started_at DESC LIMIT ?",
                    (source_arn, limit),
                ).fetchall()
            )

        return {"Results": [_task(row) for row in await self.yard.db.read(job)]}

    async def cancel_message_move_task(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        handle = str(request.get("TaskHandle", ""))

        def job(connection: Any) -> Any:
            row = connection.execute("SELECT status, moved FROM sqs_move_tasks WHERE handle = ?", (handle,)).fetchone()
            if row and row[0] == "RUNNING":
                connection.execute("UPDATE sqs_move_tasks SET status = 'CANCELLING' WHERE handle = ?", (handle,))
            return row

        row = await self.yard.db.write(job)
        if row is None:
            raise ResourceNotFound("Task does not exist.")
        if row[0] != "RUNNING":
            raise InvalidParameterValue("Only active tasks can be cancelled.")
        return {"ApproximateNumberOfMessagesMoved": int(row[1])}

    async def resume_move_tasks(self) -> None:
        """Pick up tasks a previous run of this node left RUNNING."""

        def job(connection: Any) -> list[Any]:
            return list(
                connection.execute(
                    "SELECT handle, source_arn, destination_arn, max_per_second FROM sqs_move_tasks"
                    " WHERE status IN ('RUNNING', 'CANCELLING')"
                ).fetchall()
            )

        for handle, source_arn, destination_arn, rate in await self.yard.db.read(job):
            source = await self.queue_by_arn(source_arn)
            if source is not None:
                self.engine.spawn(functools.partial(self.run_move_task, handle, source, destination_arn, rate))

    async def run_move_task(self, handle: str, source: Queue, destination_arn: str | None, rate: int | None) -> None:
        destination = await self.queue_by_arn(destination_arn) if destination_arn else None
        step = min(BATCH, int(rate)) if rate else BATCH
        while True:
            outcome, woken = await self.yard.db.write(self._move_job(handle, source, destination, step, self.now()))
            for queue_id in woken:
                self.wake(queue_id)
            if outcome == "more":
                if rate:
                    await self.yard.clock.sleep(1.0)
                continue
            return

    def _move_job(self, handle: str, source: Queue, destination: Queue | None, step: int, now: float) -> Any:
        lock = self.yard.db.skip_locked

        def job(connection: Any) -> tuple[str, set[int]]:
            status = connection.execute("SELECT status FROM sqs_move_tasks WHERE handle = ?", (handle,)).fetchone()
            if status is None:
                return "done", set()
            if status[0] == "CANCELLING":
                connection.execute("UPDATE sqs_move_tasks SET status = 'CANCELLED' WHERE handle = ?", (handle,))
                return "done", set()
            rows = connection.execute(
                "SELECT id, message_id, body, md5_body, attributes, md5_attributes, system, md5_system, sender_id,"
                " group_id, dedup_id, dead_letter_source FROM sqs_messages WHERE queue_id = ? AND visible_at <= ?"
                f" ORDER BY id LIMIT ?{lock}",
                (source.id, now, step),
            ).fetchall()
            targets: dict[str, Any] = {}
            for row in rows:
                arn = destination.arn if destination else row[11]
                target = targets.get(arn) if arn else None
                if arn and arn not in targets:
                    target = targets[arn] = _queue_row(connection, arn)
                if target is None:
                    connection.execute(
                        "UPDATE sqs_move_tasks SET status = 'FAILED', failure_reason = ? WHERE handle = ?",
                        ("AWS.SimpleQueueService.NonExistentQueue", handle),
                    )
                    return "done", set()
                target_id, fifo, retention = target
                sequence = _sequence(connection, target_id) if fifo else None
                connection.execute(
                    _INSERT,
                    (target_id, *row[1:9], now, now, now + retention, 0, None, row[9], row[10], sequence, None),
                )
                connection.execute("DELETE FROM sqs_messages WHERE id = ?", (row[0],))
            if not rows:
                connection.execute("UPDATE sqs_move_tasks SET status = 'COMPLETED' WHERE handle = ?", (handle,))
                return "done", set()
            finished = len(rows) < step
            connection.execute(
                "UPDATE sqs_move_tasks SET moved = moved + ?, status = ? WHERE handle = ?",
                (len(rows), "COMPLETED" if finished else "RUNNING", handle),
            )
            return "done" if finished else "more", {target[0] for target in targets.values() if target is not None}

        return job


def _queue_row(connection: Any, arn: str) -> tuple[int, bool, int] | None:
    parts = parse_as(arn, "sqs")
    if parts is None:
        return None
    row = connection.execute(
        "SELECT id, fifo, attributes FROM sqs_queues WHERE account = ? AND region = ? AND name = ?",
        (parts.account, parts.region, parts.resource),
    ).fetchone()
    if row is None:
        return None
    return int(row[0]), bool(row[1]), int(orjson.loads(row[2])["MessageRetentionPeriod"])
