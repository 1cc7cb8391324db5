"""Event source mappings and their Kinesis checkpoints: every statement on them.

Tables (one SQL text for SQLite and PostgreSQL)::

    lambda_event_source_mappings  one row per mapping, by ``uuid``: the namespace (account, region),
                                  ``function_arn`` and ``source_arn`` (what List filters and the
                                  duplicate check look up), ``state`` (Creating, Enabled, Disabling,
                                  ...; the pollers read it before each batch), ``config`` the AWS
                                  members GetEventSourceMapping answers (JSON), ``created_at``.
      lambda_esm_function (account, region, function_arn), lambda_esm_source (account, region,
      source_arn): List by function, List by source and the duplicate check.
    lambda_esm_checkpoints        per (mapping, shard): the sequence number of the last record of
                                  the shard the mapping is done with (delivered, or given up on),
                                  written in the transaction that re-arms the shard's poller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.storage.base import Migration

_SCHEMA = """
CREATE TABLE lambda_event_source_mappings (
    uuid TEXT NOT NULL PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    function_arn TEXT NOT NULL,
    source_arn TEXT NOT NULL,
    state TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL);
CREATE INDEX lambda_esm_function ON lambda_event_source_mappings (account, region, function_arn);
CREATE INDEX lambda_esm_source ON lambda_event_source_mappings (account, region, source_arn);
CREATE TABLE lambda_esm_checkpoints (
    uuid TEXT NOT NULL,
    shard_id TEXT NOT NULL,
    sequence_number TEXT NOT NULL,
    PRIMARY KEY (uuid, shard_id))
"""

MIGRATIONS = [Migration("lambda.mappings", 1, "event source mappings and checkpoints", _SCHEMA, _SCHEMA)]

_COLUMNS = "uuid, account, region, function_arn, source_arn, state, config, created_at"


@dataclass(slots=True)
class Mapping:
    uuid: str
    account: str
    region: str
    function_arn: str
    source_arn: str
    state: str
    config: dict[str, Any]  # AWS member names, as GetEventSourceMapping shows them (State included)
    created_at: float

    @property
    def kind(self) -> str:
        """``sqs`` or ``kinesis``: the service the source ARN names."""
        return self.source_arn.split(":")[2]


def _mapping(row: Any) -> Mapping:
    uuid, account, region, function_arn, source_arn, state, config, created = row
    return Mapping(str(uuid), account, region, function_arn, source_arn, state, orjson.loads(config), float(created))


def insert(c: Any, mapping: Mapping) -> None:
    c.execute(
        f"INSERT INTO lambda_event_source_mappings ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            mapping.uuid,
            mapping.account,
            mapping.region,
            mapping.function_arn,
            mapping.source_arn,
            mapping.state,
            orjson.dumps(mapping.config).decode(),
            mapping.created_at,
        ),
    )


def get(c: Any, uuid: str, *, for_update: bool = False) -> Mapping | None:
    lock = c.for_update if for_update else ""
    row = c.execute(f"SELECT {_COLUMNS} FROM lambda_event_source_mappings WHERE uuid = ?{lock}", (uuid,)).fetchone()
    return None if row is None else _mapping(row)


def save(c: Any, mapping: Mapping) -> None:
    """Write a mapping's state and configuration back (its identity never changes)."""
    c.execute(
        "UPDATE lambda_event_source_mappings SET state = ?, config = ?, function_arn = ? WHERE uuid = ?",
        (mapping.state, orjson.dumps(mapping.config).decode(), mapping.function_arn, mapping.uuid),
    )


def delete(c: Any, uuid: str) -> None:
    c.execute("DELETE FROM lambda_esm_checkpoints WHERE uuid = ?", (uuid,))
    c.execute("DELETE FROM lambda_event_source_mappings WHERE uuid = ?", (uuid,))


def find(
    c: Any, account: str, region: str, *, function_arns: tuple[str, ...] = (), source_arn: str | None = None
) -> list[Mapping]:
    """The mappings of a namespace, oldest first, for any of ``function_arns`` and/or one source."""
    where, params = ["account = ?", "region = ?"], [account, region]
    if function_arns:
        where.append(f"function_arn IN ({', '.join('?' * len(function_arns))})")
        params += function_arns
    if source_arn is not None:
        where.append("source_arn = ?")
        params.append(source_arn)
    rows = c.execute(
        f"SELECT {_COLUMNS} FROM lambda_event_source_mappings WHERE {' AND '.join(where)} ORDER BY created_at, uuid",
        params,
    ).fetchall()
    return [_mapping(row) for row in rows]


# --- checkpoints ------------------------------------------------------------------------------------


def checkpoint(c: Any, uuid: str, shard_id: str) -> str | None:
    row = c.execute(
        "SELECT sequence_number FROM lambda_esm_checkpoints WHERE uuid = ? AND shard_id = ?", (uuid, shard_id)
    ).fetchone()
    return None if row is None else str(row[0])


def set_checkpoint(c: Any, uuid: str, shard_id: str, sequence_number: str) -> None:
    c.execute(
        "INSERT INTO lambda_esm_checkpoints (uuid, shard_id, sequence_number) VALUES (?, ?, ?)"
        " ON CONFLICT (uuid, shard_id) DO UPDATE SET sequence_number = excluded.sequence_number",
        (uuid, shard_id, sequence_number),
    )


def checkpoints_at(c: Any, uuid: str, sequence_number: str) -> set[str]:
    """The shards of a mapping whose checkpoint is ``sequence_number`` (the shards read to their end)."""
    rows = c.execute(
        "SELECT shard_id FROM lambda_esm_checkpoints WHERE uuid = ? AND sequence_number = ?", (uuid, sequence_number)
    ).fetchall()
    return {str(row[0]) for row in rows}


def set_last_result(c: Any, uuid: str, result: str) -> None:
    """Record a stream mapping's LastProcessingResult (on the row as it is now: an Update may have changed it)."""
    mapping = get(c, uuid, for_update=True)
    if mapping is not None and mapping.config.get("LastProcessingResult") != result:
        mapping.config["LastProcessingResult"] = result
        save(c, mapping)
