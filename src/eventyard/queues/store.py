"""The queue service's tables, and the catalogue of queues (create, find, list, change, delete).

Tables (one SQL text for SQLite and PostgreSQL; ``{ID}`` and ``{REAL}`` differ per dialect)::

    sqs_queues       one row per queue, unique per (account, region, name). ``attributes`` and
                     ``tags`` are JSON maps of strings; ``sequence`` is the FIFO sequence-number counter;
                     ``purged_at`` backs PurgeQueue's one-per-60-seconds rule.
    sqs_messages     one row per message in a queue. ``visible_at`` is when it may next be received
                     (send time + delay, or the visibility deadline of its current lease); ``receipt``
                     is the nonce of the latest lease, so only the newest receipt handle settles it.
                     Deleting a queue cascades to its messages.
      sqs_messages_next   (queue_id, visible_at): "next visible messages of queue X", the receive hot path,
                          and the Approximate* counters as range counts.
      sqs_messages_group  (queue_id, group_id, id) where group_id is set: FIFO group heads and each
                          group's messages in order, without scanning other groups.
      sqs_messages_expiry (expires_at): the retention sweep deletes expired rows by range.
    sqs_dedup        FIFO deduplication ids seen in the last 5 minutes, per (queue, scope, id); scope is
                     the message group under DeduplicationScope=messageGroup, else ''. Outlives the
                     message, as AWS's dedup window does.
    sqs_receive_attempts  FIFO ReceiveRequestAttemptId -> the leases it returned (5-minute window).
    sqs_move_tasks   message move tasks (StartMessageMoveTask) and their progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from eventyard.storage.base import Database, Migration

_SCHEMA = """
CREATE TABLE sqs_queues (
    id {ID},
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    fifo INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at {REAL} NOT NULL,
    modified_at {REAL} NOT NULL,
    purged_at {REAL},
    sequence BIGINT NOT NULL DEFAULT 0,
    UNIQUE (account, region, name)
);
CREATE TABLE sqs_messages (
    id {ID},
    queue_id BIGINT NOT NULL REFERENCES sqs_queues (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    md5_body TEXT NOT NULL,
    attributes TEXT,
    md5_attributes TEXT,
    system TEXT,
    md5_system TEXT,
    sender_id TEXT NOT NULL,
    sent_at {REAL} NOT NULL,
    visible_at {REAL} NOT NULL,
    expires_at {REAL} NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_received_at {REAL},
    received_at {REAL},
    receipt TEXT,
    group_id TEXT,
    dedup_id TEXT,
    sequence_number TEXT,
    dead_letter_source TEXT
);
CREATE INDEX sqs_messages_next ON sqs_messages (queue_id, visible_at);
CREATE INDEX sqs_messages_group ON sqs_messages (queue_id, group_id, id) WHERE group_id IS NOT NULL;
CREATE INDEX sqs_messages_expiry ON sqs_messages (expires_at);
CREATE TABLE sqs_dedup (
    queue_id BIGINT NOT NULL REFERENCES sqs_queues (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sequence_number TEXT,
    expires_at {REAL} NOT NULL,
    PRIMARY KEY (queue_id, scope, dedup_id)
);
CREATE TABLE sqs_receive_attempts (
    queue_id BIGINT NOT NULL REFERENCES sqs_queues (id) ON DELETE CASCADE,
    attempt_id TEXT NOT NULL,
    leases TEXT NOT NULL,
    expires_at {REAL} NOT NULL,
    PRIMARY KEY (queue_id, attempt_id)
);
CREATE TABLE sqs_move_tasks (
    handle TEXT PRIMARY KEY,
    source_arn TEXT NOT NULL,
    destination_arn TEXT,
    max_per_second INTEGER,
    status TEXT NOT NULL,
    moved BIGINT NOT NULL DEFAULT 0,
    to_move BIGINT NOT NULL DEFAULT 0,
    failure_reason TEXT,
    started_at {REAL} NOT NULL
);
CREATE INDEX sqs_move_tasks_source ON sqs_move_tasks (source_arn, started_at)
"""

MIGRATIONS = (
    Migration(
        "queues",
        1,
        "queues, messages, dedup, receive attempts, move tasks",
        _SCHEMA.format(ID="INTEGER PRIMARY KEY", REAL="REAL"),
        _SCHEMA.format(ID="BIGSERIAL PRIMARY KEY", REAL="DOUBLE PRECISION"),
    ),
)


@dataclass
class Queue:
    """A queue as the catalogue knows it; ``attributes`` holds the settable ones as AWS echoes them."""

    id: int
    account: str
    region: str
    name: str
    fifo: bool
    attributes: dict[str, str]
    tags: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    modified_at: float = 0.0
    purged_at: float | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{self.name}"

    def url(self, endpoint: str) -> str:
        return f"{endpoint.rstrip('/')}/{self.account}/{self.name}"

    def number(self, name: str) -> int:
        return int(self.attributes[name])


_QUEUE_COLUMNS = "id, account, region, name, fifo, attributes, tags, created_at, modified_at, purged_at"


def _queue(row: Any) -> Queue:
    return Queue(
        int(row[0]),
        row[1],
        row[2],
        row[3],
        bool(row[4]),
        orjson.loads(row[5]),
        orjson.loads(row[6]),
        row[7],
        row[8],
        row[9],
    )


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


class QueueCatalogue:
    """Queues of every (account, region): rows in ``sqs_queues``, each call one job."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def find(self, account: str, region: str, name: str) -> Queue | None:
        def job(connection: Any) -> Queue | None:
            row = connection.execute(
                f"SELECT {_QUEUE_COLUMNS} FROM sqs_queues WHERE account = ? AND region = ? AND name = ?",
                (account, region, name),
            ).fetchone()
            return _queue(row) if row else None

        return await self.db.read(job)

    async def find_by_id(self, queue_id: int) -> Queue | None:
        def job(connection: Any) -> Queue | None:
            row = connection.execute(f"SELECT {_QUEUE_COLUMNS} FROM sqs_queues WHERE id = ?", (queue_id,)).fetchone()
            return _queue(row) if row else None

        return await self.db.read(job)

    async def create(
        self,
        account: str,
        region: str,
        name: str,
        fifo: bool,
        attributes: dict[str, str],
        tags: dict[str, str],
        now: float,
    ) -> tuple[Queue, bool]:
        """Create the queue, or return the existing one; the flag says whether it was created."""

        def job(connection: Any) -> tuple[Queue, bool]:
            row = connection.execute(
                f"SELECT {_QUEUE_COLUMNS} FROM sqs_queues WHERE account = ? AND region = ? AND name = ?",
                (account, region, name),
            ).fetchone()
            if row:
                return _queue(row), False
            new_id = connection.execute(
                "INSERT INTO sqs_queues (account, region, name, fifo, attributes, tags, created_at, modified_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (account, region, name, int(fifo), dumps(attributes), dumps(tags), now, now),
            ).fetchone()[0]
            return Queue(int(new_id), account, region, name, fifo, attributes, tags, now, now), True

        return await self.db.write(job)

    async def page(self, account: str, region: str, prefix: str, after: str, limit: int) -> list[Queue]:
        def job(connection: Any) -> list[Queue]:
            rows = connection.execute(
                f"SELECT {_QUEUE_COLUMNS} FROM sqs_queues WHERE account = ? AND region = ?"
                " AND substr(name, 1, ?) = ? AND name > ? ORDER BY name LIMIT ?",
                (account, region, len(prefix), prefix, after, limit),
            ).fetchall()
            return [_queue(row) for row in rows]

        return await self.db.read(job)

    async def all_in(self, account: str, region: str) -> list[Queue]:
        def job(connection: Any) -> list[Queue]:
            rows = connection.execute(
                f"SELECT {_QUEUE_COLUMNS} FROM sqs_queues WHERE account = ? AND region = ? ORDER BY name",
                (account, region),
            ).fetchall()
            return [_queue(row) for row in rows]

        return await self.db.read(job)

    async def delete(self, queue_id: int) -> None:
        def job(connection: Any) -> None:
            connection.execute("DELETE FROM sqs_messages WHERE queue_id = ?", (queue_id,))
            connection.execute("DELETE FROM sqs_queues WHERE id = ?", (queue_id,))

        await self.db.write(job)

    async def update_attributes(
        self, queue_id: int, attributes: dict[str, str], now: float, retention_changed: bool
    ) -> None:
        """Store new attributes; a new retention period re-dates every message, as AWS applies it to them."""

        def job(connection: Any) -> None:
            connection.execute(
                "UPDATE sqs_queues SET attributes = ?, modified_at = ? WHERE id = ?",
                (dumps(attributes), now, queue_id),
            )
            if retention_changed:
                connection.execute(
                    "UPDATE sqs_messages SET expires_at = sent_at + ? WHERE queue_id = ?",
                    (int(attributes["MessageRetentionPeriod"]), queue_id),
                )

        await self.db.write(job)

    async def update_tags(self, queue_id: int, tags: dict[str, str]) -> None:
        def job(connection: Any) -> None:
            connection.execute("UPDATE sqs_queues SET tags = ? WHERE id = ?", (dumps(tags), queue_id))

        await self.db.write(job)

    async def purge(self, queue_id: int, now: float, window: float) -> bool:
        """Delete every message unless a purge ran in the last ``window`` seconds (then False)."""

        def job(connection: Any) -> bool:
            row = connection.execute("SELECT purged_at FROM sqs_queues WHERE id = ?", (queue_id,)).fetchone()
            if row and row[0] is not None and now - row[0] < window:
                return False
            connection.execute("UPDATE sqs_queues SET purged_at = ? WHERE id = ?", (now, queue_id))
            connection.execute("DELETE FROM sqs_messages WHERE queue_id = ?", (queue_id,))
            return True

        return await self.db.write(job)

    async def counters(self, queue_id: int, now: float) -> tuple[int, int, int]:
        """(visible, in flight, delayed), from range scans of ``sqs_messages_next``."""

        def job(connection: Any) -> tuple[int, int, int]:
            visible = connection.execute(
                "SELECT COUNT(*) FROM sqs_messages WHERE queue_id = ? AND visible_at <= ? AND expires_at > ?",
                (queue_id, now, now),
            ).fetchone()[0]
            hidden = connection.execute(
                "SELECT COALESCE(SUM(CASE WHEN receive_count > 0 THEN 1 ELSE 0 END), 0),"
                " COALESCE(SUM(CASE WHEN receive_count = 0 THEN 1 ELSE 0 END), 0)"
                " FROM sqs_messages WHERE queue_id = ? AND visible_at > ? AND expires_at > ?",
                (queue_id, now, now),
            ).fetchone()
            return int(visible), int(hidden[0]), int(hidden[1])

        return await self.db.read(job)

    async def peek(self, queue_id: int, now: float, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` messages of a queue, oldest first, read without receiving them (no lease, no
        receive count): the console's look into a queue, which SQS has no operation for."""

        def job(connection: Any) -> list[dict[str, Any]]:
            rows = connection.execute(
                "SELECT message_id, body, sent_at, visible_at, receive_count, group_id FROM sqs_messages"
                " WHERE queue_id = ? AND expires_at > ? ORDER BY id LIMIT ?",
                (queue_id, now, limit),
            ).fetchall()
            return [
                {
                    "MessageId": row[0],
                    "Body": row[1],
                    "SentTimestamp": float(row[2]),
                    "State": "visible" if row[3] <= now else ("in flight" if row[4] else "delayed"),
                    "ReceiveCount": int(row[4]),
                    **({"MessageGroupId": row[5]} if row[5] else {}),
                }
                for row in rows
            ]

        return await self.db.read(job)

    async def sweep(self, now: float) -> int:
        """Delete messages past retention and dedup ids / receive attempts past their window; returns how many rows."""

        def job(connection: Any) -> int:
            deleted = 0
            for table in ("sqs_messages", "sqs_dedup", "sqs_receive_attempts"):
                deleted += int(connection.execute(f"DELETE FROM {table} WHERE expires_at <= ?", (now,)).rowcount or 0)
            return deleted

        return await self.db.write(job)
