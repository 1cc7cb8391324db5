"""SQLite, the embedded default: WAL, one connection, group commit, the log fsynced beside the writer.

A job returns once its COMMIT is in the write-ahead log and the log is fsynced, so what returned
survives ``kill -9`` and power loss. The writer commits with ``synchronous=NORMAL`` and goes on with
the next batch while :class:`~eventyard.storage.wal_sync.WalSync` fsyncs the log and answers the
jobs it covers (one fsync for every batch committed meanwhile); ``EVENTYARD_SQLITE_SYNC=full``
makes every COMMIT fsync the log itself instead (``synchronous=FULL``, answers at once), for
comparison. Group commit (see :class:`~eventyard.storage.base.Database`) spreads each fsync over
every job that was waiting. ``:memory:`` gives the memory store: same SQL, no file, nothing durable.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from eventyard.storage import wal_sync
from eventyard.storage.base import (
    Database,
    ForeignKeyViolation,
    Job,
    Migration,
    Outcomes,
    T,
    UniqueViolation,
    dispatch,
)
from eventyard.storage.wal_sync import WalSync

log = logging.getLogger("eventyard.storage")


def _pipelined() -> bool:
    """True unless ``EVENTYARD_SQLITE_SYNC=full`` asks for an fsync inside every COMMIT."""
    setting = os.environ.get("EVENTYARD_SQLITE_SYNC", "pipelined").strip().lower()
    if setting not in ("pipelined", "full"):
        log.warning("EVENTYARD_SQLITE_SYNC=%r is neither 'pipelined' nor 'full': pipelined", setting)
    return setting != "full"


class Connection(sqlite3.Connection):
    """sqlite3's connection with the capabilities stores ask of a connection (see ``storage.base``).

    One writer serialises every transaction, so no row needs a lock, and no other node listens.
    """

    for_update = ""
    skip_locked = ""

    def notify(self, channel: str, payload: str) -> None:
        """Nobody else can write this database: there is no one to wake."""


class SQLiteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: str, fsync: Callable[[int], None] = os.fsync) -> None:
        super().__init__()
        self.path = path
        self._fsync = fsync
        self.durable = path != ":memory:"
        self.pipelined = self.durable and _pipelined()
        self._sync: WalSync | None = None
        self._real_path = os.path.realpath(path) if self.durable else path

    def _connect(self) -> sqlite3.Connection:
        if self.durable:
            directory = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(directory, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so group commit is explicit.
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, factory=Connection)
        if self.durable:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL" if self.pipelined else "PRAGMA synchronous=FULL")
        else:
            connection.execute("PRAGMA journal_mode=MEMORY")
            connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA busy_timeout=5000")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA temp_store=MEMORY")
        connection.execute("PRAGMA cache_size=-65536")
        return connection

    def start(self, migrations: Sequence[Migration] = ()) -> None:
        if self.pipelined and self._sync is None:
            self._sync = WalSync(self.path, dispatch, self._fsync)
        try:
            super().start(migrations)
        except BaseException:
            self._stop_sync()
            raise
        if self.durable and self._reader is None:
            # WAL lets readers see the last committed state while the writer works: reads need not
            # queue behind writes. query_only makes sure nothing is ever written through it.
            reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, factory=Connection)
            reader.execute("PRAGMA query_only=1")
            reader.execute("PRAGMA busy_timeout=5000")
            reader.execute("PRAGMA cache_size=-16384")
            self._reader = reader

    def stop(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        super().stop()
        self._stop_sync()  # after the writer: it answers the last commits, then ends

    def _stop_sync(self) -> None:
        sync, self._sync = self._sync, None
        if sync is not None:
            sync.stop()

    async def read(self, work: Job[T]) -> T:
        """Read beside the writer, then wait (if need be) until every commit the read could see is
        durable: this handle's and those of any other handle this process has on the file."""
        if not self.durable:
            return await super().read(work)
        try:
            return await super().read(work)
        finally:  # an error may tell of a commit too ("already exists")
            await wal_sync.durable(self._real_path)

    def _translate(self, error: Exception) -> Exception:
        name = getattr(error, "sqlite_errorname", "")
        if name == "SQLITE_CONSTRAINT_FOREIGNKEY":
            return ForeignKeyViolation.caused_by(error)
        if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
            return UniqueViolation.caused_by(error)
        return error

    def _begin(self, connection: Any) -> None:
        sync = self._sync
        if sync is not None and sync.broken is not None:  # see wal_sync: nothing may be written any more
            raise sync.broken
        connection.execute("BEGIN IMMEDIATE")

    def _commit(self, connection: Any) -> None:
        sync = self._sync
        if sync is None:
            connection.execute("COMMIT")
            return
        sync.committing()
        try:
            connection.execute("COMMIT")
        finally:
            sync.ended()

    def _answer(self, outcomes: Outcomes, committed: bool) -> None:
        if committed and self._sync is not None:
            self._sync.answer(outcomes)
        else:
            dispatch(outcomes)

    def _rollback(self, connection: Any) -> None:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
