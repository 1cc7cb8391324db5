"""Message move tasks' SQL: the task rows (``sqs_move_tasks``, see ``store.py``) and moving one batch.

A batch is one transaction: the source's visible messages (oldest first, skipping rows other nodes
have locked) are inserted at their destination and deleted at the source, and the task's counter
moves on; a task whose destination is gone fails with SQS's reason.
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.arn import parse_as
from eventyard.queues.message_store import _INSERT, _sequence

TASK_COLUMNS = "handle, source_arn, destination_arn, max_per_second, status, moved, to_move, failure_reason, started_at"


def insert_task(
    c: Any, handle: str, source_arn: str, destination_arn: str | None, rate: int | None, to_move: int, now: float
) -> bool:
    """Record a RUNNING task; False when the source already has one (one active task per source)."""
    if c.execute("SELECT 1 FROM sqs_move_tasks WHERE source_arn = ? AND status = 'RUNNING'", (source_arn,)).fetchone():
        return False
    c.execute(
        f"INSERT INTO sqs_move_tasks ({TASK_COLUMNS}) VALUES (?, ?, ?, ?, 'RUNNING', 0, ?, NULL, ?)",
        (handle, source_arn, destination_arn, rate, to_move, now),
    )
    return True


def tasks_of(c: Any, source_arn: str, limit: int) -> list[Any]:
    return list(
        c.execute(
            f"SELECT {TASK_COLUMNS} FROM sqs_move_tasks WHERE source_arn = ? ORDER BY started_at DESC LIMIT ?",
            (source_arn, limit),
        ).fetchall()
    )


def cancel_task(c: Any, handle: str) -> Any:
    """Mark a RUNNING task CANCELLING; returns its (status, moved) as they were, or None."""
    row = c.execute("SELECT status, moved FROM sqs_move_tasks WHERE handle = ?", (handle,)).fetchone()
    if row and row[0] == "RUNNING":
        c.execute("UPDATE sqs_move_tasks SET status = 'CANCELLING' WHERE handle = ?", (handle,))
    return row


def active_handles(c: Any) -> list[str]:
    rows = c.execute("SELECT handle FROM sqs_move_tasks WHERE status IN ('RUNNING', 'CANCELLING')").fetchall()
    return [str(row[0]) for row in rows]


def task(c: Any, handle: str) -> tuple[str, str, str | None, int | None] | None:
    """(status, source ARN, destination ARN, rate) of a task."""
    row = c.execute(
        "SELECT status, source_arn, destination_arn, max_per_second FROM sqs_move_tasks WHERE handle = ?", (handle,)
    ).fetchone()
    return (str(row[0]), str(row[1]), row[2], None if row[3] is None else int(row[3])) if row else None


def move_batch(
    c: Any, handle: str, source_id: int, destination_arn: str | None, step: int, now: float
) -> tuple[bool, set[int]]:
    """Move up to ``step`` messages; returns (more to move, the queue ids that received messages)."""
    status = c.execute("SELECT status FROM sqs_move_tasks WHERE handle = ?", (handle,)).fetchone()
    if status is None:
        return False, set()
    if status[0] == "CANCELLING":
        c.execute("UPDATE sqs_move_tasks SET status = 'CANCELLED' WHERE handle = ?", (handle,))
        return False, set()
    if status[0] != "RUNNING":
        return False, set()
    rows = c.execute(
        "SELECT id, message_id, body, md5_body, attributes, md5_attributes, system, md5_system, sender_id,"
        " group_id, dedup_id, dead_letter_source FROM sqs_messages WHERE queue_id = ? AND visible_at <= ?"
        f" ORDER BY id LIMIT ?{c.skip_locked}",
        (source_id, now, step),
    ).fetchall()
    targets: dict[str, tuple[int, bool, int] | None] = {}
    for row in rows:
        arn = destination_arn or row[11]
        if arn not in targets:
            targets[arn] = _queue_row(c, arn) if arn else None
        target = targets[arn]
        if target is None:
            c.execute(
                "UPDATE sqs_move_tasks SET status = 'FAILED', failure_reason = ? WHERE handle = ?",
                ("AWS.SimpleQueueService.NonExistentQueue", handle),
            )
            return False, set()
        target_id, fifo, retention = target
        sequence = _sequence(c, target_id) if fifo else None
        c.execute(_INSERT, (target_id, *row[1:9], now, now, now + retention, 0, None, row[9], row[10], sequence, None))
        c.execute("DELETE FROM sqs_messages WHERE id = ?", (row[0],))
    finished = len(rows) < step
    c.execute(
        "UPDATE sqs_move_tasks SET moved = moved + ?, status = ? WHERE handle = ?",
        (len(rows), "COMPLETED" if finished else "RUNNING", handle),
    )
    return not finished, {target[0] for target in targets.values() if target is not None}


def _queue_row(c: Any, arn: str) -> tuple[int, bool, int] | None:
    parts = parse_as(arn, "sqs")
    if parts is None:
        return None
    row = c.execute(
        "SELECT id, fifo, attributes FROM sqs_queues WHERE account = ? AND region = ? AND name = ?",
        (parts.account, parts.region, parts.resource),
    ).fetchone()
    if row is None:
        return None
    return int(row[0]), bool(row[1]), int(orjson.loads(row[2])["MessageRetentionPeriod"])
