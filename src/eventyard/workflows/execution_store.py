"""The tables of Standard executions: the executions, their histories, their task attempts.

Tables (one SQL text for SQLite and PostgreSQL)::

    sfn_definitions   definition text by its SHA-256: an execution runs the definition it started
                      with (an UpdateStateMachine later does not change it), stored once however
                      many executions share it.
    sfn_executions    one row per Standard execution. ``status`` RUNNING, SUCCEEDED, FAILED,
                      TIMED_OUT, ABORTED or PENDING_REDRIVE; ``snapshot`` is the interpreter's
                      state between two steps (JSON: every thread's state, input, variables,
                      retry counts and current task attempt), NULL once it ended;
                      ``history_length`` counts its committed history events. ``parent_token``
                      names the task attempt of a parent execution waiting for this one (``.sync``).
      sfn_executions_machine (state_machine_arn, started_at): ListExecutions of a state machine,
                          newest first.
      sfn_executions_running (state_machine_arn) WHERE status = 'RUNNING': whether a machine has
                          running executions (asked when each execution ends: without it, the
                          question scans every execution the machine ever had), and the restart's
                          reconciliation.
    sfn_history       the events of each execution, appended (never rewritten): a row holds the
                      events one commit appended, keyed by its last event's id (see ``events``).
    sfn_attempts      one row per Task attempt whose outcome must outlive the coroutine that made
                      it: callbacks (``.waitForTaskToken``: the token is the attempt id), activity
                      tasks, ``.sync`` children, and effects recorded exactly once. ``status``
                      waiting, started (an activity worker took it), succeeded or failed.
      sfn_attempts_activity (activity_arn, status, created_at): GetActivityTask's oldest waiting task.
      sfn_attempts_execution (execution_arn): an execution's attempts, read when it resumes.
    sfn_map_runs      one row per Distributed Map run: its status, and in ``settings`` (JSON) its
                      MaxConcurrency, tolerated failures and item counts.
      sfn_map_runs_execution (execution_arn, started_at): ListMapRuns of an execution.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.storage.base import Migration

_SCHEMA = """
CREATE TABLE sfn_definitions (
    hash TEXT PRIMARY KEY,
    definition TEXT NOT NULL);
CREATE TABLE sfn_executions (
    execution_arn TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL,
    version_arn TEXT,
    alias_arn TEXT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    definition_hash TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    started_at DOUBLE PRECISION NOT NULL,
    stopped_at DOUBLE PRECISION,
    snapshot TEXT,
    history_length INTEGER NOT NULL DEFAULT 0,
    redrive_count INTEGER NOT NULL DEFAULT 0,
    redrive_at DOUBLE PRECISION,
    parent_token TEXT,
    trace_header TEXT,
    details TEXT NOT NULL DEFAULT '{}');
CREATE INDEX sfn_executions_machine ON sfn_executions (state_machine_arn, started_at);
CREATE TABLE sfn_history (
    execution_arn TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (execution_arn, event_id));
CREATE TABLE sfn_attempts (
    token TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    kind TEXT NOT NULL,
    activity_arn TEXT,
    status TEXT NOT NULL,
    worker TEXT,
    input TEXT,
    output TEXT,
    error TEXT,
    cause TEXT,
    heartbeat_at DOUBLE PRECISION,
    created_at DOUBLE PRECISION NOT NULL,
    started_at DOUBLE PRECISION);
CREATE INDEX sfn_attempts_activity ON sfn_attempts (activity_arn, status, created_at);
CREATE INDEX sfn_attempts_execution ON sfn_attempts (execution_arn);
CREATE TABLE sfn_map_runs (
    map_run_arn TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    stopped_at DOUBLE PRECISION,
    settings TEXT NOT NULL);
CREATE INDEX sfn_map_runs_execution ON sfn_map_runs (execution_arn, started_at)
"""

_RUNNING_INDEX = "CREATE INDEX sfn_executions_running ON sfn_executions (state_machine_arn) WHERE status = 'RUNNING'"

MIGRATIONS = [
    Migration("states.executions", 1, "executions, histories, task attempts", _SCHEMA, _SCHEMA),
    Migration("states.executions", 2, "running executions by machine", _RUNNING_INDEX, _RUNNING_INDEX),
]

ENDED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
_COLUMNS = (
    "execution_arn, account, region, state_machine_arn, version_arn, alias_arn, name, status, definition_hash,"
    " role_arn, input, output, error, cause, started_at, stopped_at, snapshot, history_length, redrive_count,"
    " redrive_at, parent_token, trace_header, details"
)


@dataclass(slots=True)
class ExecutionRow:
    execution_arn: str
    account: str
    region: str
    state_machine_arn: str
    version_arn: str | None
    alias_arn: str | None
    name: str
    status: str
    definition_hash: str
    role_arn: str
    input: str
    output: str | None
    error: str | None
    cause: str | None
    started_at: float
    stopped_at: float | None
    snapshot: str | None
    history_length: int
    redrive_count: int
    redrive_at: float | None
    parent_token: str | None
    trace_header: str | None
    details: str

    @classmethod
    def from_row(cls, row: Any) -> ExecutionRow:
        return cls(*row)


@dataclass(slots=True)
class Attempt:
    token: str
    execution_arn: str
    kind: str  # callback, activity, child, effect
    activity_arn: str | None
    status: str  # waiting, started, succeeded, failed
    worker: str | None
    input: str | None
    output: str | None
    error: str | None
    cause: str | None
    heartbeat_at: float | None
    created_at: float
    started_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> Attempt:
        return cls(*row)


_ATTEMPT_COLUMNS = (
    "token, execution_arn, kind, activity_arn, status, worker, input, output, error, cause, heartbeat_at,"
    " created_at, started_at"
)


def definition_hash(definition: str) -> str:
    return hashlib.sha256(definition.encode()).hexdigest()


# --- executions -----------------------------------------------------------------------------------


def insert_execution(
    c: Any, row: ExecutionRow, definition: str, first_event: dict[str, Any], later: Sequence[dict[str, Any]] = ()
) -> bool:
    """A new execution, its ExecutionStarted event (and the ``later`` ones of an execution that ran to
    its end before its start committed); False when an execution of that ARN exists."""
    c.execute(
        "INSERT INTO sfn_definitions (hash, definition) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING",
        (row.definition_hash, definition),
    )
    cursor = c.execute(
        f"INSERT INTO sfn_executions ({_COLUMNS}) VALUES ({', '.join('?' * 23)})"
        " ON CONFLICT (execution_arn) DO NOTHING",
        (
            row.execution_arn, row.account, row.region, row.state_machine_arn, row.version_arn, row.alias_arn,
            row.name, row.status, row.definition_hash, row.role_arn, row.input, row.output, row.error, row.cause,
            row.started_at, row.stopped_at, row.snapshot, row.history_length, row.redrive_count, row.redrive_at,
            row.parent_token, row.trace_header, row.details,
        ),
    )  # fmt: skip
    if not cursor.rowcount:
        return False
    add_events(c, row.execution_arn, [first_event, *later])
    return True


def execution(c: Any, execution_arn: str, *, for_update: bool = False) -> ExecutionRow | None:
    lock = c.for_update if for_update else ""
    row = c.execute(f"SELECT {_COLUMNS} FROM sfn_executions WHERE execution_arn = ?{lock}", (execution_arn,)).fetchone()
    return ExecutionRow.from_row(row) if row else None


def definition(c: Any, digest: str) -> str | None:
    row = c.execute("SELECT definition FROM sfn_definitions WHERE hash = ?", (digest,)).fetchone()
    return str(row[0]) if row else None


def save_progress(c: Any, execution_arn: str, snapshot: str | None, history_length: int) -> None:
    c.execute(
        "UPDATE sfn_executions SET snapshot = ?, history_length = ? WHERE execution_arn = ?",
        (snapshot, history_length, execution_arn),
    )


def finish_execution(
    c: Any,
    execution_arn: str,
    status: str,
    output: str | None,
    error: str | None,
    cause: str | None,
    stopped_at: float,
    history_length: int,
    snapshot: str | None = None,
) -> None:
    c.execute(
        "UPDATE sfn_executions SET status = ?, output = ?, error = ?, cause = ?, stopped_at = ?, snapshot = ?,"
        " history_length = ? WHERE execution_arn = ?",
        (status, output, error, cause, stopped_at, snapshot, history_length, execution_arn),
    )


def redrive_execution(c: Any, execution_arn: str, redrive_at: float, history_length: int) -> None:
    c.execute(
        "UPDATE sfn_executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, stopped_at = NULL,"
        " redrive_count = redrive_count + 1, redrive_at = ?, history_length = ? WHERE execution_arn = ?",
        (redrive_at, history_length, execution_arn),
    )


def list_executions(
    c: Any,
    state_machine_arn: str,
    status: str | None,
    after: tuple[float, str] | None,
    limit: int,
    version_arn: str | None = None,
) -> list[ExecutionRow]:
    """A state machine's executions, newest first, after a (started_at, arn) position."""
    sql = f"SELECT {_COLUMNS} FROM sfn_executions WHERE state_machine_arn = ?"
    params: list[Any] = [state_machine_arn]
    if version_arn is not None:
        sql += " AND version_arn = ?"
        params.append(version_arn)
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    if after is not None:
        sql += " AND (started_at < ? OR (started_at = ? AND execution_arn < ?))"
        params += [after[0], after[0], after[1]]
    sql += " ORDER BY started_at DESC, execution_arn DESC LIMIT ?"
    params.append(limit)
    return [ExecutionRow.from_row(row) for row in c.execute(sql, params).fetchall()]


def has_running(c: Any, state_machine_arn: str) -> bool:
    row = c.execute(
        "SELECT 1 FROM sfn_executions WHERE state_machine_arn = ? AND status = 'RUNNING' LIMIT 1", (state_machine_arn,)
    ).fetchone()
    return row is not None


def running_without_timer(c: Any) -> list[str]:
    """RUNNING executions (a restart checks each has its timer)."""
    return [str(r[0]) for r in c.execute("SELECT execution_arn FROM sfn_executions WHERE status = 'RUNNING'")]


# --- history ----------------------------------------------------------------------------------------


def add_events(c: Any, execution_arn: str, events: Sequence[dict[str, Any]]) -> None:
    """Append events (consecutive ids): one row for them all, keyed by the last id (see ``events``)."""
    if not events:
        return
    body = orjson.dumps(events[0] if len(events) == 1 else list(events)).decode()
    c.execute(
        "INSERT INTO sfn_history (execution_arn, event_id, body) VALUES (?, ?, ?)",
        (execution_arn, events[-1]["id"], body),
    )


def events(c: Any, execution_arn: str, after: int, limit: int, reverse: bool = False) -> list[dict[str, Any]]:
    """Up to ``limit`` events past id ``after`` (before it, newest first, when ``reverse``).

    A row of ``sfn_history`` holds the events one commit appended: one event (a JSON object) or
    several with consecutive ids (a JSON array), keyed by the id of its last event; a commit of
    many steps writes one row instead of one per event. Rows cover consecutive ranges of ids, so
    the row holding id ``n`` is the first row whose key is ``n`` or more.
    """
    if reverse:
        cursor = c.execute(
            "SELECT body FROM sfn_history WHERE execution_arn = ? AND event_id <= COALESCE("
            "(SELECT MIN(event_id) FROM sfn_history WHERE execution_arn = ? AND event_id >= ?), ?)"
            " ORDER BY event_id DESC",
            (execution_arn, execution_arn, after, after),
        )
    else:
        cursor = c.execute(
            "SELECT body FROM sfn_history WHERE execution_arn = ? AND event_id > ? ORDER BY event_id",
            (execution_arn, after),
        )
    found: list[dict[str, Any]] = []
    while len(found) < limit:
        rows = cursor.fetchmany(16)
        if not rows:
            break
        for (body,) in rows:
            chunk = orjson.loads(body)
            chunk = chunk if isinstance(chunk, list) else [chunk]
            if reverse:
                found += [event for event in reversed(chunk) if event["id"] < after]
            else:
                found += [event for event in chunk if event["id"] > after]
    return found[:limit]


# --- task attempts ----------------------------------------------------------------------------------


def add_attempt(
    c: Any,
    token: str,
    execution_arn: str,
    kind: str,
    now: float,
    *,
    status: str = "waiting",
    activity_arn: str | None = None,
    input: str | None = None,
    output: str | None = None,
    error: str | None = None,
    cause: str | None = None,
) -> None:
    c.execute(
        f"INSERT INTO sfn_attempts ({_ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL, ?, NULL)"
        " ON CONFLICT (token) DO NOTHING",
        (token, execution_arn, kind, activity_arn, status, input, output, error, cause, now),
    )


def attempt(c: Any, token: str, *, for_update: bool = False) -> Attempt | None:
    lock = c.for_update if for_update else ""
    row = c.execute(f"SELECT {_ATTEMPT_COLUMNS} FROM sfn_attempts WHERE token = ?{lock}", (token,)).fetchone()
    return Attempt.from_row(row) if row else None


def attempts_of(c: Any, execution_arn: str) -> list[Attempt]:
    rows = c.execute(f"SELECT {_ATTEMPT_COLUMNS} FROM sfn_attempts WHERE execution_arn = ?", (execution_arn,))
    return [Attempt.from_row(row) for row in rows.fetchall()]


def resolve_attempt(c: Any, token: str, status: str, output: str | None, error: str | None, cause: str | None) -> bool:
    """Record a waiting (or started) attempt's outcome; False when it had one already or is unknown."""
    cursor = c.execute(
        "UPDATE sfn_attempts SET status = ?, output = ?, error = ?, cause = ?"
        " WHERE token = ? AND status IN ('waiting', 'started')",
        (status, output, error, cause, token),
    )
    return bool(cursor.rowcount)


def heartbeat(c: Any, token: str, now: float) -> bool:
    cursor = c.execute(
        "UPDATE sfn_attempts SET heartbeat_at = ? WHERE token = ? AND status IN ('waiting', 'started')", (now, token)
    )
    return bool(cursor.rowcount)


def waiting_callbacks(c: Any, execution_arn: str) -> list[str]:
    """The task tokens an execution waits on (``.waitForTaskToken``), oldest first: what SendTaskSuccess
    or SendTaskFailure may resolve now. AWS has no operation that lists them; the console reads this."""
    rows = c.execute(
        "SELECT token FROM sfn_attempts WHERE execution_arn = ? AND kind = 'callback' AND status = 'waiting'"
        " ORDER BY created_at",
        (execution_arn,),
    ).fetchall()
    return [str(row[0]) for row in rows]


def take_activity_task(c: Any, activity_arn: str, worker: str | None, now: float) -> Attempt | None:
    """The oldest waiting task of an activity, marked started by ``worker``: one claim per task."""
    row = c.execute(
        "SELECT token FROM sfn_attempts WHERE activity_arn = ? AND status = 'waiting'"
        f" ORDER BY created_at LIMIT 1{c.skip_locked}",
        (activity_arn,),
    ).fetchone()
    if row is None:
        return None
    c.execute(
        "UPDATE sfn_attempts SET status = 'started', worker = ?, started_at = ?, heartbeat_at = ? WHERE token = ?",
        (worker, now, now, row[0]),
    )
    return attempt(c, str(row[0]))


def forget_attempts(c: Any, tokens: Sequence[str]) -> None:
    c.executemany("DELETE FROM sfn_attempts WHERE token = ?", [(token,) for token in tokens])


# --- map runs ---------------------------------------------------------------------------------------


def put_map_run(
    c: Any, map_run_arn: str, execution_arn: str, status: str, now: float, settings: dict[str, Any]
) -> None:
    """Record a map run's start or end; an end keeps the start time and the settings UpdateMapRun made."""
    stopped = now if status != "RUNNING" else None
    c.execute(
        "INSERT INTO sfn_map_runs (map_run_arn, execution_arn, status, started_at, stopped_at, settings)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (map_run_arn) DO UPDATE SET status = excluded.status,"
        " stopped_at = excluded.stopped_at, settings = excluded.settings",
        (map_run_arn, execution_arn, status, now, stopped, orjson.dumps(settings).decode()),
    )


def map_run(c: Any, map_run_arn: str) -> tuple[str, str, str, float, float | None, dict[str, Any]] | None:
    row = c.execute(
        "SELECT map_run_arn, execution_arn, status, started_at, stopped_at, settings FROM sfn_map_runs"
        " WHERE map_run_arn = ?",
        (map_run_arn,),
    ).fetchone()
    return (row[0], row[1], row[2], float(row[3]), row[4], orjson.loads(row[5])) if row else None


def map_runs_of(c: Any, execution_arn: str) -> list[tuple[str, float, float | None]]:
    rows = c.execute(
        "SELECT map_run_arn, started_at, stopped_at FROM sfn_map_runs WHERE execution_arn = ? ORDER BY started_at",
        (execution_arn,),
    ).fetchall()
    return [(str(r[0]), float(r[1]), r[2]) for r in rows]


def update_map_run(c: Any, map_run_arn: str, changes: dict[str, Any]) -> bool:
    found = map_run(c, map_run_arn)
    if found is None:
        return False
    settings = {**found[5], **changes}
    c.execute(
        "UPDATE sfn_map_runs SET settings = ? WHERE map_run_arn = ?", (orjson.dumps(settings).decode(), map_run_arn)
    )
    return True
