"""Lambda's storage: functions, their published versions, code, aliases and event invoke configs.
All the functions service's SQL is here.

Tables (one text for SQLite and PostgreSQL; ``{BLOB}`` is BLOB or BYTEA):

``lambda_functions``      one row per function: its ``$LATEST`` configuration (JSON, AWS member
                          names), tags (JSON), resource policy statements (JSON), reserved
                          concurrency (NULL: none), the last version number published.
``lambda_versions``       one row per published version: the configuration frozen at publish time.
``lambda_code``           the zip archives, by function and CodeSha256 (base64 SHA-256, as AWS
                          reports it): $LATEST and every version that still uses one refer to it.
``lambda_aliases``        one row per alias: FunctionVersion, Description, RoutingConfig, RevisionId.
``lambda_event_configs``  PutFunctionEventInvokeConfig's settings, per function and qualifier.

Asynchronous invokes are kernel timers (``async_invokes.py``), written in the Invoke transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from eventyard.storage.base import Migration

_SCHEMA = """
CREATE TABLE lambda_functions (
    account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, config TEXT NOT NULL,
    tags TEXT NOT NULL, policy TEXT NOT NULL, reserved INTEGER, last_version INTEGER NOT NULL,
    created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (account, region, name));
CREATE TABLE lambda_versions (
    account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
    config TEXT NOT NULL, PRIMARY KEY (account, region, name, version));
CREATE TABLE lambda_code (
    account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, sha TEXT NOT NULL, zip {BLOB} NOT NULL,
    PRIMARY KEY (account, region, name, sha));
CREATE TABLE lambda_aliases (
    account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, alias TEXT NOT NULL, config TEXT NOT NULL,
    PRIMARY KEY (account, region, name, alias));
CREATE TABLE lambda_event_configs (
    account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL, config TEXT NOT NULL,
    PRIMARY KEY (account, region, name, qualifier))
"""

MIGRATIONS = [
    Migration(
        "functions",
        1,
        "functions, versions, code, aliases, event invoke configs",
        _SCHEMA.format(BLOB="BLOB"),
        _SCHEMA.format(BLOB="BYTEA"),
    )
]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass
class Function:
    """A function's row: ``config`` is its ``$LATEST`` FunctionConfiguration as stored."""

    account: str
    region: str
    name: str
    config: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    policy: list[dict[str, Any]] = field(default_factory=list)
    reserved: int | None = None
    last_version: int = 0


_FUNCTION = "SELECT account, region, name, config, tags, policy, reserved, last_version FROM lambda_functions"


def _function(row: Any) -> Function:
    reserved = None if row[6] is None else int(row[6])
    return Function(
        row[0], row[1], row[2], orjson.loads(row[3]), orjson.loads(row[4]), orjson.loads(row[5]), reserved, int(row[7])
    )


# --- functions ------------------------------------------------------------------------------------


def get_function(c: Any, account: str, region: str, name: str, *, for_update: bool = False) -> Function | None:
    row = c.execute(
        _FUNCTION + " WHERE account = ? AND region = ? AND name = ?" + (c.for_update if for_update else ""),
        (account, region, name),
    ).fetchone()
    return _function(row) if row else None


def insert_function(c: Any, function: Function, now: float) -> bool:
    """Insert unless a function of that name exists; True when inserted."""
    cursor = c.execute(
        "INSERT INTO lambda_functions (account, region, name, config, tags, policy, reserved, last_version, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, name) DO NOTHING",
        (function.account, function.region, function.name, _json(function.config), _json(function.tags),
         _json(function.policy), function.reserved, function.last_version, now),
    )  # fmt: skip
    return bool(cursor.rowcount)


def update_function(c: Any, function: Function) -> None:
    c.execute(
        "UPDATE lambda_functions SET config = ?, tags = ?, policy = ?, reserved = ?, last_version = ?"
        " WHERE account = ? AND region = ? AND name = ?",
        (_json(function.config), _json(function.tags), _json(function.policy), function.reserved,
         function.last_version, function.account, function.region, function.name),
    )  # fmt: skip


def delete_function(c: Any, account: str, region: str, name: str) -> bool:
    """Delete a function and everything of it; True when it existed."""
    key = (account, region, name)
    for table in ("lambda_versions", "lambda_code", "lambda_aliases", "lambda_event_configs"):
        c.execute(f"DELETE FROM {table} WHERE account = ? AND region = ? AND name = ?", key)
    cursor = c.execute("DELETE FROM lambda_functions WHERE account = ? AND region = ? AND name = ?", key)
    return bool(cursor.rowcount)


def page_functions(c: Any, account: str, region: str, after: str, limit: int) -> list[Function]:
    """Functions after ``after`` in name order, at most ``limit``."""
    rows = c.execute(
        _FUNCTION + " WHERE account = ? AND region = ? AND name > ? ORDER BY name LIMIT ?",
        (account, region, after, limit),
    ).fetchall()
    return [_function(row) for row in rows]


def usage(c: Any, account: str, region: str) -> tuple[int, int]:
    """(function count, total code bytes) of an (account, region)."""
    count = c.execute(
        "SELECT COUNT(*) FROM lambda_functions WHERE account = ? AND region = ?", (account, region)
    ).fetchone()
    size = c.execute(
        "SELECT COALESCE(SUM(LENGTH(zip)), 0) FROM lambda_code WHERE account = ? AND region = ?", (account, region)
    ).fetchone()
    return int(count[0]), int(size[0])


def reserved_total(c: Any, account: str, region: str) -> int:
    row = c.execute(
        "SELECT COALESCE(SUM(reserved), 0) FROM lambda_functions WHERE account = ? AND region = ?", (account, region)
    ).fetchone()
    return int(row[0])


# --- versions -------------------------------------------------------------------------------------


def insert_version(c: Any, account: str, region: str, name: str, version: int, config: dict[str, Any]) -> None:
    c.execute(
        "INSERT INTO lambda_versions (account, region, name, version, config) VALUES (?, ?, ?, ?, ?)",
        (account, region, name, version, _json(config)),
    )


def get_version(c: Any, account: str, region: str, name: str, version: int) -> dict[str, Any] | None:
    row = c.execute(
        "SELECT config FROM lambda_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
        (account, region, name, version),
    ).fetchone()
    return orjson.loads(row[0]) if row else None


def versions_of(c: Any, account: str, region: str, name: str) -> list[dict[str, Any]]:
    rows = c.execute(
        "SELECT config FROM lambda_versions WHERE account = ? AND region = ? AND name = ? ORDER BY version",
        (account, region, name),
    ).fetchall()
    return [orjson.loads(row[0]) for row in rows]


def delete_version(c: Any, account: str, region: str, name: str, version: int) -> bool:
    cursor = c.execute(
        "DELETE FROM lambda_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
        (account, region, name, version),
    )
    return bool(cursor.rowcount)


# --- code -----------------------------------------------------------------------------------------


def put_code(c: Any, account: str, region: str, name: str, sha: str, archive: bytes) -> None:
    c.execute(
        "INSERT INTO lambda_code (account, region, name, sha, zip) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (account, region, name, sha) DO NOTHING",
        (account, region, name, sha, archive),
    )


def get_code(c: Any, account: str, region: str, name: str, sha: str) -> bytes | None:
    row = c.execute(
        "SELECT zip FROM lambda_code WHERE account = ? AND region = ? AND name = ? AND sha = ?",
        (account, region, name, sha),
    ).fetchone()
    return bytes(row[0]) if row else None


def drop_unused_code(c: Any, account: str, region: str, name: str, keep: set[str]) -> None:
    """Forget the archives neither $LATEST nor a version uses any more (``keep``: those in use)."""
    rows = c.execute(
        "SELECT sha FROM lambda_code WHERE account = ? AND region = ? AND name = ?", (account, region, name)
    ).fetchall()
    for (sha,) in rows:
        if sha not in keep:
            c.execute(
                "DELETE FROM lambda_code WHERE account = ? AND region = ? AND name = ? AND sha = ?",
                (account, region, name, sha),
            )


# --- aliases and event invoke configs (same shape: a JSON document per (function, key)) ------------


def _get_doc(c: Any, table: str, column: str, account: str, region: str, name: str, key: str) -> Any:
    row = c.execute(
        f"SELECT config FROM {table} WHERE account = ? AND region = ? AND name = ? AND {column} = ?",
        (account, region, name, key),
    ).fetchone()
    return orjson.loads(row[0]) if row else None


def _put_doc(c: Any, table: str, column: str, account: str, region: str, name: str, key: str, doc: Any) -> None:
    c.execute(
        f"INSERT INTO {table} (account, region, name, {column}, config) VALUES (?, ?, ?, ?, ?)"
        f" ON CONFLICT (account, region, name, {column}) DO UPDATE SET config = excluded.config",
        (account, region, name, key, _json(doc)),
    )


def _delete_doc(c: Any, table: str, column: str, account: str, region: str, name: str, key: str) -> bool:
    cursor = c.execute(
        f"DELETE FROM {table} WHERE account = ? AND region = ? AND name = ? AND {column} = ?",
        (account, region, name, key),
    )
    return bool(cursor.rowcount)


def _docs(c: Any, table: str, column: str, account: str, region: str, name: str) -> list[Any]:
    rows = c.execute(
        f"SELECT config FROM {table} WHERE account = ? AND region = ? AND name = ? ORDER BY {column}",
        (account, region, name),
    ).fetchall()
    return [orjson.loads(row[0]) for row in rows]


def get_alias(c: Any, account: str, region: str, name: str, alias: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = _get_doc(c, "lambda_aliases", "alias", account, region, name, alias)
    return found


def put_alias(c: Any, account: str, region: str, name: str, alias: str, doc: dict[str, Any]) -> None:
    _put_doc(c, "lambda_aliases", "alias", account, region, name, alias, doc)


def delete_alias(c: Any, account: str, region: str, name: str, alias: str) -> bool:
    return _delete_doc(c, "lambda_aliases", "alias", account, region, name, alias)


def aliases_of(c: Any, account: str, region: str, name: str) -> list[dict[str, Any]]:
    return _docs(c, "lambda_aliases", "alias", account, region, name)


def get_event_config(c: Any, account: str, region: str, name: str, qualifier: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = _get_doc(c, "lambda_event_configs", "qualifier", account, region, name, qualifier)
    return found


def put_event_config(c: Any, account: str, region: str, name: str, qualifier: str, doc: dict[str, Any]) -> None:
    _put_doc(c, "lambda_event_configs", "qualifier", account, region, name, qualifier, doc)


def delete_event_config(c: Any, account: str, region: str, name: str, qualifier: str) -> bool:
    return _delete_doc(c, "lambda_event_configs", "qualifier", account, region, name, qualifier)


def event_configs_of(c: Any, account: str, region: str, name: str) -> list[dict[str, Any]]:
    return _docs(c, "lambda_event_configs", "qualifier", account, region, name)


def event_config_qualifiers(c: Any, account: str, region: str, name: str) -> list[str]:
    rows = c.execute(
        "SELECT qualifier FROM lambda_event_configs WHERE account = ? AND region = ? AND name = ? ORDER BY qualifier",
        (account, region, name),
    ).fetchall()
    return [str(row[0]) for row in rows]
