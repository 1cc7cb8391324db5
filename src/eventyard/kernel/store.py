"""The kernel's tables and every statement on them: timers and leases.

Tables (one SQL text for SQLite and PostgreSQL)::

    kernel_timers   one row per timer, unique per (owner, key). ``owner`` names the job that fires it
                    (``events.delivery``, ``sqs.move``, ``states.execution``...), ``key`` what it is
                    about. ``due_at`` is when it fires as it was set; ``ready_at`` is when a node may
                    claim it: ``due_at`` while idle, the end of the claim while a node fires it (so a
                    dead node's timer comes due again by itself). ``claim`` is the claim token of the
                    firing node (NULL when idle); ``pending`` says it was set again while being fired,
                    so the firing must leave it armed. ``attempts`` counts firings that failed (a
                    delivery's retries); ``created_at`` is when it was first set (a delivery's age).
      kernel_timers_ready (ready_at): "what may be claimed now", the claim statement's only search.
      kernel_timers_claim (claim): a node renews, finishes and hands over its claims by token.
    kernel_leases   one row per lease, unique per (owner, key): ``holder`` holds it until ``expires_at``.
                    A lease is for work that is not a timer: a shard read by one consumer at a time.
    kernel_checkpoints  one row per (owner, key) of a lease: how far its work got (``position``), as
                    its holder last recorded it. It outlives the lease (a release, an expiry, a restart
                    of an embedded database all keep it), and is written only in a transaction that
                    renews the lease first, so a holder that lost its lease cannot move it.

Each concurrency-critical step is one statement: a claim is one UPDATE ... RETURNING over a
sub-select that skips rows other nodes have locked; a lease is claimed by one INSERT ... ON CONFLICT
DO UPDATE ... WHERE ... RETURNING, renewed and released by one UPDATE or DELETE.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventyard.storage.base import Migration

_SCHEMA = """
CREATE TABLE kernel_timers (
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    due_at DOUBLE PRECISION NOT NULL,
    ready_at DOUBLE PRECISION NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claim TEXT,
    pending INTEGER NOT NULL DEFAULT 0,
    payload TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (owner, key));
CREATE INDEX kernel_timers_ready ON kernel_timers (ready_at);
CREATE INDEX kernel_timers_claim ON kernel_timers (claim);
CREATE TABLE kernel_leases (
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    holder TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (owner, key))
"""

_CHECKPOINTS = """
CREATE TABLE kernel_checkpoints (
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    position TEXT NOT NULL,
    holder TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (owner, key))
"""

MIGRATIONS = [
    Migration("kernel", 1, "timers and leases", _SCHEMA, _SCHEMA),
    Migration("kernel", 2, "checkpoints of leased work", _CHECKPOINTS, _CHECKPOINTS),
]

#: An idle timer: unclaimed, ready when it is due.
_IDLE = "claim = NULL, pending = 0, ready_at = due_at"

#: A timer as handlers see it, in this column order.
TIMER_COLUMNS = "owner, key, due_at, created_at, attempts, payload"


def _marks(count: int) -> str:
    return ", ".join("?" * count)


# --- timers ---------------------------------------------------------------------------------------


def set_timer(c: Any, owner: str, key: str, due: float, payload: str, now: float) -> None:
    """Arm (or re-arm) a timer. One that is being fired now stays with its firing node and is marked
    ``pending``: the firing ends by making it ready at the new due time instead of deleting it."""
    c.execute(
        "INSERT INTO kernel_timers (owner, key, due_at, ready_at, created_at, attempts, claim, pending, payload)"
        " VALUES (?, ?, ?, ?, ?, 0, NULL, 0, ?) ON CONFLICT (owner, key) DO UPDATE SET"
        " due_at = excluded.due_at, payload = excluded.payload, attempts = 0,"
        " ready_at = CASE WHEN kernel_timers.claim IS NULL THEN excluded.ready_at ELSE kernel_timers.ready_at END,"
        " pending = CASE WHEN kernel_timers.claim IS NULL THEN 0 ELSE 1 END",
        (owner, key, due, due, now, payload),
    )


def ensure_timer(c: Any, owner: str, key: str, due: float, payload: str, now: float) -> bool:
    """Arm a timer unless one is armed already (a periodic job's first arming); True when armed now."""
    cursor = c.execute(
        "INSERT INTO kernel_timers (owner, key, due_at, ready_at, created_at, payload) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (owner, key) DO NOTHING",
        (owner, key, due, due, now, payload),
    )
    return bool(cursor.rowcount)


def add_claimed(
    c: Any, owner: str, items: Sequence[tuple[str, str]], due: float, claim: str, until: float
) -> list[tuple[Any, ...]]:
    """Insert new timers (key, payload) already claimed by ``claim`` until ``until``: the node that
    wrote them fires them as soon as its transaction commits, with no claim round trip. Keys must be
    new. Returns the rows in :data:`TIMER_COLUMNS` order."""
    stored: list[tuple[Any, ...]] = []
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
        params = [v for key, payload in chunk for v in (owner, key, due, until, due, claim, payload)]
        stored += c.execute(
            f"INSERT INTO kernel_timers (owner, key, due_at, ready_at, created_at, claim, payload) VALUES {values}"
            f" RETURNING {TIMER_COLUMNS}",
            params,
        ).fetchall()
    return stored


def add_timers(c: Any, owner: str, items: Sequence[tuple[str, str]], due: float) -> None:
    """Insert new timers (key, payload), idle and due at ``due``, for whichever node claims them."""
    c.executemany(
        "INSERT INTO kernel_timers (owner, key, due_at, ready_at, created_at, payload) VALUES (?, ?, ?, ?, ?, ?)",
        [(owner, key, due, due, due, payload) for key, payload in items],
    )


def cancel_timer(c: Any, owner: str, key: str) -> bool:
    return bool(c.execute("DELETE FROM kernel_timers WHERE owner = ? AND key = ?", (owner, key)).rowcount)


def timer_due(c: Any, owner: str, key: str) -> float | None:
    row = c.execute("SELECT due_at FROM kernel_timers WHERE owner = ? AND key = ?", (owner, key)).fetchone()
    return float(row[0]) if row else None


def claim_ready(
    c: Any, owners: Sequence[str], now: float, claim: str, until: float, limit: int
) -> list[tuple[Any, ...]]:
    """Claim up to ``limit`` timers of ``owners`` that are ready at ``now``, earliest first: one statement."""
    return list(
        c.execute(
            "UPDATE kernel_timers SET claim = ?, ready_at = ?, pending = 0 WHERE (owner, key) IN ("
            f" SELECT owner, key FROM kernel_timers WHERE ready_at <= ? AND owner IN ({_marks(len(owners))})"
            f" ORDER BY ready_at LIMIT ?{c.skip_locked}) RETURNING {TIMER_COLUMNS}",
            (claim, until, now, *owners, limit),
        ).fetchall()
    )


def renew_claims(c: Any, claims: Sequence[str], until: float) -> None:
    """Keep this node's claims: their timers are not ready for anyone else before ``until``."""
    for start in range(0, len(claims), 100):
        chunk = claims[start : start + 100]
        c.execute(f"UPDATE kernel_timers SET ready_at = ? WHERE claim IN ({_marks(len(chunk))})", (until, *chunk))


def holds(c: Any, owner: str, key: str, claim: str, until: float) -> bool:
    """True when ``claim`` still holds the timer, renewing it until ``until`` (one statement)."""
    cursor = c.execute(
        "UPDATE kernel_timers SET ready_at = ? WHERE owner = ? AND key = ? AND claim = ?", (until, owner, key, claim)
    )
    return bool(cursor.rowcount)


def finish(c: Any, owner: str, key: str, claim: str) -> None:
    """The firing is over: delete the timer, or if it was set again meanwhile, make it ready then."""
    c.execute(
        "DELETE FROM kernel_timers WHERE owner = ? AND key = ? AND claim = ? AND pending = 0", (owner, key, claim)
    )
    c.execute(
        f"UPDATE kernel_timers SET {_IDLE} WHERE owner = ? AND key = ? AND claim = ? AND pending = 1",
        (owner, key, claim),
    )


def finish_many(c: Any, owner: str, keys: Sequence[str], claim: str) -> None:
    """:func:`finish` for many timers of one owner at once (a batch of deliveries)."""
    for start in range(0, len(keys), 100):
        chunk = keys[start : start + 100]
        marks = _marks(len(chunk))
        c.execute(
            f"DELETE FROM kernel_timers WHERE owner = ? AND claim = ? AND pending = 0 AND key IN ({marks})",
            (owner, claim, *chunk),
        )
        c.execute(
            f"UPDATE kernel_timers SET {_IDLE} WHERE owner = ? AND claim = ? AND pending = 1 AND key IN ({marks})",
            (owner, claim, *chunk),
        )


def rearm(c: Any, owner: str, key: str, claim: str, due: float, payload: str | None, attempts: int) -> None:
    """The firing wants the timer again at ``due``; if it was also set meanwhile, the earlier time wins
    and the newer payload is kept."""
    due_at = "CASE WHEN pending = 1 AND due_at < ? THEN due_at ELSE ? END"
    keep = "" if payload is None else "payload = CASE WHEN pending = 1 THEN payload ELSE ? END, "
    c.execute(
        f"UPDATE kernel_timers SET claim = NULL, due_at = {due_at}, ready_at = {due_at}, {keep}"
        " attempts = CASE WHEN pending = 1 THEN 0 ELSE ? END, pending = 0 WHERE owner = ? AND key = ? AND claim = ?",
        (due, due, due, due, *(() if payload is None else (payload,)), attempts, owner, key, claim),
    )


def hand_over(c: Any, claims: Sequence[str]) -> None:
    """A node stopping cleanly gives its claims up: their timers are ready again at once."""
    for start in range(0, len(claims), 100):
        chunk = claims[start : start + 100]
        c.execute(
            f"UPDATE kernel_timers SET {_IDLE} WHERE claim IN ({_marks(len(chunk))})",
            tuple(chunk),
        )


def claimed_by(c: Any, claim: str) -> list[tuple[str, str]]:
    """(owner, key) of every timer ``claim`` holds."""
    rows = c.execute("SELECT owner, key FROM kernel_timers WHERE claim = ?", (claim,)).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def hand_back(c: Any, keys: Sequence[tuple[str, str]], claim: str) -> None:
    """Give up the claim on these timers: each is ready again at its due time."""
    c.executemany(
        f"UPDATE kernel_timers SET {_IDLE} WHERE owner = ? AND key = ? AND claim = ?",
        [(owner, key, claim) for owner, key in keys],
    )


def release_every_claim(c: Any) -> None:
    """An embedded database has one node: claims left in it are a previous run's, dead with it."""
    c.execute(f"UPDATE kernel_timers SET {_IDLE} WHERE claim IS NOT NULL")


def next_ready(c: Any, owners: Sequence[str]) -> float | None:
    row = c.execute(
        f"SELECT min(ready_at) FROM kernel_timers WHERE owner IN ({_marks(len(owners))})", tuple(owners)
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else None


def count_timers(c: Any, owner: str) -> int:
    return int(c.execute("SELECT count(*) FROM kernel_timers WHERE owner = ?", (owner,)).fetchone()[0])


# --- leases ---------------------------------------------------------------------------------------


def claim_lease(c: Any, owner: str, key: str, holder: str, now: float, until: float) -> bool:
    """Take the lease if it is free, expired, or already ``holder``'s: one statement."""
    row = c.execute(
        "INSERT INTO kernel_leases (owner, key, holder, expires_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (owner, key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
        " WHERE kernel_leases.holder = excluded.holder OR kernel_leases.expires_at <= ? RETURNING holder",
        (owner, key, holder, until, now),
    ).fetchone()
    return row is not None


def renew_lease(c: Any, owner: str, key: str, holder: str, until: float) -> bool:
    cursor = c.execute(
        "UPDATE kernel_leases SET expires_at = ? WHERE owner = ? AND key = ? AND holder = ?",
        (until, owner, key, holder),
    )
    return bool(cursor.rowcount)


def steal_lease(c: Any, owner: str, key: str, victim: str, holder: str, until: float) -> bool:
    """Take a live lease from ``victim`` (only if it still holds it): one statement. The victim learns
    of it when its next renewal fails."""
    cursor = c.execute(
        "UPDATE kernel_leases SET holder = ?, expires_at = ? WHERE owner = ? AND key = ? AND holder = ?",
        (holder, until, owner, key, victim),
    )
    return bool(cursor.rowcount)


def release_lease(c: Any, owner: str, key: str, holder: str) -> bool:
    cursor = c.execute("DELETE FROM kernel_leases WHERE owner = ? AND key = ? AND holder = ?", (owner, key, holder))
    return bool(cursor.rowcount)


def lease_holder(c: Any, owner: str, key: str, now: float) -> str | None:
    row = c.execute(
        "SELECT holder FROM kernel_leases WHERE owner = ? AND key = ? AND expires_at > ?", (owner, key, now)
    ).fetchone()
    return str(row[0]) if row else None


def leases_of(c: Any, owner: str, now: float) -> list[tuple[str, str, float]]:
    """(key, holder, expires_at) of the live leases of ``owner``."""
    rows = c.execute(
        "SELECT key, holder, expires_at FROM kernel_leases WHERE owner = ? AND expires_at > ? ORDER BY key",
        (owner, now),
    ).fetchall()
    return [(str(r[0]), str(r[1]), float(r[2])) for r in rows]


def release_every_lease(c: Any) -> None:
    """An embedded database has one node: leases left in it are a previous run's, dead with it."""
    c.execute("DELETE FROM kernel_leases")


# --- checkpoints of leased work -------------------------------------------------------------------


def set_checkpoint(c: Any, owner: str, key: str, position: str, holder: str, now: float) -> None:
    """Record how far the work of a lease got. The caller renews the lease in the same transaction
    first (that UPDATE also locks the lease row, so a steal waits for this commit)."""
    c.execute(
        "INSERT INTO kernel_checkpoints (owner, key, position, holder, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (owner, key) DO UPDATE SET position = excluded.position, holder = excluded.holder,"
        " updated_at = excluded.updated_at",
        (owner, key, position, holder, now),
    )


def start_checkpoint(c: Any, owner: str, key: str, position: str, holder: str, now: float) -> str:
    """Record ``position`` unless a checkpoint exists; returns the checkpoint as it is now."""
    c.execute(
        "INSERT INTO kernel_checkpoints (owner, key, position, holder, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (owner, key) DO NOTHING",
        (owner, key, position, holder, now),
    )
    found = checkpoint_of(c, owner, key)
    assert found is not None
    return found


def checkpoint_of(c: Any, owner: str, key: str) -> str | None:
    row = c.execute("SELECT position FROM kernel_checkpoints WHERE owner = ? AND key = ?", (owner, key)).fetchone()
    return str(row[0]) if row else None


def checkpoints_of(c: Any, owner: str) -> dict[str, str]:
    """key -> position of every checkpoint of ``owner``."""
    rows = c.execute("SELECT key, position FROM kernel_checkpoints WHERE owner = ?", (owner,)).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}
