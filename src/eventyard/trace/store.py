"""The trace's table and every statement on it.

Tables (one SQL text for SQLite and PostgreSQL except the id column)::

    trace_steps   append-only steps of a trace, keyed by ``trace_id``: the id of the event a PutEvents
                  accepted, or of the message a Publish took. ``step`` says what the row is: ``event``
                  (written once, by the transaction that accepted it: the bus or topic, what matched, and
                  the deliveries written in that transaction with their resulting ids) or ``delivery``
                  (a later delivery by the kernel, written in the transaction that records its outcome).
                  ``body`` is a JSON document; ``at`` the clock time it was written.
      trace_steps_trace (trace_id, id): one trace in the order it happened.
      trace_steps_at (at): the retention sweep deletes from the oldest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from eventyard.storage.base import Migration

_INDEXES = """
CREATE INDEX trace_steps_trace ON trace_steps (trace_id, id);
CREATE INDEX trace_steps_at ON trace_steps (at)
"""
SQLITE = (
    """
CREATE TABLE trace_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT, trace_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
    step TEXT NOT NULL, body TEXT NOT NULL);
"""
    + _INDEXES
)
POSTGRES = (
    """
CREATE TABLE trace_steps (
    id BIGSERIAL PRIMARY KEY, trace_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
    step TEXT NOT NULL, body TEXT NOT NULL);
"""
    + _INDEXES
)

MIGRATIONS = [Migration("trace", 1, "trace steps", SQLITE, POSTGRES)]

Step = tuple[str, str, dict[str, Any] | str]  # (trace id, step, body: a dict, or laid out as JSON already)


def append(c: Any, steps: Sequence[Step], now: float) -> None:
    c.executemany(
        "INSERT INTO trace_steps (trace_id, at, step, body) VALUES (?, ?, ?, ?)",
        [
            (trace_id, now, step, body if isinstance(body, str) else orjson.dumps(body).decode())
            for trace_id, step, body in steps
        ],
    )


def steps_of(c: Any, trace_id: str) -> list[tuple[float, str, dict[str, Any]]]:
    rows = c.execute("SELECT at, step, body FROM trace_steps WHERE trace_id = ? ORDER BY id", (trace_id,)).fetchall()
    return [(float(row[0]), str(row[1]), orjson.loads(row[2])) for row in rows]


def recent(c: Any, limit: int) -> list[tuple[str, float, dict[str, Any]]]:
    """The newest ``event`` steps, newest first."""
    rows = c.execute(
        "SELECT trace_id, at, body FROM trace_steps WHERE step = 'event' ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [(str(row[0]), float(row[1]), orjson.loads(row[2])) for row in rows]


def prune(c: Any, before: float) -> int:
    cursor = c.execute("DELETE FROM trace_steps WHERE at < ?", (before,))
    return int(cursor.rowcount or 0)
