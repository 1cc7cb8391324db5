"""EventBridge's storage: resource documents and archived events.

Tables (same text for SQLite and PostgreSQL except the id columns):

``bus_resources``  one row per bus, rule (with its targets), archive, replay, connection and API
                   destination, as a JSON document; ``scope`` is the bus of a rule, '' otherwise.
                   Definitions are small and read mostly through the matcher cache, so a document
                   per resource keeps every operation one statement.
``bus_archive_events`` events kept by archives, by archive and event time, for replays.
  ``bus_archive_events_time`` (archive_arn, event_time): a replay's window.

Deliveries are kernel timers (``delivery.py``); migration 2 moved the old outbox (``bus_deliveries``)
into them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from eventyard.storage.base import Migration

_COMMON = """
CREATE TABLE bus_resources (
    account TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL, scope TEXT NOT NULL, name TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, region, kind, scope, name));
CREATE INDEX bus_deliveries_due ON bus_deliveries (due_at);
CREATE INDEX bus_archive_events_time ON bus_archive_events (archive_arn, event_time)
"""

SQLITE = (
    """
CREATE TABLE bus_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL, region TEXT NOT NULL, rule_arn TEXT NOT NULL, target_id TEXT NOT NULL,
    event TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, ingested_at DOUBLE PRECISION NOT NULL,
    due_at DOUBLE PRECISION NOT NULL, claimed_until DOUBLE PRECISION NOT NULL DEFAULT 0);
CREATE TABLE bus_archive_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, archive_arn TEXT NOT NULL, event_time DOUBLE PRECISION NOT NULL,
    event TEXT NOT NULL);
"""
    + _COMMON
)
POSTGRES = (
    """
CREATE TABLE bus_deliveries (
    id BIGSERIAL PRIMARY KEY,
    account TEXT NOT NULL, region TEXT NOT NULL, rule_arn TEXT NOT NULL, target_id TEXT NOT NULL,
    event TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, ingested_at DOUBLE PRECISION NOT NULL,
    due_at DOUBLE PRECISION NOT NULL, claimed_until DOUBLE PRECISION NOT NULL DEFAULT 0);
CREATE TABLE bus_archive_events (
    id BIGSERIAL PRIMARY KEY, archive_arn TEXT NOT NULL, event_time DOUBLE PRECISION NOT NULL,
    event TEXT NOT NULL);
"""
    + _COMMON
)

#: The outbox's rows become kernel delivery timers (key: rule ARN, target id, a unique suffix).
_OUTBOX_TO_TIMERS = """
INSERT INTO kernel_timers (owner, key, due_at, ready_at, created_at, attempts, payload)
SELECT 'events.delivery', rule_arn || ' ' || target_id || ' outbox-' || id, due_at, due_at, ingested_at, attempts, event
FROM bus_deliveries;
DROP TABLE bus_deliveries
"""

MIGRATIONS = [
    Migration("bus", 1, "resources, deliveries, archives", SQLITE, POSTGRES),
    Migration("bus", 2, "deliveries are kernel timers", _OUTBOX_TO_TIMERS, _OUTBOX_TO_TIMERS),
]

Document = dict[str, Any]


# --- resource documents (run inside db jobs) ------------------------------------------------------


def get(
    c: Any, account: str, region: str, kind: str, scope: str, name: str, *, for_update: bool = False
) -> Document | None:
    """A resource document; ``for_update`` locks its row on PostgreSQL until the job commits, so a
    read-modify-write from another node waits instead of overwriting (SQLite has one writer)."""
    lock = c.for_update if for_update else ""
    row = c.execute(
        "SELECT body FROM bus_resources WHERE account = ? AND region = ? AND kind = ? AND scope = ? AND name = ?"
        + lock,
        (account, region, kind, scope, name),
    ).fetchone()
    return orjson.loads(row[0]) if row else None


def put(c: Any, account: str, region: str, kind: str, scope: str, name: str, body: Document) -> None:
    c.execute(
        "INSERT INTO bus_resources (account, region, kind, scope, name, body) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (account, region, kind, scope, name) DO UPDATE SET body = excluded.body",
        (account, region, kind, scope, name, orjson.dumps(body).decode()),
    )


def insert(c: Any, account: str, region: str, kind: str, scope: str, name: str, body: Document) -> bool:
    """Insert unless it exists; True when inserted."""
    cursor = c.execute(
        "INSERT INTO bus_resources (account, region, kind, scope, name, body) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (account, region, kind, scope, name) DO NOTHING",
        (account, region, kind, scope, name, orjson.dumps(body).decode()),
    )
    return bool(cursor.rowcount)


def delete(c: Any, account: str, region: str, kind: str, scope: str, name: str) -> bool:
    cursor = c.execute(
        "DELETE FROM bus_resources WHERE account = ? AND region = ? AND kind = ? AND scope = ? AND name = ?",
        (account, region, kind, scope, name),
    )
    return bool(cursor.rowcount)


def delete_scope(c: Any, account: str, region: str, kind: str, scope: str) -> None:
    c.execute(
        "DELETE FROM bus_resources WHERE account = ? AND region = ? AND kind = ? AND scope = ?",
        (account, region, kind, scope),
    )


def listing(c: Any, account: str, region: str, kind: str, scope: str | None = None, prefix: str = "") -> list[Document]:
    sql = "SELECT body FROM bus_resources WHERE account = ? AND region = ? AND kind = ?"
    params: list[Any] = [account, region, kind]
    if scope is not None:
        sql += " AND scope = ?"
        params.append(scope)
    if prefix:
        sql += " AND name >= ? AND name < ?"
        params += [prefix, prefix + "\U0010ffff"]
    rows = c.execute(sql + " ORDER BY name", params).fetchall()
    return [orjson.loads(row[0]) for row in rows]


def every(c: Any, kind: str) -> list[tuple[str, str, Document]]:
    rows = c.execute("SELECT account, region, body FROM bus_resources WHERE kind = ?", (kind,)).fetchall()
    return [(row[0], row[1], orjson.loads(row[2])) for row in rows]


# --- archives -----------------------------------------------------------------------------------


def archive(c: Any, rows: Iterable[tuple[str, float, str]]) -> None:
    c.executemany("INSERT INTO bus_archive_events (archive_arn, event_time, event) VALUES (?, ?, ?)", list(rows))


def archived_after(c: Any, archive_arn: str, start: float, end: float, after: int, limit: int) -> list[tuple[int, str]]:
    """Up to ``limit`` (row id, event) of an archive in a time window, past row ``after``, in order."""
    rows = c.execute(
        "SELECT id, event FROM bus_archive_events WHERE archive_arn = ? AND event_time >= ? AND event_time < ?"
        " AND id > ? ORDER BY id LIMIT ?",
        (archive_arn, start, end, after, limit),
    ).fetchall()
    return [(int(row[0]), row[1]) for row in rows]


def archive_stats(c: Any, archive_arn: str) -> tuple[int, int]:
    row = c.execute(
        "SELECT count(*), coalesce(sum(length(event)), 0) FROM bus_archive_events WHERE archive_arn = ?", (archive_arn,)
    ).fetchone()
    return int(row[0]), int(row[1])


def drop_archive(c: Any, archive_arn: str) -> None:
    c.execute("DELETE FROM bus_archive_events WHERE archive_arn = ?", (archive_arn,))
