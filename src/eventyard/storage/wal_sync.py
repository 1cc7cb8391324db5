"""Pipelined fsync for SQLite: the writer commits and goes on while this thread makes the log durable.

With ``synchronous=FULL`` every COMMIT waits for an fsync of the write-ahead log, and the writer can
start nothing else meanwhile: on a disk whose fsync takes a millisecond, that millisecond is taken
from every transaction. Here the writer commits with ``synchronous=NORMAL`` (the frames are written
to the log, in the operating system's cache: a ``kill -9`` loses nothing from then on) and hands the
batch's answers to :class:`WalSync`. Its thread fsyncs the log, which makes every commit made before
the fsync began durable against a power cut too, and only then answers those callers, while the
writer already runs the next batch. One fsync answers every batch committed while the previous one
ran, so fsyncs never outnumber commits and their latency overlaps the writer's work.

What a caller is told is therefore exactly as durable as with ``synchronous=FULL``. Reads beside the
writer (the reader connection) can see a commit before its fsync ended; :func:`durable` makes such a
read wait for it (for every handle this process has on the file), so nothing a client sees could
be lost by a power cut either. Another *process* on the same file is not covered: its reads may see
a commit up to one fsync before it is safe from a power cut (never from a ``kill -9``).

A failed fsync fails the writes it was to cover, and every write after it until restart (as
PostgreSQL does: after a failed fsync the kernel may have dropped the pages, and a later fsync that
succeeds proves nothing about them).

SQLite keeps using its own fsyncs where it needs them (a checkpoint syncs the log before copying it
into the database file, and the database file after): those are the writer's, as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable

from eventyard.storage.base import Outcomes

log = logging.getLogger("eventyard.storage")

#: The syncs of this process's open handles, by the database file's real path.
_open: dict[str, list[WalSync]] = {}
_open_lock = threading.Lock()


class WalSync:
    """One thread that fsyncs ``<database>-wal`` and then releases the answers of the commits it covers.

    The writer (one per handle) calls :meth:`committing` before each COMMIT, :meth:`ended` once it
    returned or failed, and :meth:`answer` with the answers of a batch it committed.
    """

    def __init__(self, path: str, dispatch: Callable[[Outcomes], None], fsync: Callable[[int], None] = os.fsync):
        # SQLite follows symbolic links and keeps its log beside the real file.
        self.path = os.path.realpath(path)
        self._wal = self.path + "-wal"
        self._dispatch = dispatch
        self._fsync = fsync
        self._condition = threading.Condition()
        self._queued: list[Outcomes] = []
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._stopping = False
        self._fd: int | None = None
        self._inode = 0
        #: Set once an fsync failed: every later write fails with it (see the module doc).
        self.broken: BaseException | None = None
        #: Commits begun (a reader may see one as soon as its COMMIT starts), ended, and made durable.
        self.begun = 0
        self.finished = 0
        self.synced = 0
        self.fsyncs = 0
        self._thread = threading.Thread(target=self._serve, name="eventyard-wal-sync", daemon=True)
        self._thread.start()
        with _open_lock:
            _open.setdefault(self.path, []).append(self)

    # --- the writer's side -----------------------------------------------------------------------

    def committing(self) -> None:
        self.begun += 1

    def ended(self) -> None:
        """The COMMIT returned (or failed: then nothing of it is visible, but a reader may wait on it)."""
        with self._condition:
            self.finished = self.begun
            self._condition.notify()

    def answer(self, outcomes: Outcomes) -> None:
        """Dispatch a committed batch's answers once the log is on disk (the next fsync to start covers it)."""
        with self._condition:
            self._queued.append(outcomes)
            self._condition.notify()

    def stop(self) -> None:
        """Sync what was committed, answer it, and end the thread."""
        with _open_lock:
            siblings = _open.get(self.path, [])
            if self in siblings:
                siblings.remove(self)
            if not siblings:
                _open.pop(self.path, None)
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self._thread.join()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # --- readers ---------------------------------------------------------------------------------

    async def durable(self) -> None:
        """Return once every commit a read made now could have seen is durable (at once if it is)."""
        seen = self.begun
        if self.synced >= seen:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._condition:
            if self.synced >= seen:
                return
            if self._stopping and not self._thread.is_alive():
                raise self.broken or RuntimeError("the database is closed")
            self._waiters.append((seen, loop, future))
            self._condition.notify()
        await future

    # --- the syncing thread ----------------------------------------------------------------------

    def _due(self) -> bool:
        # A reader waits on a commit that has ended but is not synced yet (one still committing
        # wakes this thread when it ends).
        return bool(self._queued) or (bool(self._waiters) and self.synced < self.finished)

    def _serve(self) -> None:
        while True:
            with self._condition:
                while not self._due() and not self._stopping:
                    self._condition.wait()
                if not self._due():  # stopping, and everything committed is answered
                    waiting, self._waiters = self._waiters, []
                    break
                answers, self._queued = self._queued, []
                covered = self.finished  # every COMMIT counted here returned before the fsync below starts
            failure = self.broken or self._sync()
            if failure is None:
                self.synced = covered
            for outcomes in answers:
                try:
                    self._dispatch(outcomes if failure is None else _failed(outcomes, failure))
                except Exception:  # never let one answer stop the thread: every later write would hang
                    log.exception("answering a committed batch failed")
            self._wake(failure)
        for _, loop, future in waiting:  # the writer has stopped: nothing more will commit
            _call(loop, future, self.broken)

    def _sync(self) -> BaseException | None:
        try:
            self._fsync(self._log_fd())
            self.fsyncs += 1
            return None
        except Exception as error:  # the log may not be on disk: nobody may be told it is, from now on
            log.error("fsync of %s failed: %s; every later write fails until restart", self._wal, error)
            self.broken = error
            return error

    def _log_fd(self) -> int:
        """The log's descriptor, reopened if SQLite replaced the file (fsync works on any descriptor of it)."""
        inode = os.stat(self._wal).st_ino  # while the writer's connection is open, the log is there
        if self._fd is None or inode != self._inode:
            fd = os.open(self._wal, os.O_RDONLY)
            old, self._fd, self._inode = self._fd, fd, inode
            if old is not None:
                os.close(old)
            _sync_directory(self._wal)
        return self._fd

    def _wake(self, failure: BaseException | None) -> None:
        ready: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        waiting: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        with self._condition:
            for waiter in self._waiters:
                (ready if failure is not None or waiter[0] <= self.synced else waiting).append(waiter)
            self._waiters = waiting
        for _, loop, future in ready:
            _call(loop, future, failure)


async def durable(path: str) -> None:
    """Wait until every commit that any handle of this process has on ``path`` made visible is durable.

    Every read passes here: at once, without a lock or a wait, when nothing is unsynced.
    """
    for sync in tuple(_open.get(path, ())):  # a copy: another thread may open or close a handle
        if sync.synced < sync.begun:
            await sync.durable()


def _call(loop: asyncio.AbstractEventLoop, future: asyncio.Future[None], failure: BaseException | None) -> None:
    try:
        loop.call_soon_threadsafe(_resolve, future, failure)
    except RuntimeError:  # that loop is closed: its reader is gone
        pass


def _resolve(future: asyncio.Future[None], failure: BaseException | None) -> None:
    if future.done():
        return
    if failure is not None:
        future.set_exception(failure)
    else:
        future.set_result(None)


def _failed(outcomes: Outcomes, failure: BaseException) -> Outcomes:
    """The same callers, each answered with the fsync's failure instead of its result."""
    return {loop: [(future, None, failure) for future, _, _ in settled] for loop, settled in outcomes.items()}


def _sync_directory(name: str) -> None:
    """A new file's name is durable once its directory is synced."""
    fd = os.open(os.path.dirname(name), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
