"""The stream service's tables, and the catalogue of streams and shards.

Tables (one SQL text for SQLite and PostgreSQL; ``{ID}``, ``{REAL}``, ``{BLOB}`` and ``{NO_ROWID}``
differ per dialect)::

    kinesis_streams   one row per stream, unique per (account, region, name). ``stream_id`` is the
                      StreamId AWS shows; ``tag`` is the random number every sequence number of the
                      stream carries; ``status`` is CREATING/UPDATING until ``settles_at`` on the
                      yard's clock, ACTIVE after (read lazily, nothing flips it); ``next_shard`` the
                      index the next new shard gets. ``metrics`` is a JSON list, ``tags`` a JSON map.
    kinesis_shards    one row per shard, open or closed, with its lineage (``parent``,
                      ``adjacent_parent``: shard indexes) and hash key range (decimal text: 128-bit
                      keys fit no integer column). ``last_seq`` is the position of the shard's
                      newest record: a put takes its positions by incrementing it, under the row's
                      lock, which is what keeps sequence numbers increasing across nodes (see
                      ``sequence.py``); ``last_arrival`` (epoch ms) keeps arrival times monotonic
                      along the shard. Deleting a stream cascades to its shards.
    kinesis_records   one row per record: (shard, seq) is the clustered primary key (WITHOUT ROWID
                      on SQLite), so reading a shard from a position is one range scan. ``arrival``
                      is ApproximateArrivalTimestamp in epoch ms (AWS's precision); the partition
                      key is kept as its UTF-8 bytes (any Unicode text, NUL included, which
                      PostgreSQL's text refuses). No foreign key:
                      a put checks its shard through the ``last_seq`` update anyway, and the rows
                      go with their stream in DeleteStream's transaction.
    kinesis_consumers enhanced fan-out consumers, unique per (stream, name); status as for streams.
    kinesis_subscriptions  the live SubscribeToShard of each (consumer, shard): ``holder`` is the
                      subscription's random token, ``started_at`` when it began (a second one within
                      5 s is refused, a later one takes over). Cascades with its consumer.
    kinesis_accounts  account settings (MinimumThroughputBillingCommitment) per (account, region).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.storage.base import Database, Migration
from eventyard.streams.model import Shard, Stream

_SCHEMA = """
CREATE TABLE kinesis_streams (
    id {ID},
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    tag BIGINT NOT NULL,
    created_at {REAL} NOT NULL,
    status TEXT NOT NULL,
    settles_at {REAL} NOT NULL,
    mode TEXT NOT NULL,
    retention_hours INTEGER NOT NULL,
    encryption TEXT NOT NULL,
    key_id TEXT,
    metrics TEXT NOT NULL,
    tags TEXT NOT NULL,
    policy TEXT,
    max_record_kib INTEGER NOT NULL,
    warm_mibps INTEGER,
    distribution TEXT NOT NULL,
    next_shard INTEGER NOT NULL,
    UNIQUE (account, region, name)
);
CREATE TABLE kinesis_shards (
    id {ID},
    stream BIGINT NOT NULL REFERENCES kinesis_streams (id) ON DELETE CASCADE,
    shard_index INTEGER NOT NULL,
    parent INTEGER,
    adjacent_parent INTEGER,
    start_hash TEXT NOT NULL,
    end_hash TEXT NOT NULL,
    created_at {REAL} NOT NULL,
    closed_at {REAL},
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_arrival BIGINT NOT NULL DEFAULT 0,
    UNIQUE (stream, shard_index)
);
CREATE TABLE kinesis_records (
    shard BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    arrival BIGINT NOT NULL,
    partition_key {BLOB} NOT NULL,
    data {BLOB} NOT NULL,
    PRIMARY KEY (shard, seq)
){NO_ROWID};
CREATE TABLE kinesis_consumers (
    id {ID},
    stream BIGINT NOT NULL REFERENCES kinesis_streams (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at {REAL} NOT NULL,
    status TEXT NOT NULL,
    settles_at {REAL} NOT NULL,
    tags TEXT NOT NULL,
    policy TEXT,
    UNIQUE (stream, name)
);
CREATE TABLE kinesis_subscriptions (
    consumer BIGINT NOT NULL REFERENCES kinesis_consumers (id) ON DELETE CASCADE,
    shard BIGINT NOT NULL,
    holder TEXT NOT NULL,
    started_at {REAL} NOT NULL,
    PRIMARY KEY (consumer, shard)
);
CREATE TABLE kinesis_accounts (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    commitment TEXT NOT NULL,
    started_at {REAL},
    ended_at {REAL},
    earliest_end {REAL},
    PRIMARY KEY (account, region)
)
"""

MIGRATIONS = (
    Migration(
        "streams",
        1,
        "streams, shards, records, consumers, subscriptions, account settings",
        _SCHEMA.format(ID="INTEGER PRIMARY KEY", REAL="REAL", BLOB="BLOB", NO_ROWID=" WITHOUT ROWID"),
        _SCHEMA.format(ID="BIGSERIAL PRIMARY KEY", REAL="DOUBLE PRECISION", BLOB="BYTEA", NO_ROWID=""),
    ),
)

_STREAM_COLUMNS = (
    "id, account, region, name, stream_id, tag, created_at, status, settles_at, mode, retention_hours, encryption,"
    " key_id, metrics, tags, policy, max_record_kib, warm_mibps, distribution, next_shard"
)
_SHARD_COLUMNS = "id, shard_index, parent, adjacent_parent, start_hash, end_hash, created_at, closed_at, last_seq"
#: The stream columns a setting may change (``StreamCatalogue.update``).
SETTINGS = frozenset(
    {"status", "settles_at", "mode", "retention_hours", "encryption", "key_id", "metrics", "tags", "policy",
     "max_record_kib", "warm_mibps", "distribution"}
)  # fmt: skip


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def _stream(row: Any) -> Stream:
    return Stream(
        int(row[0]), row[1], row[2], row[3], row[4], int(row[5]), row[6], row[7], row[8], row[9], int(row[10]),
        row[11], row[12], orjson.loads(row[13]), orjson.loads(row[14]), row[15], int(row[16]),
        None if row[17] is None else int(row[17]), row[18], int(row[19]),
    )  # fmt: skip


def _shard(row: Any, tag: int) -> Shard:
    return Shard(int(row[0]), int(row[1]), row[2], row[3], int(row[4]), int(row[5]), row[6], row[7], int(row[8]), tag)


@dataclass
class NewShard:
    """A shard to create: its hash key range and the indexes of its parents."""

    start_hash: int
    end_hash: int
    parent: int | None = None
    adjacent_parent: int | None = None
    #: A short-lived shard of a multi-step reshard (UpdateShardCount), closed as soon as created.
    closed: bool = False


@dataclass
class Reshape:
    """What a reshard does, decided on the stream as the transaction sees it: shards to close (by
    index, in order) and shards to create (their indexes follow ``next_shard``)."""

    closed: list[int]
    created: list[NewShard]
    status: str = "UPDATING"


def _load(connection: Any, where: str, params: tuple[Any, ...], lock: str = "") -> Stream | None:
    row = connection.execute(f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams WHERE {where}{lock}", params).fetchone()
    if row is None:
        return None
    stream = _stream(row)
    shards = connection.execute(
        f"SELECT {_SHARD_COLUMNS} FROM kinesis_shards WHERE stream = ? ORDER BY shard_index", (stream.id,)
    ).fetchall()
    stream.shards = [_shard(shard, stream.tag) for shard in shards]
    return stream


def _insert_shards(connection: Any, stream: int, first_index: int, shards: list[NewShard], now: float) -> None:
    connection.executemany(
        "INSERT INTO kinesis_shards (stream, shard_index, parent, adjacent_parent, start_hash, end_hash, created_at,"
        " closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [_shard_values(stream, first_index + i, shard, now) for i, shard in enumerate(shards)],
    )


def _shard_values(stream: int, index: int, shard: NewShard, now: float) -> tuple[Any, ...]:
    closed = now if shard.closed else None
    return (stream, index, shard.parent, shard.adjacent_parent, str(shard.start_hash), str(shard.end_hash), now, closed)


class StreamCatalogue:
    """Streams and their shards: rows in ``kinesis_streams`` and ``kinesis_shards``, each call one job."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def find(self, account: str, region: str, name: str) -> Stream | None:
        return await self.db.read(
            lambda connection: _load(connection, "account = ? AND region = ? AND name = ?", (account, region, name))
        )

    async def find_by_row(self, stream: int) -> Stream | None:
        return await self.db.read(lambda connection: _load(connection, "id = ?", (stream,)))

    async def create(
        self, stream: Stream, shards: list[NewShard], now: float, shard_limit: int
    ) -> tuple[Stream | None, int]:
        """Create ``stream`` with ``shards``; (None, 0) when the name is taken, (None, n) when the
        account's n open shards plus these would pass ``shard_limit``."""

        def job(connection: Any) -> tuple[Stream | None, int]:
            taken = connection.execute(
                "SELECT 1 FROM kinesis_streams WHERE account = ? AND region = ? AND name = ?",
                (stream.account, stream.region, stream.name),
            ).fetchone()
            if taken:
                return None, 0
            current = _open_shards(connection, stream.account, stream.region)
            if current + len(shards) > shard_limit:
                return None, current
            row_id = connection.execute(
                "INSERT INTO kinesis_streams (account, region, name, stream_id, tag, created_at, status, settles_at,"
                " mode, retention_hours, encryption, key_id, metrics, tags, policy, max_record_kib, warm_mibps,"
                " distribution, next_shard) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (stream.account, stream.region, stream.name, stream.stream_id, stream.tag, stream.created_at,
                 stream.status, stream.settles_at, stream.mode, stream.retention_hours, stream.encryption,
                 stream.key_id, dumps(stream.metrics), dumps(stream.tags), stream.policy, stream.max_record_kib,
                 stream.warm_mibps, stream.distribution, len(shards)),
            ).fetchone()[0]  # fmt: skip
            _insert_shards(connection, int(row_id), 0, shards, now)
            return _load(connection, "id = ?", (int(row_id),)), current

        return await self.db.write(job)

    async def page(self, account: str, region: str, after: str, limit: int) -> list[Stream]:
        """Streams of the namespace by name after ``after`` (without their shards)."""

        def job(connection: Any) -> list[Stream]:
            rows = connection.execute(
                f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams WHERE account = ? AND region = ? AND name > ?"
                " ORDER BY name LIMIT ?",
                (account, region, after, limit),
            ).fetchall()
            return [_stream(row) for row in rows]

        return await self.db.read(job)

    async def delete(self, stream: int) -> bool:
        """Delete the stream, its shards, records and consumers in one transaction."""

        def job(connection: Any) -> bool:
            connection.execute(
                "DELETE FROM kinesis_records WHERE shard IN (SELECT id FROM kinesis_shards WHERE stream = ?)",
                (stream,),
            )
            return bool(connection.execute("DELETE FROM kinesis_streams WHERE id = ?", (stream,)).rowcount)

        return await self.db.write(job)

    async def update(self, stream: int, changes: dict[str, Any]) -> None:
        """Change settings of a stream (column names from :data:`SETTINGS`; lists and maps as JSON)."""
        unknown = set(changes) - SETTINGS
        if unknown:
            raise ValueError(f"not stream settings: {sorted(unknown)}")
        columns = ", ".join(f"{name} = ?" for name in changes)
        values = [dumps(v) if isinstance(v, list | dict) else v for v in changes.values()]

        def job(connection: Any) -> None:
            connection.execute(f"UPDATE kinesis_streams SET {columns} WHERE id = ?", (*values, stream))

        await self.db.write(job)

    async def reshard(
        self, stream: int, now: float, settles_at: float, plan: Callable[[Stream], Reshape], shard_limit: int
    ) -> tuple[Stream | None, int]:
        """Close and create shards as ``plan`` decides on the stream read (and locked) in this very
        transaction, and start the stream's UPDATING. ``plan`` raises to refuse. Returns the new
        stream, or (None, n) when the account's n open shards would pass ``shard_limit``."""

        def job(connection: Any) -> tuple[Stream | None, int]:
            current = _load(connection, "id = ?", (stream,), connection.for_update)
            if current is None:
                return None, -1
            reshape = plan(current)
            growth = sum(not s.closed for s in reshape.created) - len(reshape.closed)
            open_now = _open_shards(connection, current.account, current.region)
            if growth > 0 and open_now + growth > shard_limit:
                return None, open_now
            by_index = {s.index: s for s in current.shards}
            for index in reshape.closed:
                row = by_index[index].row_id
                connection.execute("UPDATE kinesis_shards SET closed_at = ? WHERE id = ?", (now, row))
            _insert_shards(connection, stream, current.next_shard, reshape.created, now)
            connection.execute(
                "UPDATE kinesis_streams SET next_shard = ?, status = ?, settles_at = ? WHERE id = ?",
                (current.next_shard + len(reshape.created), reshape.status, settles_at, stream),
            )
            return _load(connection, "id = ?", (stream,)), open_now

        return await self.db.write(job)

    async def counts(self, account: str, region: str, mode: str) -> tuple[int, int]:
        """(open shards of the namespace, streams in ``mode``), for DescribeLimits."""

        def job(connection: Any) -> tuple[int, int]:
            streams = connection.execute(
                "SELECT COUNT(*) FROM kinesis_streams WHERE account = ? AND region = ? AND mode = ?",
                (account, region, mode),
            ).fetchone()[0]
            return _open_shards(connection, account, region), int(streams)

        return await self.db.read(job)

    async def account_settings(self, account: str, region: str) -> tuple[str, float | None, float | None, float | None]:
        def job(connection: Any) -> tuple[str, float | None, float | None, float | None]:
            row = connection.execute(
                "SELECT commitment, started_at, ended_at, earliest_end FROM kinesis_accounts"
                " WHERE account = ? AND region = ?",
                (account, region),
            ).fetchone()
            return (row[0], row[1], row[2], row[3]) if row else ("DISABLED", None, None, None)

        return await self.db.read(job)

    async def set_account_settings(
        self, account: str, region: str, commitment: str, started: float | None, ended: float | None,
        earliest_end: float | None,
    ) -> None:  # fmt: skip
        def job(connection: Any) -> None:
            connection.execute("DELETE FROM kinesis_accounts WHERE account = ? AND region = ?", (account, region))
            connection.execute(
                "INSERT INTO kinesis_accounts (account, region, commitment, started_at, ended_at, earliest_end)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (account, region, commitment, started, ended, earliest_end),
            )

        await self.db.write(job)


def _open_shards(connection: Any, account: str, region: str) -> int:
    return int(
        connection.execute(
            "SELECT COUNT(*) FROM kinesis_shards sh JOIN kinesis_streams st ON st.id = sh.stream"
            " WHERE st.account = ? AND st.region = ? AND sh.closed_at IS NULL",
            (account, region),
        ).fetchone()[0]
    )
