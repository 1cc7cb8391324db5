"""PostgreSQL, for several nodes sharing one database.

The same job/group-commit shape as SQLite, over a psycopg 3 connection with
``synchronous_commit=on``. Several Eventyard processes may share one database: cross-node
exclusion comes from row locks (``FOR UPDATE SKIP LOCKED``) in the stores' SQL, never from
process memory. ``?schema=NAME`` in the URL puts every table in that schema (created if missing),
which is how test runs keep apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from eventyard.storage.base import Database, ForeignKeyViolation, UniqueViolation

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
    shared_by_nodes = True
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.schema = split_schema(url)

    def channel(self, name: str) -> str:
        """A NOTIFY channel of this schema: test runs and tenants sharing one server stay apart."""
        return f"eventyard_{name}_{self.schema or 'public'}".lower()

    async def listen(self, channel: str, deliver: Callable[[str], None]) -> Listener:
        listener = Listener(self.url, self.channel(channel), deliver)
        await asyncio.to_thread(listener.start, asyncio.get_running_loop())
        return listener

    def _translate(self, error: Exception) -> Exception:
        errors = _driver().errors
        if isinstance(error, errors.ForeignKeyViolation):
            return ForeignKeyViolation.caused_by(error)
        if isinstance(error, errors.UniqueViolation):
            return UniqueViolation.caused_by(error)
        return error

    def _connect(self) -> Any:
        psycopg = _driver()
        connection = psycopg.connect(self.url, autocommit=True)
        connection.execute("SET synchronous_commit = on")
        if self.schema:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.schema):
                raise ValueError(f"invalid schema name {self.schema!r}")
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            connection.execute(f'SET search_path TO "{self.schema}"')
        return _Translating(connection, self.channel)

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
    """A psycopg connection that takes ``?`` placeholders, so stores share SQL text with SQLite,
    with the capabilities stores ask of a connection (see ``storage.base``)."""

    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, connection: Any, channel: Callable[[str], str]) -> None:
        self.raw = connection
        self._channel = channel
        self._cache: dict[str, str] = {}

    def notify(self, channel: str, payload: str) -> None:
        """Wake :meth:`PostgresDatabase.listen` on every node once this transaction commits."""
        self.raw.execute("SELECT pg_notify(%s, %s)", (self._channel(channel), payload))

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


class Listener:
    """A thread LISTENing on one channel with its own connection (a LISTENing connection cannot run
    the group-commit jobs), handing each payload to ``deliver`` on the event loop that started it."""

    def __init__(self, url: str, channel: str, deliver: Callable[[str], None]) -> None:
        self.url = url
        self.channel = channel
        self.deliver = deliver
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        connection = _driver().connect(self.url, autocommit=True)
        connection.execute(f"LISTEN {self.channel}")
        self._loop = loop
        self._thread = threading.Thread(target=self._listen, args=(connection,), name="eventyard-listen", daemon=True)
        self._thread.start()

    def _listen(self, connection: Any) -> None:
        try:
            while not self._stop.is_set():
                for notification in connection.notifies(timeout=0.1):
                    self._forward(notification.payload)
                    if self._stop.is_set():
                        break
        except Exception:  # the connection went away: listeners fall back to their own deadlines
            pass
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def _forward(self, payload: str) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed under us
                loop.call_soon_threadsafe(self.deliver, payload)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
