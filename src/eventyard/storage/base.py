"""The database handle every store is built on: jobs, group commit, migrations and capabilities.

Stores never ask which database they run on. They ask what it can do:

- ``shared_by_nodes``: several Eventyard processes may use this database at once (PostgreSQL), so
  a row another node may change needs a lock, and nothing may be assumed about leases and claims
  left by a previous run (on an embedded database they can only be this node's own);
- ``for_update`` / ``skip_locked``: the locking clause to append to a SELECT that must lock the
  rows it reads, or skip the rows another node has locked ('' where one writer serialises every
  transaction anyway). Connections carry the same two attributes, for stores written as functions
  of a connection;
- ``connection.notify(channel, payload)`` inside a job and :meth:`Database.listen` outside one:
  wake-ups across nodes (a no-op, and None, where there is only one node);
- :class:`ForeignKeyViolation` and :class:`UniqueViolation`: what a constraint failure raises,
  whatever the driver.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

#: How many queued jobs one transaction takes at most; bounds the latency of the first job.
MAX_BATCH = 256


class Cursor(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    @property
    def rowcount(self) -> int: ...


class Connection(Protocol):
    """What a job sees: sqlite3's and psycopg's connections both fit."""

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ...) -> Any: ...

    def executemany(self, sql: str, params: Any) -> Any: ...


Job = Callable[[Any], T]


class StorageError(Exception):
    """A database failure a store may want to tell apart from others (the driver's error is ``__cause__``)."""

    @classmethod
    def caused_by(cls, error: Exception) -> StorageError:
        translated = cls(str(error))
        translated.__cause__ = error
        return translated


class ForeignKeyViolation(StorageError):
    """A row refers to one that is not there (e.g. a message for a queue another node deleted)."""


class UniqueViolation(StorageError):
    """A row would repeat a unique key."""


class SchemaTooNew(StorageError):
    """The database was migrated by a newer Eventyard than this one."""


@dataclass(frozen=True)
class Migration:
    """One numbered schema change of one component (``kernel``, ``queues``, ``bus``...), per SQL dialect.

    Migrations apply in the order the yard lists them (the kernel's first), each component's in
    version order; ``eventyard_migrations`` records what was applied.
    """

    component: str
    version: int
    name: str
    sqlite: str
    postgres: str

    def script(self, dialect: str) -> str:
        return self.sqlite if dialect == "sqlite" else self.postgres


class _Pending:
    __slots__ = ("future", "loop", "work", "write")

    def __init__(self, work: Job[Any], future: asyncio.Future[Any], loop: asyncio.AbstractEventLoop, write: bool):
        self.work = work
        self.future = future
        self.loop = loop
        self.write = write


#: What a batch's callers are told, by the event loop each one waits on: (future, result, error).
Outcomes = dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, BaseException | None]]]


def dispatch(outcomes: Outcomes) -> None:
    """Resume each caller on its own event loop with its job's result or error."""
    for loop, settled in outcomes.items():
        try:
            loop.call_soon_threadsafe(_settle, settled)
        except RuntimeError:  # that loop is closed: its callers are gone
            pass


def _settle(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in outcomes:
        if future.done():  # the caller gave up (cancelled); the work is committed all the same
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class Database:
    """One connection in one thread, fed by a queue of jobs; subclasses bring the driver.

    ``write(job)`` runs ``job(connection)`` inside a transaction shared with every other job that
    was waiting at the same moment, each under its own savepoint so one job's error rolls back that
    job alone. The awaiting caller is resumed only after COMMIT returned, so success means durable
    (as durable as the driver's settings: SQLite ``synchronous=FULL``, PostgreSQL
    ``synchronous_commit=on``). Jobs run strictly one after another, which makes each one atomic
    with respect to the others on this node.
    """

    dialect: str = ""  # for migrations only: stores use the capabilities below
    durable: bool = True
    #: Several processes may use this database at once (see the module doc).
    shared_by_nodes: bool = False
    #: SQL appended to a SELECT that must lock the rows it reads until the transaction ends.
    for_update: str = ""
    #: SQL appended to a SELECT that claims rows: lock them, and pass over rows others hold.
    skip_locked: str = ""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.commits = 0
        self.jobs_committed = 0
        #: A read-only connection used on the event loop's thread, where the store allows one.
        self._reader: Any = None

    # --- driver hooks ----------------------------------------------------------------------------

    def _connect(self) -> Any:
        raise NotImplementedError

    def _begin(self, connection: Any) -> None:
        raise NotImplementedError

    def _commit(self, connection: Any) -> None:
        raise NotImplementedError

    def _rollback(self, connection: Any) -> None:
        raise NotImplementedError

    def _close(self, connection: Any) -> None:
        connection.close()

    def _translate(self, error: Exception) -> Exception:
        """The driver's constraint errors as :class:`StorageError` subclasses; others unchanged."""
        return error

    async def listen(self, channel: str, deliver: Callable[[str], None]) -> Listener | None:
        """Call ``deliver(payload)`` (on the caller's event loop) for each ``connection.notify`` that
        another node commits on ``channel``; None where no other node can write (nothing to hear)."""
        return None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self, migrations: Sequence[Migration] = ()) -> None:
        """Open the connection in the worker thread and apply pending migrations."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._serve, args=(list(migrations),), name="eventyard-db", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    def stop(self) -> None:
        if self._thread is None:
            return
        self._jobs.put(None)
        self._thread.join()
        self._thread = None

    # --- jobs ------------------------------------------------------------------------------------

    async def write(self, work: Job[T]) -> T:
        """Run ``work(connection)`` in a group-committed transaction; returns once it is durable."""
        return await self._submit(work, True)

    async def read(self, work: Job[T]) -> T:
        """Run ``work(connection)`` on committed data.

        Stores that can read beside the writer (SQLite in WAL mode) run small reads right here on
        the caller's thread, which spares the hop to the worker thread; the others queue the read
        with the writes.
        """
        reader = self._reader
        if reader is not None:
            return work(reader)
        return await self._submit(work, False)

    def _submit(self, work: Job[T], write: bool) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Pending(work, future, loop, write))
        return future

    def run_sync(self, work: Job[T]) -> T:
        """Run a write job from a thread without an event loop (migrations, tools)."""
        result: list[Any] = []
        failure: list[BaseException] = []
        done = threading.Event()

        async def once() -> None:
            result.append(await self.write(work))

        def runner() -> None:
            try:
                asyncio.run(once())
            except BaseException as error:
                failure.append(error)
            finally:
                done.set()

        threading.Thread(target=runner).start()
        done.wait()
        if failure:
            raise failure[0]
        return result[0]

    # --- the worker thread -----------------------------------------------------------------------

    def _serve(self, migrations: list[Migration]) -> None:
        try:
            connection = self._connect()
            self._migrate(connection, migrations)
        except BaseException as error:  # report it to start() instead of dying silently
            self._startup_error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                first = self._jobs.get()
                if first is None:
                    return
                batch = [first]
                stopping = False
                while len(batch) < MAX_BATCH:
                    try:
                        nxt = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stopping = True
                        break
                    batch.append(nxt)
                self._run_batch(connection, batch)
                if not self._alive(connection):
                    connection = self._reconnect(connection)
                if stopping:
                    return
        finally:
            self._close(connection)

    def _alive(self, connection: Any) -> bool:
        """False once the connection is lost (a database server restarted, a network cut)."""
        return True

    def _reconnect(self, lost: Any) -> Any:
        """Open a new connection after a lost one, retrying with back-off; jobs wait meanwhile.

        The batch that met the loss failed as a whole (nothing in it was acknowledged), so nothing
        acknowledged is lost; later jobs run on the new connection.
        """
        try:
            self._close(lost)
        except Exception:
            pass
        delay = 0.1
        while True:
            try:
                return self._connect()
            except Exception:
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _run_batch(self, connection: Any, batch: list[_Pending]) -> None:
        outcomes: Outcomes = {}
        committed = False
        writes = any(p.write for p in batch)
        try:
            self._begin(connection)
            for pending in batch:
                connection.execute("SAVEPOINT job")
                try:
                    result = pending.work(connection)
                except Exception as error:
                    connection.execute("ROLLBACK TO SAVEPOINT job")
                    connection.execute("RELEASE SAVEPOINT job")
                    outcomes.setdefault(pending.loop, []).append((pending.future, None, self._translate(error)))
                    continue
                connection.execute("RELEASE SAVEPOINT job")
                outcomes.setdefault(pending.loop, []).append((pending.future, result, None))
            self._commit(connection)
        except BaseException as failure:  # the transaction itself failed: nothing in it is durable
            try:
                self._rollback(connection)
            except Exception:
                pass
            reason = failure if isinstance(failure, Exception) else RuntimeError(str(failure))
            outcomes = {}
            for pending in batch:
                outcomes.setdefault(pending.loop, []).append((pending.future, None, reason))
        else:
            committed = writes
            if writes:
                self.commits += 1
                self.jobs_committed += len(batch)
        self._answer(outcomes, committed)

    def _answer(self, outcomes: Outcomes, committed: bool) -> None:
        """Tell the batch's callers (a driver may first wait until what it ``committed`` is durable)."""
        dispatch(outcomes)

    def _migrate(self, connection: Any, migrations: list[Migration]) -> None:
        self._begin(connection)
        self._lock_migrations(connection)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS eventyard_migrations ("
            " component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
            " applied_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (component, version))"
        )
        rows = connection.execute("SELECT component, version FROM eventyard_migrations")
        applied = {(row[0], row[1]) for row in rows}
        _refuse_newer(applied, migrations)
        components = list(dict.fromkeys(m.component for m in migrations))  # in the order given
        for migration in sorted(migrations, key=lambda m: (components.index(m.component), m.version)):
            if (migration.component, migration.version) in applied:
                continue
            for statement in _statements(migration.script(self.dialect)):
                connection.execute(statement)
            connection.execute(
                "INSERT INTO eventyard_migrations VALUES (?, ?, ?, ?)",
                (migration.component, migration.version, migration.name, _now()),
            )
        self._commit(connection)

    def _lock_migrations(self, connection: Any) -> None:
        """Keep two nodes from migrating one database at once (a no-op where one node is all there is)."""


def _refuse_newer(applied: set[tuple[str, int]], migrations: Sequence[Migration]) -> None:
    """A schema that a newer Eventyard migrated may hold what this code would misread or destroy."""
    known: dict[str, int] = {}
    for migration in migrations:
        known[migration.component] = max(known.get(migration.component, 0), migration.version)
    for component, version in sorted(applied):
        if component in known and version > known[component]:
            raise SchemaTooNew(
                f"this database's {component} schema is at version {version}, newer than this Eventyard knows"
                f" ({known[component]}): it was used by a newer release; upgrade Eventyard to open it"
            )


class Listener(Protocol):
    def stop(self) -> None: ...


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _now() -> float:
    return time.time()


def open_database(url: str) -> Database:
    """``sqlite:///path``, a bare path, ``memory://`` or ``postgresql://...`` -> a Database (not started)."""
    if url.startswith(("postgresql://", "postgres://")):
        from eventyard.storage.postgres import PostgresDatabase

        return PostgresDatabase(url)
    from eventyard.storage.sqlite import SQLiteDatabase

    if url in ("memory://", ":memory:", "sqlite://:memory:", "sqlite:///:memory:"):
        return SQLiteDatabase(":memory:")
    # sqlite:///relative.db and sqlite:////absolute/path.db, as SQLAlchemy spells them; or a bare path
    path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else url
    return SQLiteDatabase(path)
