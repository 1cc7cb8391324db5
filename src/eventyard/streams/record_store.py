"""Records in ``kinesis_records`` (tables: see ``store.py``): put, read from a position, trim.

A put is ONE job however many shards it touches: per shard, one UPDATE takes the next positions
from the shard's ``last_seq`` (and fails for a shard closed meanwhile, which sends the caller back
to route again), then one multi-row insert. Concurrent puts share a transaction through the
database's group commit; the caller's answer waits for COMMIT, so an acknowledged record is durable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eventyard.storage.base import Database

#: The wake-up channel: a put on one node wakes the subscriptions waiting on the others.
CHANNEL = "kinesis"

_TAKE_POSITIONS = (
    "UPDATE kinesis_shards SET last_seq = last_seq + ?,"
    " last_arrival = CASE WHEN last_arrival > ? THEN last_arrival ELSE ? END"
    " WHERE id = ? AND closed_at IS NULL RETURNING last_seq, last_arrival"
)
_INSERT = "INSERT INTO kinesis_records (shard, seq, arrival, partition_key, data) VALUES (?, ?, ?, ?, ?)"
_READ = (
    "SELECT seq, arrival, partition_key, data FROM kinesis_records"
    " WHERE shard = ? AND seq > ? AND arrival > ? ORDER BY seq LIMIT ?"
)
_SIZES = (
    "SELECT seq, arrival, length(data) FROM kinesis_records"
    " WHERE shard = ? AND seq > ? AND arrival > ? ORDER BY seq LIMIT ?"
)
_READ_UP_TO = (
    "SELECT seq, arrival, partition_key, data FROM kinesis_records"
    " WHERE shard = ? AND seq > ? AND seq <= ? AND arrival > ? ORDER BY seq"
)
_SHARD_STATE = (
    "SELECT sh.closed_at, sh.last_seq, sh.last_arrival, st.tag, st.retention_hours, st.encryption, sh.created_at,"
    " sh.shard_index, sh.stream, st.max_record_kib"
    " FROM kinesis_shards sh JOIN kinesis_streams st ON st.id = sh.stream WHERE sh.id = ?"
)
_CHILDREN = (
    "SELECT shard_index, parent, adjacent_parent, start_hash, end_hash FROM kinesis_shards"
    " WHERE stream = ? AND (parent = ? OR adjacent_parent = ?) ORDER BY shard_index"
)


class ShardClosed(Exception):
    """A put met a shard that is closed (resharded) or gone since the caller routed its records."""

    def __init__(self, shard_row: int) -> None:
        super().__init__(shard_row)
        self.shard_row = shard_row


@dataclass(slots=True)
class Batch:
    """The records of one put bound for one shard: (partition key as UTF-8, data) pairs, in order."""

    shard_row: int
    records: list[tuple[bytes, bytes]]


@dataclass(slots=True)
class Stored:
    """Where a batch landed: its records hold positions first..first+len-1, arrived at ``arrival`` (ms)."""

    first: int
    arrival: int


@dataclass
class ShardRead:
    """One GetRecords' worth of a shard: its state, the rows after the position asked for (within the
    count and size asked for), and when the first record left unread arrived (None: nothing left)."""

    closed: bool
    last_seq: int
    last_arrival: int
    stream_tag: int
    retention_hours: int
    encryption: str
    created_at: float
    shard_index: int
    rows: list[tuple[int, int, bytes, bytes]] = field(default_factory=list)
    unread_arrival: int | None = None
    #: (index, parent, adjacent parent, start hash, end hash) of the children of a closed shard.
    children: list[tuple[int, int | None, int | None, str, str]] = field(default_factory=list)


class RecordStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(self, batches: list[Batch], now_ms: int, trim: dict[int, int]) -> list[Stored]:
        """Store every batch in one transaction; raises :class:`ShardClosed` (and stores nothing)
        when a shard was closed meanwhile. ``trim`` maps shards to a cutoff (ms): their records that
        arrived at or before it are deleted in the same transaction (retention, done lazily by puts)."""
        return await self.db.write(lambda connection: put_in(connection, batches, now_ms, trim))

    async def read(self, shard_row: int, after: int, now_ms: int, limit: int, max_bytes: int) -> ShardRead | None:
        """Up to ``limit`` records after position ``after`` younger than the retention period at ``now_ms``
        and, past the first, no more than ``max_bytes`` of data, with the shard's state; None when the
        shard (or its stream) is gone. When ``limit`` records of the stream's largest size could pass
        ``max_bytes``, their sizes are read first, so no more data than is returned is ever loaded."""

        def job(connection: Any) -> ShardRead | None:
            state = connection.execute(_SHARD_STATE, (shard_row,)).fetchone()
            if state is None:
                return None
            closed_at, last_seq, last_arrival, tag, retention_hours, encryption, created_at, index, stream, kib = state
            cutoff = now_ms - int(retention_hours) * 3_600_000
            read = ShardRead(
                closed_at is not None, int(last_seq), int(last_arrival), int(tag), int(retention_hours), encryption,
                created_at, int(index),
            )  # fmt: skip
            if after < read.last_seq:
                _read_rows(connection, read, shard_row, after, cutoff, limit, max_bytes, int(kib) * 1024)
            if read.closed:
                read.children = connection.execute(_CHILDREN, (stream, index, index)).fetchall()
            return read

        return await self.db.read(job)

    async def position_at(self, shard_row: int, arrival_ms: int) -> int:
        """The position just before the shard's first record that arrived at or after ``arrival_ms``
        (AT_TIMESTAMP); the shard's last position when none has yet."""

        def job(connection: Any) -> int:
            row = connection.execute(
                "SELECT seq FROM kinesis_records WHERE shard = ? AND arrival >= ? ORDER BY seq LIMIT 1",
                (shard_row, arrival_ms),
            ).fetchone()
            if row is not None:
                return int(row[0]) - 1
            last = connection.execute("SELECT last_seq FROM kinesis_shards WHERE id = ?", (shard_row,)).fetchone()
            return int(last[0]) if last else 0

        return await self.db.read(job)

    async def last_position(self, shard_row: int) -> int | None:
        """The shard's newest position (LATEST reads after it); None when the shard is gone."""

        def job(connection: Any) -> int | None:
            row = connection.execute("SELECT last_seq FROM kinesis_shards WHERE id = ?", (shard_row,)).fetchone()
            return None if row is None else int(row[0])

        return await self.db.read(job)

    async def trim(self, now_ms: int) -> int:
        """Delete every record past its stream's retention at ``now_ms``, and the delivery state stream
        queues kept for them; returns how many records went."""

        def job(connection: Any) -> int:
            shards = connection.execute(
                "SELECT sh.id, st.retention_hours FROM kinesis_shards sh JOIN kinesis_streams st ON st.id = sh.stream"
            ).fetchall()
            trimmed = sum(_trim_shard(connection, int(row), now_ms - int(hours) * 3_600_000) for row, hours in shards)
            connection.execute(  # stream queues forget the records that are gone (see queue_store.py)
                "DELETE FROM kinesis_queue_records WHERE NOT EXISTS (SELECT 1 FROM kinesis_records r"
                " WHERE r.shard = kinesis_queue_records.shard AND r.seq = kinesis_queue_records.seq)"
            )
            return trimmed

        return await self.db.write(job)


def _read_rows(
    connection: Any, read: ShardRead, shard_row: int, after: int, cutoff: int, limit: int, max_bytes: int,
    largest: int,
) -> None:  # fmt: skip
    if limit * largest <= max_bytes:  # cannot pass the size: one query (and one row more, to see what is left)
        rows = connection.execute(_READ, (shard_row, after, cutoff, limit + 1)).fetchall()
        read.rows = rows[:limit]
        read.unread_arrival = int(rows[limit][1]) if len(rows) > limit else None
        return
    sizes = connection.execute(_SIZES, (shard_row, after, cutoff, limit + 1)).fetchall()
    taken, total = 0, 0
    for _, _, size in sizes[:limit]:
        if taken and total + int(size) > max_bytes:
            break
        taken, total = taken + 1, total + int(size)
    if taken:
        read.rows = connection.execute(_READ_UP_TO, (shard_row, after, sizes[taken - 1][0], cutoff)).fetchall()
    read.unread_arrival = int(sizes[taken][1]) if len(sizes) > taken else None


def _trim_shard(connection: Any, shard_row: int, cutoff_ms: int) -> int:
    """Delete the shard's records that arrived at or before ``cutoff_ms``. Arrival times grow with
    the position along a shard, so the expired records are a prefix: find the first record still
    within retention by walking the primary key, and delete the positions before it by range."""
    keep = connection.execute(
        "SELECT seq FROM kinesis_records WHERE shard = ? AND arrival > ? ORDER BY seq LIMIT 1",
        (shard_row, cutoff_ms),
    ).fetchone()
    if keep is None:
        cursor = connection.execute("DELETE FROM kinesis_records WHERE shard = ?", (shard_row,))
    else:
        cursor = connection.execute("DELETE FROM kinesis_records WHERE shard = ? AND seq < ?", (shard_row, keep[0]))
    return max(0, int(cursor.rowcount or 0))


def put_in(connection: Any, batches: list[Batch], now_ms: int, trim: dict[int, int]) -> list[Stored]:
    """:meth:`RecordStore.put` inside a caller's transaction (a staged PutRecords): raises
    :class:`ShardClosed` having written nothing of its own when a shard is closed."""
    stored = []
    for batch in batches:
        taken = connection.execute(_TAKE_POSITIONS, (len(batch.records), now_ms, now_ms, batch.shard_row)).fetchone()
        if taken is None:
            raise ShardClosed(batch.shard_row)
        last, arrival = int(taken[0]), int(taken[1])
        first = last - len(batch.records) + 1
        row = batch.shard_row
        connection.executemany(
            _INSERT, [(row, first + i, arrival, key, data) for i, (key, data) in enumerate(batch.records)]
        )
        connection.notify(CHANNEL, str(row))
        stored.append(Stored(first, arrival))
    for shard_row, cutoff in trim.items():
        _trim_shard(connection, shard_row, cutoff)
    return stored
