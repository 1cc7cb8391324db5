"""Messages in ``sqs_messages`` (tables: see ``store.py``): send, lease, settle, dead-letter and move.

A receive is a lease taken in ONE job: select the next visible rows and stamp them with a new
receipt nonce and visibility deadline, so no two receivers ever hold a message at once. On
PostgreSQL the select takes row locks with ``FOR UPDATE SKIP LOCKED`` so several nodes share a
queue; FIFO receives also lock the queue row, because a group's order spans rows. Leases are rows,
so they survive restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from eventyard import staging
from eventyard.ids import new_id, random_hex
from eventyard.queues.errors import QueueDoesNotExist
from eventyard.queues.store import Queue, dumps
from eventyard.storage.base import Database

#: The wake-up channel of long polls: a send on one node wakes the receives waiting on the others.
CHANNEL = "sqs"

_MESSAGE_COLUMNS = (
    "id, message_id, body, md5_body, attributes, md5_attributes, system, md5_system, sender_id, sent_at,"
    " receive_count, first_received_at, group_id, dedup_id, sequence_number, dead_letter_source, expires_at"
)
_INSERT = (
    "INSERT INTO sqs_messages (queue_id, message_id, body, md5_body, attributes, md5_attributes, system, md5_system,"
    " sender_id, sent_at, visible_at, expires_at, receive_count, first_received_at, group_id, dedup_id,"
    " sequence_number, dead_letter_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_PLAIN = (
    "INSERT INTO sqs_messages (queue_id, message_id, body, md5_body, sender_id, sent_at, visible_at, expires_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
#: Plain rows a statement at most (8 values each: within every SQLite's and PostgreSQL's bounds).
_PLAIN_ROWS = 64
_LEASE = (
    "UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1,"
    " first_received_at = COALESCE(first_received_at, ?), received_at = ?, receipt = ? WHERE id = ?"
)
DEDUP_WINDOW = 300.0


@dataclass
class NewMessage:
    """A validated message ready to store."""

    message_id: str
    body: str
    md5_body: str
    attributes: str | None
    md5_attributes: str | None
    system: str | None
    md5_system: str | None
    sender_id: str
    delay: int
    group_id: str | None = None
    dedup_id: str | None = None
    dedup_scope: str = ""


@dataclass
class Leased:
    """A message as one receive leased it; ``receipt`` is the nonce inside its receipt handle."""

    row_id: int
    message_id: str
    body: str
    md5_body: str
    attributes: str | None
    md5_attributes: str | None
    system: str | None
    md5_system: str | None
    sender_id: str
    sent_at: float
    receive_count: int
    first_received_at: float | None
    group_id: str | None
    dedup_id: str | None
    sequence_number: str | None
    dead_letter_source: str | None
    receipt: str = ""


def _leased(row: Any) -> Leased:
    return Leased(*row[:16])


def _is_plain(row: tuple[Any, ...]) -> bool:
    """Nothing beyond the first twelve columns: no attributes, system attributes, group or dedup id."""
    return row[4] is None and row[6] is None and row[14] is None and row[15] is None and row[16] is None


@lru_cache(maxsize=8)
def _insert_plain_sql(count: int) -> str:
    return _INSERT_PLAIN + ", (?, ?, ?, ?, ?, ?, ?, ?)" * (count - 1)


def insert_plain(connection: Any, rows: list[tuple[Any, ...]]) -> None:
    """Plain rows in few statements: 64 a statement, the rest by powers of two (so at most seven
    statement texts, for the statement caches); one statement is one step of SQLite, where
    ``executemany`` steps (and takes the GIL back) once a row."""
    start = 0
    while start < len(rows):
        count = min(_PLAIN_ROWS, 1 << ((len(rows) - start).bit_length() - 1))
        if count == 1:
            connection.execute(_INSERT_PLAIN, rows[start])
        else:
            values = [value for row in rows[start : start + count] for value in row]
            connection.execute(_insert_plain_sql(count), values)
        start += count


def _nonce() -> str:
    return random_hex(72)


def new_message_id() -> str:
    return new_id()


def _sequence(connection: Any, queue_id: int) -> str:
    row = connection.execute(
        "UPDATE sqs_queues SET sequence = sequence + 1 WHERE id = ? RETURNING sequence", (queue_id,)
    ).fetchone()
    if row is None:  # another node deleted the queue under our cached copy
        raise QueueDoesNotExist()
    return str(10_000_000_000_000_000_000 + int(row[0]))


@dataclass
class DeadLetter:
    """Where a receive sends messages that exceeded ``max_receive_count``."""

    queue: Queue
    source_arn: str
    max_receive_count: int


class MessageStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        #: Other nodes may send and receive too: lock what a group's order spans, wake their long polls.
        self.shared = db.shared_by_nodes

    # --- send ------------------------------------------------------------------------------------

    async def send(self, queue: Queue, messages: list[NewMessage], now: float) -> list[tuple[str, str | None]]:
        """Store messages (one transaction); returns each one's (MessageId, SequenceNumber).

        A FIFO duplicate inside the 5-minute window is accepted but not stored, and answers with
        the original's MessageId and SequenceNumber.
        """
        return await self.db.write(lambda connection: self.insert(connection, queue, messages, now))

    def insert(
        self, connection: Any, queue: Queue, messages: list[NewMessage], now: float
    ) -> list[tuple[str, str | None]]:
        """``send``'s work inside a transaction someone else holds (the event bus writes its deliveries
        to local queues in the transaction that accepts the events)."""
        retention = queue.number("MessageRetentionPeriod")
        results: list[tuple[str, str | None]] = []
        rows = []
        if queue.fifo and self.shared:
            # Serialise FIFO sends per queue across nodes before the dedup lookup: two nodes must
            # not both miss the same deduplication id.
            connection.execute("SELECT id FROM sqs_queues WHERE id = ?" + connection.for_update, (queue.id,))
        expires = now + retention
        if not queue.fifo and all(m.attributes is None and m.system is None and m.group_id is None for m in messages):
            # (no dedup id either: a standard queue refuses one)
            # The common batch (standard queue, no attributes, no group) binds 8 values a message instead
            # of 18: the storage thread holds the GIL while it builds and binds them, which the loop feels.
            plain = [
                (queue.id, m.message_id, m.body, m.md5_body, m.sender_id, now, now + m.delay, expires) for m in messages
            ]
            if not staging.defer(insert_plain, connection, plain):  # in a group, inserted at its end
                insert_plain(connection, plain)
            if plain and self.shared:
                connection.notify(CHANNEL, str(queue.id))
            return [(m.message_id, None) for m in messages]
        for m in messages:
            sequence = None
            if queue.fifo:
                seen = connection.execute(
                    "SELECT message_id, sequence_number, expires_at FROM sqs_dedup"
                    " WHERE queue_id = ? AND scope = ? AND dedup_id = ?",
                    (queue.id, m.dedup_scope, m.dedup_id),
                ).fetchone()
                if seen and seen[2] > now:
                    results.append((seen[0], seen[1]))
                    continue
                sequence = _sequence(connection, queue.id)
                connection.execute(
                    "INSERT INTO sqs_dedup (queue_id, scope, dedup_id, message_id, sequence_number, expires_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (queue_id, scope, dedup_id) DO UPDATE SET"
                    " message_id = excluded.message_id, sequence_number = excluded.sequence_number,"
                    " expires_at = excluded.expires_at",
                    (queue.id, m.dedup_scope, m.dedup_id, m.message_id, sequence, now + DEDUP_WINDOW),
                )
            rows.append(
                (
                    queue.id, m.message_id, m.body, m.md5_body, m.attributes, m.md5_attributes, m.system,
                    m.md5_system, m.sender_id, now, now + m.delay, now + retention, 0, None, m.group_id,
                    m.dedup_id, sequence, None,
                )
            )  # fmt: skip
            results.append((m.message_id, sequence))
        plain = [r[:4] + r[8:12] for r in rows if _is_plain(r)]  # a batch that mixes plain and other messages
        full = [r for r in rows if not _is_plain(r)] if len(plain) < len(rows) else []
        insert_plain(connection, plain)
        if len(full) == 1:
            connection.execute(_INSERT, full[0])
        elif full:
            connection.executemany(_INSERT, full)
        if rows and self.shared:
            connection.notify(CHANNEL, str(queue.id))
        return results

    # --- receive ---------------------------------------------------------------------------------

    async def receive(
        self,
        queue: Queue,
        count: int,
        visibility: int,
        now: float,
        dead_letter: DeadLetter | None = None,
        attempt_id: str | None = None,
    ) -> tuple[list[Leased], int]:
        """Lease up to ``count`` visible messages; returns them and how many went to the dead-letter queue."""
        lock = self.db.skip_locked

        def job(connection: Any) -> tuple[list[Leased], int]:
            # "+queue_id" keeps the planner on the expiry index: with a plain "queue_id = ?" SQLite walks
            # every message of the queue through (queue_id, visible_at) on each receive.
            connection.execute("DELETE FROM sqs_messages WHERE expires_at <= ? AND +queue_id = ?", (now, queue.id))
            if attempt_id is not None:
                again = self._repeat_attempt(connection, queue, attempt_id, visibility, now)
                if again is not None:
                    return again, 0
            if queue.fifo:
                rows = self._fifo_candidates(connection, queue, count, now)
            else:
                rows = connection.execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM sqs_messages WHERE queue_id = ? AND visible_at <= ?"
                    f" ORDER BY visible_at LIMIT ?{lock}",
                    (queue.id, now, count),
                ).fetchall()
            leased: list[Leased] = []
            moved = 0
            updates = []
            for row in rows:
                message = _leased(row)
                if dead_letter is not None and message.receive_count >= dead_letter.max_receive_count:
                    self._dead_letter(connection, message, dead_letter, now)
                    moved += 1
                    continue
                message.receipt = _nonce()
                message.receive_count += 1
                message.first_received_at = message.first_received_at or now
                updates.append((now + visibility, now, now, message.receipt, message.row_id))
                leased.append(message)
            if len(updates) == 1:
                connection.execute(_LEASE, updates[0])
            elif updates:
                connection.executemany(_LEASE, updates)
            if attempt_id is not None and leased:
                connection.execute(
                    "INSERT INTO sqs_receive_attempts (queue_id, attempt_id, leases, expires_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (queue_id, attempt_id) DO UPDATE SET leases = excluded.leases,"
                    " expires_at = excluded.expires_at",
                    (queue.id, attempt_id, dumps([[m.row_id, m.receipt] for m in leased]), now + DEDUP_WINDOW),
                )
            return leased, moved

        return await self.db.write(job)

    def _fifo_candidates(self, connection: Any, queue: Queue, count: int, now: float) -> list[Any]:
        """Visible messages in group order: from each group whose oldest message is visible, its
        messages in order up to the first one that is not (in flight or delayed)."""
        if self.shared:
            connection.execute("SELECT id FROM sqs_queues WHERE id = ?" + connection.for_update, (queue.id,))
        heads = connection.execute(
            "SELECT m.id, m.group_id FROM sqs_messages m WHERE m.queue_id = ? AND m.visible_at <= ?"
            " AND m.group_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sqs_messages p WHERE p.queue_id = m.queue_id"
            " AND p.group_id = m.group_id AND p.group_id IS NOT NULL AND p.id < m.id) ORDER BY m.visible_at LIMIT ?",
            (queue.id, now, count),
        ).fetchall()
        rows: list[Any] = []
        for head_id, group_id in sorted(heads):
            need = count - len(rows)
            if need <= 0:
                break
            for row in connection.execute(
                f"SELECT {_MESSAGE_COLUMNS}, visible_at FROM sqs_messages WHERE queue_id = ? AND group_id = ?"
                " AND group_id IS NOT NULL AND id >= ? ORDER BY id LIMIT ?",
                (queue.id, group_id, head_id, need),
            ).fetchall():
                if row[-1] > now:
                    break
                rows.append(row[:-1])
        return rows

    def _repeat_attempt(
        self, connection: Any, queue: Queue, attempt_id: str, visibility: int, now: float
    ) -> list[Leased] | None:
        """A retried FIFO receive inside 5 minutes gets the same messages and handles, if still held."""
        row = connection.execute(
            "SELECT leases FROM sqs_receive_attempts WHERE queue_id = ? AND attempt_id = ? AND expires_at > ?",
            (queue.id, attempt_id, now),
        ).fetchone()
        if not row:
            return None
        again: list[Leased] = []
        for row_id, receipt in orjson.loads(row[0]):
            found = connection.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM sqs_messages WHERE id = ? AND queue_id = ? AND receipt = ?",
                (row_id, queue.id, receipt),
            ).fetchone()
            if not found:
                return None
            message = _leased(found)
            message.receipt = receipt
            again.append(message)
        for message in again:
            connection.execute(
                "UPDATE sqs_messages SET visible_at = ? WHERE id = ?", (now + visibility, message.row_id)
            )
        return again

    def _dead_letter(self, connection: Any, message: Leased, target: DeadLetter, now: float) -> None:
        dlq = target.queue
        sequence = _sequence(connection, dlq.id) if dlq.fifo else None
        retention = dlq.number("MessageRetentionPeriod")
        # AWS: a standard message keeps its enqueue time in the DLQ (retention counts from it); FIFO resets it.
        sent_at = now if dlq.fifo else message.sent_at
        expires = sent_at + retention
        connection.execute(
            _INSERT,
            (
                dlq.id, message.message_id, message.body, message.md5_body, message.attributes,
                message.md5_attributes, message.system, message.md5_system, message.sender_id, sent_at,
                now, expires, message.receive_count, message.first_received_at, message.group_id,
                message.dedup_id, sequence, target.source_arn,
            ),
        )  # fmt: skip
        connection.execute("DELETE FROM sqs_messages WHERE id = ?", (message.row_id,))

    async def next_visible_at(self, queue_id: int, now: float) -> float | None:
        """When the earliest hidden (delayed or in-flight) message becomes visible: long polls wake then."""

        def job(connection: Any) -> float | None:
            row = connection.execute(
                "SELECT MIN(visible_at) FROM sqs_messages WHERE queue_id = ? AND visible_at > ?", (queue_id, now)
            ).fetchone()
            return None if row is None or row[0] is None else float(row[0])

        return await self.db.read(job)

    # --- settle ----------------------------------------------------------------------------------

    @staticmethod
    def delete_job(queue: Queue, row_id: int, receipt: str, now: float) -> Any:
        """A job deleting the leased message; returns 'deleted', 'stale' (old handle: no-op) or 'expired'."""

        def job(connection: Any) -> str:
            if not queue.fifo:
                cursor = connection.execute(
                    "DELETE FROM sqs_messages WHERE id = ? AND queue_id = ? AND receipt = ?",
                    (row_id, queue.id, receipt),
                )
                return "deleted" if cursor.rowcount else "stale"
            row = connection.execute(
                "SELECT receipt, visible_at FROM sqs_messages WHERE id = ? AND queue_id = ?", (row_id, queue.id)
            ).fetchone()
            if row is None or row[0] != receipt:
                return "stale"
            if row[1] <= now:
                return "expired"
            connection.execute("DELETE FROM sqs_messages WHERE id = ?", (row_id,))
            return "deleted"

        return job

    @staticmethod
    def visibility_job(queue: Queue, row_id: int, receipt: str, timeout: int, now: float) -> Any:
        """A job moving the lease's deadline to now + timeout; returns 'ok', 'missing', 'not_inflight' or 'limit'.

        On a standard queue the newest handle still works once its visibility ran out (nobody received
        the message since): AWS answers 200 and hides the message again. A FIFO lease has expired then.
        """

        def job(connection: Any) -> str:
            row = connection.execute(
                "SELECT receipt, visible_at, received_at FROM sqs_messages WHERE id = ? AND queue_id = ?",
                (row_id, queue.id),
            ).fetchone()
            if row is None or row[0] != receipt:
                return "missing"
            if row[1] <= now and queue.fifo:
                return "not_inflight"
            if now + timeout - (row[2] or now) > 43_200:
                return "limit"
            connection.execute("UPDATE sqs_messages SET visible_at = ? WHERE id = ?", (now + timeout, row_id))
            return "ok"

        return job

    async def run(self, jobs: list[Any]) -> list[Any]:
        """Several settle jobs in one transaction (a batch call), each result or the exception it raised."""

        def job(connection: Any) -> list[Any]:
            return [each(connection) for each in jobs]

        return await self.db.write(job)
