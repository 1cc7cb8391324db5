"""Stream queues (CreateQueue & co.): their tables, and every statement behind them.

A stream queue hands a stream's records to consumers one at a time, SQS-like: a receive leases
records (a receipt handle and a visibility deadline), an acknowledgement removes them, a lease that
runs out makes them visible again, and after MaxReceiveCount receives they become dead letters.

Tables (one SQL text for SQLite and PostgreSQL; ``{ID}`` and ``{REAL}`` differ per dialect)::

    kinesis_queues         one row per queue, unique per (account, region, name); ``resource_id`` is
                           the random identifier in its ARN (``queue/<resource_id>``). ``stream``
                           has no cascade: a stream with queues cannot be deleted. ``start_type``
                           and ``start_at`` are its StartingPosition; ``max_receive`` is NULL when
                           dead-letter handling is off. Status as for streams (``settles_at``).
    kinesis_queue_cursors  per (queue, shard): the position up to which the shard's records have
                           been taken into the queue. A receive that needs new records locks the
                           cursor row (FOR UPDATE on PostgreSQL), so two nodes never take the same
                           record twice; a shard without a row (created after the queue) starts at 0.
    kinesis_queue_records  the delivery state of each record taken into the queue and not yet
                           acknowledged: when it is next visible, how often it was received, the
                           nonce of its latest receipt handle, and whether it is a dead letter.
                           The data stays in ``kinesis_records``; a record trimmed from the stream
                           is no longer delivered (its state row goes with it).
      kinesis_queue_records_next  (queue, dead, visible_at): "the next visible records of queue X",
                           the receive hot path, for live records and dead letters alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.storage.base import Database, Migration
from eventyard.streams.hashing import decode_key
from eventyard.streams.store import dumps

_SCHEMA = """
CREATE TABLE kinesis_queues (
    id {ID},
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    resource_id TEXT NOT NULL UNIQUE,
    stream BIGINT NOT NULL REFERENCES kinesis_streams (id),
    start_type TEXT NOT NULL,
    start_at {REAL},
    created_at {REAL} NOT NULL,
    status TEXT NOT NULL,
    settles_at {REAL} NOT NULL,
    visibility INTEGER NOT NULL,
    max_receive INTEGER,
    tags TEXT NOT NULL,
    policy TEXT,
    UNIQUE (account, region, name)
);
CREATE TABLE kinesis_queue_cursors (
    queue BIGINT NOT NULL REFERENCES kinesis_queues (id) ON DELETE CASCADE,
    shard BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (queue, shard)
);
CREATE TABLE kinesis_queue_records (
    queue BIGINT NOT NULL REFERENCES kinesis_queues (id) ON DELETE CASCADE,
    shard BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    visible_at {REAL} NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_received_at {REAL},
    receipt TEXT,
    dead INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, shard, seq)
);
CREATE INDEX kinesis_queue_records_next ON kinesis_queue_records (queue, dead, visible_at)
"""

MIGRATIONS = (
    Migration(
        "streams",
        2,
        "stream queues: queues, cursors, delivery state",
        _SCHEMA.format(ID="INTEGER PRIMARY KEY", REAL="REAL"),
        _SCHEMA.format(ID="BIGSERIAL PRIMARY KEY", REAL="DOUBLE PRECISION"),
    ),
)

_COLUMNS = (
    "q.id, q.account, q.region, q.name, q.resource_id, q.stream, q.start_type, q.start_at, q.created_at, q.status,"
    " q.settles_at, q.visibility, q.max_receive, q.tags, q.policy, s.name, s.created_at"
)
_FROM = "FROM kinesis_queues q JOIN kinesis_streams s ON s.id = q.stream"
_RECORD = "SELECT arrival, partition_key, data FROM kinesis_records WHERE shard = ? AND seq = ? AND arrival > ?"
_NEW_RECORDS = (
    "SELECT seq, arrival, partition_key, data FROM kinesis_records WHERE shard = ? AND seq > ? AND arrival > ?"
    " ORDER BY seq LIMIT ?"
)


@dataclass
class StreamQueue:
    id: int
    account: str
    region: str
    name: str
    resource_id: str
    stream: int
    start_type: str
    start_at: float | None
    created_at: float
    status: str
    settles_at: float
    visibility: int
    max_receive: int | None
    tags: dict[str, str]
    policy: str | None
    stream_name: str
    stream_created: float


def queue_arn(queue: StreamQueue) -> str:
    return f"arn:aws:kinesis:{queue.region}:{queue.account}:queue/{queue.resource_id}"


def _queue(row: Any) -> StreamQueue:
    return StreamQueue(
        int(row[0]),
        row[1],
        row[2],
        row[3],
        row[4],
        int(row[5]),
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        int(row[11]),
        None if row[12] is None else int(row[12]),
        orjson.loads(row[13]),
        row[14],
        row[15],
        row[16],
    )


@dataclass(slots=True)
class Delivery:
    """One record as a receive leased it."""

    shard: int
    seq: int
    arrival: int
    partition_key: str
    data: bytes
    receive_count: int
    first_received_at: float
    receipt: str


@dataclass(slots=True)
class Handle:
    """What a receipt handle names: one delivery of one record of one queue."""

    queue: int
    shard: int
    seq: int
    receipt: str
    #: For a visibility change: the new timeout, in seconds from now.
    timeout: int = 0


class QueueStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self, queue: StreamQueue, cursors: dict[int, int], consumer_limit: int
    ) -> tuple[StreamQueue | None, int]:
        """A new queue and its starting cursors; (None, -1) when the name is taken, (None, n) when the
        stream already has n registered consumers and queues, its limit."""

        def job(connection: Any) -> tuple[StreamQueue | None, int]:
            if connection.execute(
                "SELECT 1 FROM kinesis_queues WHERE account = ? AND region = ? AND name = ?",
                (queue.account, queue.region, queue.name),
            ).fetchone():
                return None, -1
            taken = int(
                connection.execute(
                    "SELECT (SELECT COUNT(*) FROM kinesis_queues WHERE stream = ?)"
                    " + (SELECT COUNT(*) FROM kinesis_consumers WHERE stream = ?)",
                    (queue.stream, queue.stream),
                ).fetchone()[0]
            )
            if taken >= consumer_limit:
                return None, taken
            row_id = connection.execute(
                "INSERT INTO kinesis_queues (account, region, name, resource_id, stream, start_type, start_at,"
                " created_at, status, settles_at, visibility, max_receive, tags) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    queue.account,
                    queue.region,
                    queue.name,
                    queue.resource_id,
                    queue.stream,
                    queue.start_type,
                    queue.start_at,
                    queue.created_at,
                    queue.status,
                    queue.settles_at,
                    queue.visibility,
                    queue.max_receive,
                    dumps(queue.tags),
                ),
            ).fetchone()[0]
            connection.executemany(
                "INSERT INTO kinesis_queue_cursors (queue, shard, seq) VALUES (?, ?, ?)",
                [(int(row_id), shard, seq) for shard, seq in cursors.items()],
            )
            found = connection.execute(f"SELECT {_COLUMNS} {_FROM} WHERE q.id = ?", (int(row_id),)).fetchone()
            return _queue(found), taken

        return await self.db.write(job)

    async def find(self, resource_id: str) -> StreamQueue | None:
        def job(connection: Any) -> StreamQueue | None:
            row = connection.execute(f"SELECT {_COLUMNS} {_FROM} WHERE q.resource_id = ?", (resource_id,)).fetchone()
            return _queue(row) if row else None

        return await self.db.read(job)

    async def page(
        self, account: str, region: str, streams: list[int] | None, after: str, limit: int
    ) -> list[StreamQueue]:
        def job(connection: Any) -> list[StreamQueue]:
            rows = connection.execute(
                f"SELECT {_COLUMNS} {_FROM} WHERE q.account = ? AND q.region = ? AND q.name > ? ORDER BY q.name",
                (account, region, after),
            ).fetchall()
            found = [_queue(row) for row in rows]
            return [q for q in found if streams is None or q.stream in streams][:limit]

        return await self.db.read(job)

    async def count(self, stream: int) -> int:
        def job(connection: Any) -> int:
            return int(
                connection.execute("SELECT COUNT(*) FROM kinesis_queues WHERE stream = ?", (stream,)).fetchone()[0]
            )

        return await self.db.read(job)

    async def update(self, queue: int, changes: dict[str, Any]) -> None:
        """Change a queue's attributes (``visibility``, ``max_receive``, ``status``, ``settles_at``,
        ``tags``, ``policy``)."""
        allowed = {"visibility", "max_receive", "status", "settles_at", "tags", "policy"}
        if set(changes) - allowed:
            raise ValueError(f"not queue settings: {sorted(set(changes) - allowed)}")
        columns = ", ".join(f"{name} = ?" for name in changes)
        values = [dumps(v) if isinstance(v, dict) else v for v in changes.values()]

        def job(connection: Any) -> None:
            connection.execute(f"UPDATE kinesis_queues SET {columns} WHERE id = ?", (*values, queue))

        await self.db.write(job)

    async def delete(self, queue: int) -> None:
        def job(connection: Any) -> None:
            connection.execute("DELETE FROM kinesis_queues WHERE id = ?", (queue,))

        await self.db.write(job)

    async def receive(
        self,
        queue: StreamQueue,
        shards: list[int],
        limit: int,
        now: float,
        visibility: int,
        cutoff_ms: int,
        nonce: str,
        *,
        dead: bool,
    ) -> tuple[list[Delivery], float | None]:
        """Lease up to ``limit`` visible records (dead letters when ``dead``) in ONE job: first records
        whose lease ran out, then (live receives) records new to the queue, taken from the shards'
        cursors. Returns the deliveries and the next time a leased record becomes visible again."""

        def job(connection: Any) -> tuple[list[Delivery], float | None]:
            if queue.max_receive is not None:  # records received MaxReceiveCount times become dead letters
                connection.execute(
                    "UPDATE kinesis_queue_records SET dead = 1, receipt = NULL"
                    " WHERE queue = ? AND dead = 0 AND visible_at <= ? AND receive_count >= ?",
                    (queue.id, now, queue.max_receive),
                )
            deliveries: list[Delivery] = []
            visible = connection.execute(
                "SELECT shard, seq, receive_count, first_received_at FROM kinesis_queue_records WHERE queue = ?"
                f" AND dead = ? AND visible_at <= ? ORDER BY visible_at LIMIT ?{connection.skip_locked}",
                (queue.id, int(dead), now, limit),
            ).fetchall()
            for shard, seq, count, first in visible:
                record = connection.execute(_RECORD, (shard, seq, cutoff_ms)).fetchone()
                if record is None:  # past the stream's retention: no longer delivered
                    connection.execute(
                        "DELETE FROM kinesis_queue_records WHERE queue = ? AND shard = ? AND seq = ?",
                        (queue.id, shard, seq),
                    )
                    continue
                deliveries.append(
                    Delivery(
                        int(shard),
                        int(seq),
                        int(record[0]),
                        decode_key(record[1]),
                        bytes(record[2]),
                        int(count) + 1,
                        first if first is not None else now,
                        nonce,
                    )
                )
            if not dead:
                for shard in shards:
                    if len(deliveries) >= limit:
                        break
                    deliveries += _take_new(connection, queue.id, shard, limit - len(deliveries), now, cutoff_ms, nonce)
            connection.executemany(
                "INSERT INTO kinesis_queue_records (queue, shard, seq, visible_at, receive_count, first_received_at,"
                " receipt, dead) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (queue, shard, seq) DO UPDATE SET"
                " visible_at = excluded.visible_at, receive_count = excluded.receive_count,"
                " first_received_at = excluded.first_received_at, receipt = excluded.receipt",
                [
                    (queue.id, d.shard, d.seq, now + visibility, d.receive_count, d.first_received_at, nonce, int(dead))
                    for d in deliveries
                ],
            )
            upcoming = connection.execute(
                "SELECT MIN(visible_at) FROM kinesis_queue_records WHERE queue = ? AND dead = ? AND visible_at > ?",
                (queue.id, int(dead), now),
            ).fetchone()[0]
            return deliveries, upcoming

        return await self.db.write(job)

    async def settle(self, handles: list[Handle | None], now: float, action: str, *, dead: bool) -> list[bool]:
        """Per handle, whether ``action`` applied: ``ack`` (forget the record), ``visibility`` (lease
        it for the handle's timeout from now; only while in flight) or ``restore`` (a dead letter
        goes back to the live records with its receive count reset). Only the latest receipt of a
        record counts; a None handle (not one of this queue's) applies to nothing."""

        def job(connection: Any) -> list[bool]:
            done = []
            for handle in handles:
                if handle is None:
                    done.append(False)
                    continue
                key = (handle.queue, handle.shard, handle.seq, handle.receipt, int(dead))
                where = "WHERE queue = ? AND shard = ? AND seq = ? AND receipt = ? AND dead = ?"
                if action == "ack":
                    cursor = connection.execute(f"DELETE FROM kinesis_queue_records {where}", key)
                elif action == "visibility":
                    cursor = connection.execute(
                        f"UPDATE kinesis_queue_records SET visible_at = ? {where} AND visible_at > ?",
                        (now + handle.timeout, *key, now),
                    )
                else:
                    cursor = connection.execute(
                        "UPDATE kinesis_queue_records SET dead = 0, receive_count = 0, visible_at = ?, receipt = NULL"
                        f" {where}",
                        (now, *key),
                    )
                done.append(bool(cursor.rowcount))
            return done

        return await self.db.write(job)


def _take_new(
    connection: Any, queue: int, shard: int, limit: int, now: float, cutoff_ms: int, nonce: str
) -> list[Delivery]:
    connection.execute(
        "INSERT INTO kinesis_queue_cursors (queue, shard, seq) VALUES (?, ?, 0) ON CONFLICT (queue, shard) DO NOTHING",
        (queue, shard),
    )
    cursor = connection.execute(
        f"SELECT seq FROM kinesis_queue_cursors WHERE queue = ? AND shard = ?{connection.for_update}", (queue, shard)
    ).fetchone()[0]
    rows = connection.execute(_NEW_RECORDS, (shard, cursor, cutoff_ms, limit)).fetchall()
    if not rows:
        return []
    connection.execute(
        "UPDATE kinesis_queue_cursors SET seq = ? WHERE queue = ? AND shard = ?", (int(rows[-1][0]), queue, shard)
    )
    return [
        Delivery(shard, int(seq), int(arrival), decode_key(key), bytes(data), 1, now, nonce)
        for seq, arrival, key, data in rows
    ]
