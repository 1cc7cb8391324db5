"""What stores ask of a database instead of its dialect: locks, constraint errors, notifications, schema age."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from eventyard.storage import Migration, open_database
from eventyard.storage.base import ForeignKeyViolation, SchemaTooNew, UniqueViolation
from tests.harness.stores import STORES, store_url

PARENT_CHILD = Migration(
    "test",
    1,
    "parents and children",
    "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))",
    "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))",
)


@pytest.fixture(params=STORES)
def url(request: pytest.FixtureRequest, tmp_path: Path):
    with store_url(request.param, tmp_path) as value:
        yield value


async def test_constraint_failures_raise_the_storage_errors_whatever_the_driver(url: str) -> None:
    db = open_database(url)
    await asyncio.to_thread(db.start, [PARENT_CHILD])
    try:
        await db.write(lambda c: c.execute("INSERT INTO parent VALUES (1)"))
        with pytest.raises(UniqueViolation):
            await db.write(lambda c: c.execute("INSERT INTO parent VALUES (1)"))
        with pytest.raises(ForeignKeyViolation):
            await db.write(lambda c: c.execute("INSERT INTO child VALUES (2)"))
    finally:
        await asyncio.to_thread(db.stop)


async def test_locking_clauses_run_on_every_database(url: str) -> None:
    db = open_database(url)
    await asyncio.to_thread(db.start, [PARENT_CHILD])
    try:
        await db.write(lambda c: c.execute("INSERT INTO parent VALUES (1)"))
        locked = await db.write(lambda c: c.execute("SELECT id FROM parent" + c.for_update).fetchall())
        claimed = await db.write(lambda c: c.execute("SELECT id FROM parent" + c.skip_locked).fetchall())
        assert [tuple(r) for r in locked] == [tuple(r) for r in claimed] == [(1,)]
        assert db.for_update == ("" if not db.shared_by_nodes else " FOR UPDATE")
    finally:
        await asyncio.to_thread(db.stop)


async def test_a_notification_committed_on_one_node_reaches_the_listener_of_another(url: str) -> None:
    writer, other = open_database(url), open_database(url)
    await asyncio.to_thread(writer.start, [PARENT_CHILD])
    await asyncio.to_thread(other.start, [PARENT_CHILD])
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await other.listen("test", heard.put_nowait)
    try:
        await writer.write(lambda c: c.notify("test", "hello"))
        if not writer.shared_by_nodes:
            assert listener is None  # nobody else can write an embedded database: nothing to hear
            return
        assert await asyncio.wait_for(heard.get(), timeout=5) == "hello"
    finally:
        if listener is not None:
            listener.stop()
        await asyncio.to_thread(writer.stop)
        await asyncio.to_thread(other.stop)


async def test_a_database_migrated_by_a_newer_release_is_refused(tmp_path: Path) -> None:
    newer = Migration("test", 2, "from the future", "CREATE TABLE future (x INTEGER)", "")
    db = open_database(str(tmp_path / "yard.db"))
    db.start([PARENT_CHILD, newer])
    db.stop()
    older = open_database(str(tmp_path / "yard.db"))
    with pytest.raises(SchemaTooNew, match="test schema is at version 2, newer than this Eventyard knows"):
        older.start([PARENT_CHILD])
