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

from eventyard.storage.base import Database, Migration


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
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
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
            reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            reader.execute("PRAGMA query_only=1")
            reader.execute("PRAGMA busy_timeout=5000")
            reader.execute("PRAGMA cache_size=-16384")
            self._reader = reader

    def stop(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        super().stop()

    def _begin(self, connection: Any) -> None:
        connection.execute("BEGIN IMMEDIATE")

    def _commit(self, connection: Any) -> None:
        connection.execute("COMMIT")

    def _rollback(self, connection: Any) -> None:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
