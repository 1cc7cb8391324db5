"""The database every store is built on: group commit, per-job rollback, migrations, persistence."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from eventyard.storage import Migration, open_database
from tests.harness.stores import STORES, store_url

KV = Migration(
    "test",
    1,
    "key-value table",
    "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)",
    "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)",
)
KV_INDEX = Migration("test", 2, "index on values", "CREATE INDEX kv_v ON kv (v)", "CREATE INDEX kv_v ON kv (v)")


def put(key: str, value: str):
    return lambda c: c.execute("INSERT INTO kv VALUES (?, ?)", (key, value))


def count(c) -> int:
    return c.execute("SELECT count(*) FROM kv").fetchone()[0]


@pytest.fixture(params=STORES)
def url(request: pytest.FixtureRequest, tmp_path: Path):
    with store_url(request.param, tmp_path) as value:
        yield value


async def test_concurrent_writes_share_commits(url: str) -> None:
    db = open_database(url)
    await asyncio.to_thread(db.start, [KV])
    try:
        await asyncio.gather(*(db.write(put(str(i), "x")) for i in range(500)))
        assert await db.read(count) == 500
        assert db.jobs_committed == 500
        assert db.commits < 100, f"500 concurrent writes took {db.commits} commits: no group commit"
    finally:
        await asyncio.to_thread(db.stop)


async def test_failing_job_rolls_back_alone(url: str) -> None:
    db = open_database(url)
    await asyncio.to_thread(db.start, [KV])
    try:
        await db.write(put("taken", "1"))

        def insert_then_fail(c):
            c.execute("INSERT INTO kv VALUES (?, ?)", ("partial", "1"))
            c.execute("INSERT INTO kv VALUES (?, ?)", ("taken", "2"))  # primary key violation

        results = await asyncio.gather(
            db.write(put("a", "1")), db.write(insert_then_fail), db.write(put("b", "1")), return_exceptions=True
        )
        assert isinstance(results[1], Exception)
        assert results[0] is not None or results[0] is None  # the neighbours completed without raising
        assert not isinstance(results[0], Exception) and not isinstance(results[2], Exception)
        keys = await db.read(lambda c: sorted(row[0] for row in c.execute("SELECT k FROM kv").fetchall()))
        assert keys == ["a", "b", "taken"], "the failed job's first insert must be rolled back with it"
    finally:
        await asyncio.to_thread(db.stop)


@pytest.fixture(params=[s for s in STORES if s != "memory"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path):
    """The stores that keep data across opens (memory, by definition, does not)."""
    with store_url(request.param, tmp_path) as value:
        yield value


async def test_migrations_apply_once_and_are_recorded(durable_url: str) -> None:
    url = durable_url
    for _ in range(2):
        db = open_database(url)
        await asyncio.to_thread(db.start, [KV, KV_INDEX])
        rows = await db.read(
            lambda c: c.execute("SELECT component, version, name FROM eventyard_migrations").fetchall()
        )
        await asyncio.to_thread(db.stop)
        assert sorted(tuple(r) for r in rows) == [("test", 1, "key-value table"), ("test", 2, "index on values")]


async def test_memory_store_records_migrations(tmp_path: Path) -> None:
    db = open_database("memory://")
    await asyncio.to_thread(db.start, [KV, KV_INDEX])
    rows = await db.read(lambda c: c.execute("SELECT version FROM eventyard_migrations ORDER BY version").fetchall())
    await asyncio.to_thread(db.stop)
    assert [r[0] for r in rows] == [1, 2]
    assert db.durable is False


async def test_committed_writes_survive_reopen(durable_url: str) -> None:
    url = durable_url
    db = open_database(url)
    await asyncio.to_thread(db.start, [KV])
    await asyncio.gather(*(db.write(put(str(i), "v")) for i in range(50)))
    await asyncio.to_thread(db.stop)
    again = open_database(url)
    await asyncio.to_thread(again.start, [KV])
    try:
        assert await again.read(count) == 50
    finally:
        await asyncio.to_thread(again.stop)


def test_sqlite_is_configured_for_durability(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "d.db"))
    db.start([KV])
    db.stop()
    raw = sqlite3.connect(tmp_path / "d.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_database_urls_pick_the_store() -> None:
    assert open_database("memory://").durable is False
    assert open_database("sqlite:///rel.db").path == "rel.db"  # type: ignore[attr-defined]
    assert open_database("sqlite:////abs/y.db").path == "/abs/y.db"  # type: ignore[attr-defined]
    assert open_database("postgresql://u@h/db?schema=s1").dialect == "postgres"


def test_run_sync_reports_a_failing_job_instead_of_hanging(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "r.db"))
    db.start([KV])
    try:
        with pytest.raises(sqlite3.OperationalError):
            db.run_sync(lambda c: c.execute("SELECT * FROM no_such_table"))
    finally:
        db.stop()


@pytest.mark.postgres
async def test_postgres_connection_lost_is_reopened_and_later_writes_succeed(tmp_path: Path) -> None:
    with store_url("postgres", tmp_path) as url:
        import psycopg

        from eventyard.storage.postgres import split_schema

        db = open_database(url)
        await asyncio.to_thread(db.start, [KV])
        try:
            await db.write(put("before", "1"))
            pid = await db.read(lambda c: c.execute("SELECT pg_backend_pid()").fetchone()[0])
            with psycopg.connect(split_schema(url)[0], autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            with pytest.raises(psycopg.OperationalError):  # the batch that meets the loss fails, unacknowledged
                await db.write(put("lost", "1"))
            await db.write(put("after", "1"))
            keys = await db.read(lambda c: sorted(row[0] for row in c.execute("SELECT k FROM kv").fetchall()))
            assert keys == ["after", "before"]
        finally:
            await asyncio.to_thread(db.stop)
