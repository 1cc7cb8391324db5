"""Enhanced fan-out consumers and their live subscriptions (tables: see ``store.py``)."""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.storage.base import Database
from eventyard.streams.model import Consumer, stream_arn
from eventyard.streams.store import dumps

_COLUMNS = "c.id, c.stream, c.name, c.created_at, c.status, c.settles_at, c.tags, c.policy, s.account, s.region, s.name"
_FROM = "FROM kinesis_consumers c JOIN kinesis_streams s ON s.id = c.stream"
#: A subscription younger than this refuses a second one for its (consumer, shard) (AWS: 5 s).
TAKEOVER_SECONDS = 5.0


def _consumer(row: Any) -> Consumer:
    return Consumer(
        int(row[0]), int(row[1]), stream_arn(row[9], row[8], row[10]), row[2], row[3], row[4], row[5],
        orjson.loads(row[6]), row[7],
    )  # fmt: skip


class ConsumerStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def register(
        self, stream: int, name: str, now: float, settles_at: float, tags: dict[str, str], limit: int
    ) -> tuple[Consumer | None, int]:
        """A new consumer; (None, -1) when the name is taken, (None, n) when the stream has its
        ``limit`` of n consumers (and queues) already."""

        def job(connection: Any) -> tuple[Consumer | None, int]:
            if connection.execute(
                "SELECT 1 FROM kinesis_consumers WHERE stream = ? AND name = ?", (stream, name)
            ).fetchone():
                return None, -1
            count = int(  # queues count as registered consumers too
                connection.execute(
                    "SELECT (SELECT COUNT(*) FROM kinesis_consumers WHERE stream = ?)"
                    " + (SELECT COUNT(*) FROM kinesis_queues WHERE stream = ?)",
                    (stream, stream),
                ).fetchone()[0]
            )
            if count >= limit:
                return None, count
            row_id = connection.execute(
                "INSERT INTO kinesis_consumers (stream, name, created_at, status, settles_at, tags)"
                " VALUES (?, ?, ?, 'CREATING', ?, ?) RETURNING id",
                (stream, name, now, settles_at, dumps(tags)),
            ).fetchone()[0]
            row = connection.execute(f"SELECT {_COLUMNS} {_FROM} WHERE c.id = ?", (int(row_id),)).fetchone()
            return _consumer(row), count

        return await self.db.write(job)

    async def find(self, stream: int, name: str) -> Consumer | None:
        def job(connection: Any) -> Consumer | None:
            row = connection.execute(
                f"SELECT {_COLUMNS} {_FROM} WHERE c.stream = ? AND c.name = ?", (stream, name)
            ).fetchone()
            return _consumer(row) if row else None

        return await self.db.read(job)

    async def of_stream(self, stream: int) -> list[Consumer]:
        def job(connection: Any) -> list[Consumer]:
            rows = connection.execute(f"SELECT {_COLUMNS} {_FROM} WHERE c.stream = ? ORDER BY c.name", (stream,))
            return [_consumer(row) for row in rows.fetchall()]

        return await self.db.read(job)

    async def count(self, stream: int) -> int:
        def job(connection: Any) -> int:
            return int(
                connection.execute("SELECT COUNT(*) FROM kinesis_consumers WHERE stream = ?", (stream,)).fetchone()[0]
            )

        return await self.db.read(job)

    async def delete(self, consumer: int) -> None:
        def job(connection: Any) -> None:
            connection.execute("DELETE FROM kinesis_consumers WHERE id = ?", (consumer,))

        await self.db.write(job)

    async def update(self, consumer: int, *, tags: dict[str, str] | None = None, policy: Any = ...) -> None:
        """Set a consumer's tags and/or resource policy (``policy=None`` deletes it)."""

        def job(connection: Any) -> None:
            if tags is not None:
                connection.execute("UPDATE kinesis_consumers SET tags = ? WHERE id = ?", (dumps(tags), consumer))
            if policy is not ...:
                connection.execute("UPDATE kinesis_consumers SET policy = ? WHERE id = ?", (policy, consumer))

        await self.db.write(job)

    # --- subscriptions ---------------------------------------------------------------------------

    async def subscribe(self, consumer: int, shard: int, holder: str, now: float) -> bool:
        """Make ``holder`` the live subscription of (consumer, shard), taking over one older than
        :data:`TAKEOVER_SECONDS`; False when a younger one holds it."""

        def job(connection: Any) -> bool:
            row = connection.execute(
                f"SELECT started_at FROM kinesis_subscriptions WHERE consumer = ? AND shard = ?{connection.for_update}",
                (consumer, shard),
            ).fetchone()
            if row is not None and now - row[0] < TAKEOVER_SECONDS:
                return False
            connection.execute("DELETE FROM kinesis_subscriptions WHERE consumer = ? AND shard = ?", (consumer, shard))
            connection.execute(
                "INSERT INTO kinesis_subscriptions (consumer, shard, holder, started_at) VALUES (?, ?, ?, ?)",
                (consumer, shard, holder, now),
            )
            return True

        return await self.db.write(job)

    async def holds(self, consumer: int, shard: int, holder: str) -> bool | None:
        """Whether ``holder`` is still the live subscription; None when the consumer is gone."""

        def job(connection: Any) -> bool | None:
            row = connection.execute(
                "SELECT s.holder FROM kinesis_consumers c LEFT JOIN kinesis_subscriptions s"
                " ON s.consumer = c.id AND s.shard = ? WHERE c.id = ?",
                (shard, consumer),
            ).fetchone()
            if row is None:
                return None
            return row[0] == holder

        return await self.db.read(job)
