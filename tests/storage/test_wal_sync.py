"""SQLite's pipelined fsync: nobody is told a write succeeded, or shown it, before the log is on disk."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

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


async def spin() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_write_is_answered_only_after_the_log_is_fsynced(tmp_path: Path) -> None:
    disk = Disk()
    db = await opened(tmp_path, disk)
    try:
        disk.hold()
        write = asyncio.ensure_future(db.write(put("a")))
        assert await asyncio.to_thread(disk.started.wait, 30)
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
        disk.hold()
        write = asyncio.ensure_future(db.write(put("a")))
        assert await asyncio.to_thread(disk.started.wait, 30)  # committed; its fsync is held
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
        disk.hold()
        first = asyncio.ensure_future(db.write(put("a")))
        assert await asyncio.to_thread(disk.started.wait, 30)
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


async def test_a_failed_fsync_answers_its_writers_with_the_error(tmp_path: Path) -> None:
    disk = Disk()
    db = await opened(tmp_path, disk)
    try:
        disk.failure = OSError(5, "Input/output error")
        with pytest.raises(OSError, match="Input/output error"):
            await db.write(put("a"))
        disk.failure = None
        await db.write(put("b"))
    finally:
        await asyncio.to_thread(db.stop)


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
