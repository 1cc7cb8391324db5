"""Fixtures shared by every suite: a yard over each store, and a real server with boto3 clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import eventyard
from eventyard.clock import VirtualClock
from tests.harness.server import ServerProcess
from tests.harness.stores import STORES, store_url


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL of each kind: memory, SQLite file, PostgreSQL schema."""
    with store_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=1_800_000_000.0)


@pytest.fixture
async def yard(store: str, clock: VirtualClock) -> AsyncIterator[eventyard.Yard]:
    """A started yard over each store, on a virtual clock."""
    async with eventyard.open(store, clock=clock) as opened:
        yield opened


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server (SQLite, durable) for the wire tests of a session."""
    data = tmp_path_factory.mktemp("server") / "yard.db"
    process = ServerProcess(str(data)).start()
    yield process
    process.stop()
