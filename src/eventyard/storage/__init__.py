"""Storage: one database handle per yard, shared by every service's store.

A :class:`~eventyard.storage.base.Database` runs small pieces of synchronous SQL work ("jobs") on
one connection in its own thread, and commits many concurrent jobs in one transaction (group
commit): a job's ``await`` returns only after its transaction is durable. SQLite (embedded, the
default), PostgreSQL (several nodes) and memory (SQLite without a file, not durable) share that
shape, so each service writes its store once per SQL dialect, not once per driver.
"""

from eventyard.storage.base import Database, Migration, open_database

__all__ = ["Database", "Migration", "open_database"]
