"""The Step Functions catalogue's tables, and every statement on them.

Tables (one SQL text for SQLite and PostgreSQL). Every row is keyed by its ARN (text), so the
execution side's tables refer to a state machine, a version or an alias by the ARN a caller uses,
never by a row id::

    sfn_state_machines  one row per state machine, unique per (account, region, name). ``definition``
                        is the text exactly as given (AWS's idempotency check compares the text);
                        ``logging``, ``tracing`` and ``encryption`` are the configurations as
                        DescribeStateMachine shows them (JSON; ``encryption`` NULL when none was
                        given). ``revision_id`` is NULL until an UpdateStateMachine changes something,
                        as AWS shows no revision before that. ``created_with`` keeps the ``publish``
                        and ``versionDescription`` of the CreateStateMachine request, which AWS's
                        idempotency check also compares. ``next_version`` numbers the next published
                        version (numbers are never reused, even after a version is deleted).
                        ``status`` is ACTIVE or DELETING; ``tags`` a JSON object in insertion order.
      (account, region, name) unique: ListStateMachines pages through it in name order.
    sfn_state_machine_versions  one row per published version: the machine's configuration as it
                        was when published, with its revision and description. Deleting a machine
                        cascades to its versions.
      (machine_arn, version) unique: ListStateMachineVersions (newest first) and the next number.
    sfn_state_machine_aliases  one row per alias; ``routing`` is the routing configuration as given
                        (a JSON list of {stateMachineVersionArn, weight}). Cascades with its machine.
      sfn_state_machine_aliases_machine (machine_arn, created_at): an alias list, oldest first.
    sfn_activities      one row per activity, unique per (account, region, name); ``encryption`` is
                        JSON, ``tags`` a JSON object.
      (account, region, name) unique: ListActivities pages through it in name order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from eventyard.storage.base import Migration

_SCHEMA = """
CREATE TABLE sfn_state_machines (
    arn TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    logging TEXT NOT NULL,
    tracing TEXT NOT NULL,
    encryption TEXT,
    revision_id TEXT,
    created_with TEXT NOT NULL,
    tags TEXT NOT NULL,
    next_version INTEGER NOT NULL DEFAULT 1,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    UNIQUE (account, region, name));
CREATE TABLE sfn_state_machine_versions (
    arn TEXT PRIMARY KEY,
    machine_arn TEXT NOT NULL REFERENCES sfn_state_machines (arn) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    logging TEXT NOT NULL,
    tracing TEXT NOT NULL,
    encryption TEXT,
    revision_id TEXT,
    description TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    UNIQUE (machine_arn, version));
CREATE TABLE sfn_state_machine_aliases (
    arn TEXT PRIMARY KEY,
    machine_arn TEXT NOT NULL REFERENCES sfn_state_machines (arn) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    routing TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL);
CREATE INDEX sfn_state_machine_aliases_machine ON sfn_state_machine_aliases (machine_arn, created_at);
CREATE TABLE sfn_activities (
    arn TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    encryption TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    UNIQUE (account, region, name))
"""

COMPONENT = "states.catalogue"
MIGRATIONS = [Migration(COMPONENT, 1, "state machines, versions, aliases, activities", _SCHEMA, _SCHEMA)]

Json = dict[str, Any]


def _dumps(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode("utf-8")


def _loads(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


@dataclass(frozen=True)
class Configuration:
    """What a revision of a state machine is: the part a version freezes."""

    definition: str
    role_arn: str
    logging: Json
    tracing: Json
    encryption: Json | None
    revision_id: str | None


@dataclass(frozen=True)
class MachineRow:
    arn: str
    account: str
    region: str
    name: str
    type: str
    status: str
    config: Configuration
    created_with: Json
    tags: dict[str, str]
    next_version: int
    created_at: float
    updated_at: float

    def with_config(self, config: Configuration, now: float) -> MachineRow:
        return replace(self, config=config, updated_at=now)


@dataclass(frozen=True)
class VersionRow:
    arn: str
    machine_arn: str
    version: int
    config: Configuration
    description: str | None
    created_at: float


@dataclass(frozen=True)
class AliasRow:
    arn: str
    machine_arn: str
    name: str
    description: str | None
    routing: list[Json]
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class ActivityRow:
    arn: str
    account: str
    region: str
    name: str
    encryption: Json
    tags: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0


# --- state machines --------------------------------------------------------------------------------

_MACHINE_COLUMNS = (
    "arn, account, region, name, type, status, definition, role_arn, logging, tracing, encryption,"
    " revision_id, created_with, tags, next_version, created_at, updated_at"
)


def _machine(row: Any) -> MachineRow:
    config = Configuration(row[6], row[7], _loads(row[8]), _loads(row[9]), _loads(row[10]), row[11])
    return MachineRow(
        row[0], row[1], row[2], row[3], row[4], row[5], config, _loads(row[12]), _loads(row[13]),
        int(row[14]), float(row[15]), float(row[16]),
    )  # fmt: skip


def machine(c: Any, arn: str, *, lock: bool = False) -> MachineRow | None:
    """The machine with this (unqualified) ARN; ``lock`` holds its row until the job commits, so a
    read-modify-write on another node waits (a no-op where one writer serialises everything)."""
    row = c.execute(
        f"SELECT {_MACHINE_COLUMNS} FROM sfn_state_machines WHERE arn = ?" + (c.for_update if lock else ""), (arn,)
    ).fetchone()
    return _machine(row) if row else None


def insert_machine(c: Any, m: MachineRow) -> bool:
    """Insert unless a machine of that name exists (then False)."""
    cfg = m.config
    cursor = c.execute(
        f"INSERT INTO sfn_state_machines ({_MACHINE_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            m.arn, m.account, m.region, m.name, m.type, m.status, cfg.definition, cfg.role_arn, _dumps(cfg.logging),
            _dumps(cfg.tracing), _dumps(cfg.encryption), cfg.revision_id, _dumps(m.created_with), _dumps(m.tags),
            m.next_version, m.created_at, m.updated_at,
        ),
    )  # fmt: skip
    return bool(cursor.rowcount)


def update_machine(c: Any, m: MachineRow) -> None:
    """Store a machine's configuration, status, tags and version counter."""
    cfg = m.config
    c.execute(
        "UPDATE sfn_state_machines SET status = ?, definition = ?, role_arn = ?, logging = ?, tracing = ?,"
        " encryption = ?, revision_id = ?, tags = ?, next_version = ?, updated_at = ? WHERE arn = ?",
        (
            m.status, cfg.definition, cfg.role_arn, _dumps(cfg.logging), _dumps(cfg.tracing), _dumps(cfg.encryption),
            cfg.revision_id, _dumps(m.tags), m.next_version, m.updated_at, m.arn,
        ),
    )  # fmt: skip


def machines_page(c: Any, account: str, region: str, after: str, limit: int) -> list[MachineRow]:
    """Up to ``limit`` machines of a namespace whose names sort after ``after``, in name order."""
    rows = c.execute(
        f"SELECT {_MACHINE_COLUMNS} FROM sfn_state_machines WHERE account = ? AND region = ? AND name > ?"
        " ORDER BY name LIMIT ?",
        (account, region, after, limit),
    ).fetchall()
    return [_machine(row) for row in rows]


def delete_machine(c: Any, arn: str) -> None:
    """The machine, its versions and its aliases (the foreign keys cascade; said here for clarity)."""
    c.execute("DELETE FROM sfn_state_machine_aliases WHERE machine_arn = ?", (arn,))
    c.execute("DELETE FROM sfn_state_machine_versions WHERE machine_arn = ?", (arn,))
    c.execute("DELETE FROM sfn_state_machines WHERE arn = ?", (arn,))


# --- versions -----------------------------------------------------------------------------------------

_VERSION_COLUMNS = (
    "arn, machine_arn, version, definition, role_arn, logging, tracing, encryption, revision_id, description,"
    " created_at"
)


def _version(row: Any) -> VersionRow:
    config = Configuration(row[3], row[4], _loads(row[5]), _loads(row[6]), _loads(row[7]), row[8])
    return VersionRow(row[0], row[1], int(row[2]), config, row[9], float(row[10]))


def version(c: Any, arn: str) -> VersionRow | None:
    row = c.execute(f"SELECT {_VERSION_COLUMNS} FROM sfn_state_machine_versions WHERE arn = ?", (arn,)).fetchone()
    return _version(row) if row else None


def versions_of(c: Any, machine_arn: str) -> list[VersionRow]:
    """Every version of a machine, newest first."""
    rows = c.execute(
        f"SELECT {_VERSION_COLUMNS} FROM sfn_state_machine_versions WHERE machine_arn = ? ORDER BY version DESC",
        (machine_arn,),
    ).fetchall()
    return [_version(row) for row in rows]


def insert_version(c: Any, v: VersionRow) -> None:
    cfg = v.config
    c.execute(
        f"INSERT INTO sfn_state_machine_versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            v.arn, v.machine_arn, v.version, cfg.definition, cfg.role_arn, _dumps(cfg.logging), _dumps(cfg.tracing),
            _dumps(cfg.encryption), cfg.revision_id, v.description, v.created_at,
        ),
    )  # fmt: skip


def delete_version(c: Any, arn: str) -> None:
    c.execute("DELETE FROM sfn_state_machine_versions WHERE arn = ?", (arn,))


# --- aliases ------------------------------------------------------------------------------------------

_ALIAS_COLUMNS = "arn, machine_arn, name, description, routing, created_at, updated_at"


def _alias(row: Any) -> AliasRow:
    return AliasRow(row[0], row[1], row[2], row[3], _loads(row[4]), float(row[5]), float(row[6]))


def alias(c: Any, arn: str, *, lock: bool = False) -> AliasRow | None:
    row = c.execute(
        f"SELECT {_ALIAS_COLUMNS} FROM sfn_state_machine_aliases WHERE arn = ?" + (c.for_update if lock else ""),
        (arn,),
    ).fetchone()
    return _alias(row) if row else None


def aliases_of(c: Any, machine_arn: str) -> list[AliasRow]:
    """Every alias of a machine, oldest first (as AWS-recorded listings show them)."""
    rows = c.execute(
        f"SELECT {_ALIAS_COLUMNS} FROM sfn_state_machine_aliases WHERE machine_arn = ? ORDER BY created_at, name",
        (machine_arn,),
    ).fetchall()
    return [_alias(row) for row in rows]


def put_alias(c: Any, a: AliasRow) -> None:
    c.execute(
        f"INSERT INTO sfn_state_machine_aliases ({_ALIAS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (arn) DO UPDATE SET description = excluded.description, routing = excluded.routing,"
        " updated_at = excluded.updated_at",
        (a.arn, a.machine_arn, a.name, a.description, _dumps(a.routing), a.created_at, a.updated_at),
    )


def delete_alias(c: Any, arn: str) -> None:
    c.execute("DELETE FROM sfn_state_machine_aliases WHERE arn = ?", (arn,))


# --- activities ---------------------------------------------------------------------------------------

_ACTIVITY_COLUMNS = "arn, account, region, name, encryption, tags, created_at"


def _activity(row: Any) -> ActivityRow:
    return ActivityRow(row[0], row[1], row[2], row[3], _loads(row[4]), _loads(row[5]), float(row[6]))


def activity(c: Any, arn: str) -> ActivityRow | None:
    row = c.execute(f"SELECT {_ACTIVITY_COLUMNS} FROM sfn_activities WHERE arn = ?", (arn,)).fetchone()
    return _activity(row) if row else None


def insert_activity(c: Any, a: ActivityRow) -> bool:
    """Insert unless an activity of that name exists (then False)."""
    cursor = c.execute(
        f"INSERT INTO sfn_activities ({_ACTIVITY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (a.arn, a.account, a.region, a.name, _dumps(a.encryption), _dumps(a.tags), a.created_at),
    )
    return bool(cursor.rowcount)


def activities_page(c: Any, account: str, region: str, after: str, limit: int) -> list[ActivityRow]:
    rows = c.execute(
        f"SELECT {_ACTIVITY_COLUMNS} FROM sfn_activities WHERE account = ? AND region = ? AND name > ?"
        " ORDER BY name LIMIT ?",
        (account, region, after, limit),
    ).fetchall()
    return [_activity(row) for row in rows]


def delete_activity(c: Any, arn: str) -> None:
    c.execute("DELETE FROM sfn_activities WHERE arn = ?", (arn,))


def set_activity_tags(c: Any, arn: str, tags: dict[str, str]) -> None:
    c.execute("UPDATE sfn_activities SET tags = ? WHERE arn = ?", (_dumps(tags), arn))


def activity_tags(c: Any, arn: str, *, lock: bool = False) -> dict[str, str] | None:
    row = c.execute("SELECT tags FROM sfn_activities WHERE arn = ?" + (c.for_update if lock else ""), (arn,)).fetchone()
    return _loads(row[0]) if row else None
