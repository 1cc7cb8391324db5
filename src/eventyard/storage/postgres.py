"""PostgreSQL, for several nodes sharing one database.

The same job/group-commit shape as SQLite, over a psycopg 3 connection with
``synchronous_commit=on``. Several Eventyard processes may share one database: cross-node
exclusion comes from row locks (``FOR UPDATE SKIP LOCKED``) in the stores' SQL, never from
process memory. ``?schema=NAME`` in the URL puts every table in that schema (created if missing),
which is how test runs keep apart.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from eventyard.storage.base import Database

_QUESTION_MARK = re.compile(r"\?")


def _driver() -> Any:
    try:
        import psycopg
    except ImportError as error:  # pragma: no cover - depends on the install
        raise RuntimeError("PostgreSQL support needs psycopg: pip install 'eventyard[postgres]'") from error
    return psycopg


def split_schema(url: str) -> tuple[str, str | None]:
    """Take Eventyard's own ``schema`` query parameter out of a libpq URL."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    schema = next((value for key, value in query if key == "schema"), None)
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


class PostgresDatabase(Database):
    dialect = "postgres"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.schema = split_schema(url)

    def _connect(self) -> Any:
        psycopg = _driver()
        connection = psycopg.connect(self.url, autocommit=True)
        connection.execute("SET synchronous_commit = on")
        if self.schema:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.schema):
                raise ValueError(f"invalid schema name {self.schema!r}")
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            connection.execute(f'SET search_path TO "{self.schema}"')
        return _Translating(connection)

    def _alive(self, connection: Any) -> bool:
        return not connection.raw.closed and not connection.raw.broken

    def _begin(self, connection: Any) -> None:
        connection.execute("BEGIN")

    def _commit(self, connection: Any) -> None:
        connection.execute("COMMIT")

    def _rollback(self, connection: Any) -> None:
        connection.execute("ROLLBACK")

    def _lock_migrations(self, connection: Any) -> None:
        connection.execute("SELECT pg_advisory_xact_lock(4566)")


def to_format_style(sql: str) -> str:
    """``?`` -> ``%s`` (and a literal ``%`` -> ``%%``): stores write SQL once with ``?``."""
    return _QUESTION_MARK.sub("%s", sql.replace("%", "%%"))


class _Translating:
    """A psycopg connection that takes ``?`` placeholders, so stores share SQL text with SQLite."""

    def __init__(self, connection: Any) -> None:
        self.raw = connection
        self._cache: dict[str, str] = {}

    def _sql(self, sql: str) -> str:
        translated = self._cache.get(sql)
        if translated is None:
            translated = self._cache[sql] = to_format_style(sql)
        return translated

    def execute(self, sql: str, params: Any = None) -> Any:
        if params is None:
            return self.raw.execute(sql)
        return self.raw.execute(self._sql(sql), params, prepare=True)

    def executemany(self, sql: str, params: Any) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(self._sql(sql), params)
        return cursor

    def close(self) -> None:
        self.raw.close()
