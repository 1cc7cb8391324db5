"""SQLite's pipelined fsync: nobody is told a write succeeded, or shown it, before the log is on disk."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from eventyard.storage import Migration
from eventyard.storage.sqlite import SQLiteDatabase

KV = Migration("test", 1, "key-value table", "CREATE TABLE kv (k TEXT PRIMARY KEY)", "")


def put(key: str):
    return lambda c: c.execute("INSERT INTO kv VALUES (?)", (key,))


def keys(c) -> list[str]:
    return [row[0] for row in c.execute("SELECT k FROM kv ORDER BY k")]


class Disk:
    """An fsync that the test lets finish when it chooses (and counts)."""

    def __init__(self) -> None:
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.failure: OSError | None = None

    def hold(self) -> None:
        self.started.clear()
        self.release.clear()

    def fsync(self, fd: int) -> None:
        self.calls += 1
        self.started.set()
        self.release.wait(30)
        if self.failure is not None:
            raise self.failure
        os.fsync(fd)


async def opened(tmp_path: Path, disk: Disk) -> SQLiteDatabase:
    db = SQLiteDatabase(str(tmp_path / "yard.db"), fsync=disk.fsync)
    await asyncio.to_thread(db.start, [KV])
    return db


async def held_write(db: SQLiteDatabase, disk: Disk, key: str) -> asyncio.Future[Any]:
    """Write ``key`` with the fsync that would answer it held: committed, not yet durable."""
    disk.hold()
    write = asyncio.ensure_future(db.write(put(key)))
    assert await asyncio.to_thread(disk.started.wait, 30)
    return write


async def spin() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_write_is_answered_only_after_the_log_is_fsynced(tmp_path: Path) -> None:
    disk = Disk()
    db = await opened(tmp_path, disk)
    try:
        write = await held_write(db, disk, "a")
        await spin()
        assert not write.done(), "answered while its fsync was still running"
        disk.release.set()
        await write
    finally:
        await asyncio.to_thread(db.stop)


async def test_a_read_that_sees_an_unsynced_commit_waits_for_its_fsync(tmp_path: Path) -> None:
    disk = Disk()
    db = await opened(tmp_path, disk)
    try:
        write = await held_write(db, disk, "a")
        read = asyncio.ensure_future(db.read(keys))
        await spin()
        assert not read.done(), "a read showed a commit whose fsync had not ended"
        disk.release.set()
        assert await read == ["a"]
        await write
        assert await db.read(keys) == ["a"]  # nothing unsynced now: answered at once
    finally:
        await asyncio.to_thread(db.stop)


async def test_the_writer_commits_the_next_batch_during_an_fsync(tmp_path: Path) -> None:
    disk = Disk()
    db = await opened(tmp_path, disk)
    try:
        first = await held_write(db, disk, "a")
        calls = disk.calls
        later = [asyncio.ensure_future(db.write(put(f"b{n}"))) for n in range(50)]
        while db.commits < 2:  # the writer did not wait for the held fsync
            await asyncio.sleep(0.001)
        assert not any(w.done() for w in [first, *later])
        disk.release.set()
        await asyncio.gather(first, *later)
        assert disk.calls - calls <= 1, "the batches committed during one fsync share the next one"
        assert len(await db.read(keys)) == 51
    finally:
        await asyncio.to_thread(db.stop)


async def test_a_failed_fsync_fails_its_writers_and_every_write_after_it(tmp_path: Path) -> None:
    disk = Disk()
    db = await opened(tmp_path, disk)
    try:
        disk.failure = OSError(5, "Input/output error")
        with pytest.raises(OSError, match="Input/output error"):
            await db.write(put("a"))
        disk.failure = None  # a later fsync that succeeds proves nothing about the pages the failed one lost
        with pytest.raises(OSError, match="Input/output error"):
            await db.write(put("b"))
    finally:
        await asyncio.to_thread(db.stop)
    reopened = await opened(tmp_path, Disk())
    try:
        assert await reopened.read(keys) == ["a"]  # committed before its fsync failed; "b" never written
        await reopened.write(put("c"))
    finally:
        await asyncio.to_thread(reopened.stop)


async def test_stopping_answers_what_was_committed(tmp_path: Path) -> None:
    disk = Disk()
    db = await opened(tmp_path, disk)
    writes = [asyncio.ensure_future(db.write(put(str(n)))) for n in range(20)]
    await asyncio.sleep(0)
    await asyncio.to_thread(db.stop)
    await asyncio.gather(*writes)
    reopened = SQLiteDatabase(str(tmp_path / "yard.db"))
    await asyncio.to_thread(reopened.start, [KV])
    try:
        assert len(await reopened.read(keys)) == 20
    finally:
        await asyncio.to_thread(reopened.stop)


@pytest.mark.parametrize(("setting", "synchronous", "pipelined"), [(None, 1, True), ("full", 2, False)])
async def test_the_commit_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None, synchronous: int, pipelined: bool
) -> None:
    if setting is None:
        monkeypatch.delenv("EVENTYARD_SQLITE_SYNC", raising=False)
    else:
        monkeypatch.setenv("EVENTYARD_SQLITE_SYNC", setting)
    db = SQLiteDatabase(str(tmp_path / "yard.db"))
    await asyncio.to_thread(db.start, [KV])
    try:
        assert db.pipelined is pipelined
        assert await db.write(lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == synchronous
        await db.write(put("a"))
        assert await db.read(keys) == ["a"]
    finally:
        await asyncio.to_thread(db.stop)


async def test_a_read_that_fails_on_an_unsynced_commit_waits_for_its_fsync(tmp_path: Path) -> None:
    disk = Disk()
    db = await opened(tmp_path, disk)
    try:
        write = await held_write(db, disk, "a")

        def expect_absent(c) -> None:
            if keys(c):
                raise LookupError("'a' already exists")

        read = asyncio.ensure_future(db.read(expect_absent))
        await spin()
        assert not read.done(), "an error told of a commit whose fsync had not ended"
        disk.release.set()
        with pytest.raises(LookupError):
            await read
        await write
    finally:
        await asyncio.to_thread(db.stop)


async def test_a_read_waiting_on_a_commit_that_fails_is_answered(tmp_path: Path) -> None:
    disk = Disk()
    db = await opened(tmp_path, disk)
    try:
        sync = db._sync
        assert sync is not None
        sync.committing()  # a COMMIT under way, as a reader may see it ...
        read = asyncio.ensure_future(db.read(keys))
        await spin()
        assert not read.done()
        sync.ended()  # ... that fails: no answer follows, and the read must not wait for one
        assert await asyncio.wait_for(read, 30) == []
    finally:
        await asyncio.to_thread(db.stop)


async def test_reads_wait_for_another_handle_on_the_same_file(tmp_path: Path) -> None:
    disk, other = Disk(), Disk()
    db = await opened(tmp_path, disk)
    second = await opened(tmp_path, other)
    try:
        write = await held_write(second, other, "a")
        read = asyncio.ensure_future(db.read(keys))
        await spin()
        assert not read.done(), "one handle showed another's commit before its fsync ended"
        other.release.set()
        assert await read == ["a"]
        await write
    finally:
        await asyncio.to_thread(second.stop)
        await asyncio.to_thread(db.stop)


async def test_the_log_of_a_linked_database_is_the_one_synced(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "link.db").symlink_to(tmp_path / "data" / "yard.db")
    synced: list[str] = []

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        os.fsync(fd)

    db = SQLiteDatabase(str(tmp_path / "link.db"), fsync=fsync)
    await asyncio.to_thread(db.start, [KV])
    try:
        await db.write(put("a"))
    finally:
        await asyncio.to_thread(db.stop)
    assert synced and set(synced) == {str(tmp_path / "data" / "yard.db-wal")}


async def test_a_failed_start_leaves_no_sync_thread(tmp_path: Path) -> None:
    broken = Migration("test", 1, "broken", "CREATE TABLE kv (", "")
    db = SQLiteDatabase(str(tmp_path / "yard.db"))
    before = {t for t in threading.enumerate() if t.name == "eventyard-wal-sync"}
    with pytest.raises(sqlite3.OperationalError):
        await asyncio.to_thread(db.start, [broken])
    assert db._sync is None
    assert {t for t in threading.enumerate() if t.name == "eventyard-wal-sync"} <= before
