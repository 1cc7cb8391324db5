"""The idempotency records of Powertools' ``@idempotent``, and every statement on them.

Table (one SQL text for SQLite and PostgreSQL)::

    idempotency_records  one row per idempotency key (``<function>#<hash of the key's data>``), as
                         Powertools' DynamoDB layer keeps one item: ``status`` INPROGRESS or
                         COMPLETED, ``expiry`` (Unix seconds) after which the record no longer
                         counts, ``in_progress_expiry`` (Unix milliseconds, NULL when the caller gave
                         no Lambda context) after which an INPROGRESS record is taken to belong to a
                         call that died, ``payload_hash`` for payload validation, ``response_data``
                         the JSON result of a completed call.

The claim of a key is one statement: an INSERT that, on a conflict, takes the row over only where
it no longer counts (expired, or in progress past its in-progress expiry), RETURNING the key. No
row back means someone else holds the key, whatever the other writers do meanwhile.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from eventyard.storage.base import Migration

_SCHEMA = """
CREATE TABLE idempotency_records (
    idempotency_key TEXT NOT NULL PRIMARY KEY,
    status TEXT NOT NULL,
    expiry BIGINT,
    in_progress_expiry BIGINT,
    payload_hash TEXT NOT NULL DEFAULT '',
    response_data TEXT NOT NULL DEFAULT '')
"""

MIGRATIONS = [Migration("idempotency", 1, "idempotency records", _SCHEMA, _SCHEMA)]

_COLUMNS = "idempotency_key, status, expiry, in_progress_expiry, payload_hash, response_data"


class Row(NamedTuple):
    idempotency_key: str
    status: str
    expiry: int | None
    in_progress_expiry: int | None
    payload_hash: str
    response_data: str


def _row(found: Any) -> Row | None:
    if found is None:
        return None
    key, status, expiry, in_progress, payload_hash, response = found
    return Row(
        str(key),
        str(status),
        None if expiry is None else int(expiry),
        None if in_progress is None else int(in_progress),
        str(payload_hash),
        str(response),
    )


def get(c: Any, key: str) -> Row | None:
    return _row(c.execute(f"SELECT {_COLUMNS} FROM idempotency_records WHERE idempotency_key = ?", (key,)).fetchone())


def claim(c: Any, record: Row, now: int, now_ms: int) -> Row | None:
    """Write ``record`` unless a record that still counts holds its key; None when written, else that record.

    A record still counts unless its ``expiry`` passed, or it is INPROGRESS with an
    ``in_progress_expiry`` that passed (the conditions of Powertools' DynamoDB layer).
    """
    written = c.execute(
        f"INSERT INTO idempotency_records ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (idempotency_key) DO UPDATE SET status = excluded.status, expiry = excluded.expiry,"
        " in_progress_expiry = excluded.in_progress_expiry, payload_hash = excluded.payload_hash,"
        " response_data = excluded.response_data"
        " WHERE idempotency_records.expiry < ? OR (idempotency_records.status = 'INPROGRESS'"
        " AND idempotency_records.in_progress_expiry IS NOT NULL AND idempotency_records.in_progress_expiry < ?)"
        " RETURNING idempotency_key",
        (*record, now, now_ms),
    ).fetchone()
    return None if written is not None else get(c, record.idempotency_key)


def complete(c: Any, key: str, status: str, expiry: int | None, response_data: str, payload_hash: str | None) -> None:
    """Record a call's outcome (``payload_hash`` None: leave the stored one)."""
    if payload_hash is None:
        c.execute(
            "UPDATE idempotency_records SET status = ?, expiry = ?, response_data = ? WHERE idempotency_key = ?",
            (status, expiry, response_data, key),
        )
    else:
        c.execute(
            "UPDATE idempotency_records SET status = ?, expiry = ?, response_data = ?, payload_hash = ?"
            " WHERE idempotency_key = ?",
            (status, expiry, response_data, payload_hash, key),
        )


def delete(c: Any, key: str) -> None:
    c.execute("DELETE FROM idempotency_records WHERE idempotency_key = ?", (key,))
