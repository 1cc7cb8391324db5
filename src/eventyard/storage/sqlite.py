"""SQLite, the embedded default: WAL, ``synchronous=FULL``, one connection, group commit.

``synchronous=FULL`` in WAL mode fsyncs the log on every COMMIT, so a job that returned survives
``kill -9`` and power loss; group commit (see :class:`~eventyard.storage.base.Database`) spreads that
one fsync over every job that was waiting. ``:memory:`` gives the memory store: same SQL, no file,
nothing durable.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from typing import Any

from eventyard.storage.base import Database, ForeignKeyViolation, Migration, UniqueViolation


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

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.durable = path != ":memory:"

    def _connect(self) -> sqlite3.Connection:
        if self.durable:
            directory = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(directory, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so group commit is explicit.
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, factory=Connection)
        if self.durable:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
        else:
            connection.execute("PRAGMA journal_mode=MEMORY")
            connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA busy_timeout=5000")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA temp_store=MEMORY")
        connection.execute("PRAGMA cache_size=-65536")
        return connection

    def start(self, migrations: Sequence[Migration] = ()) -> None:
        super().start(migrations)
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

    def _translate(self, error: Exception) -> Exception:
        name = getattr(error, "sqlite_errorname", "")
        if name == "SQLITE_CONSTRAINT_FOREIGNKEY":
            return ForeignKeyViolation.caused_by(error)
        if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
            return UniqueViolation.caused_by(error)
        return error

    def _begin(self, connection: Any) -> None:
        connection.execute("BEGIN IMMEDIATE")

    def _commit(self, connection: Any) -> None:
        connection.execute("COMMIT")

    def _rollback(self, connection: Any) -> None:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
