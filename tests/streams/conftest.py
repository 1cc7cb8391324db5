"""The stream suite runs in-process over every store (tests/conftest.py's ``yard``) on a virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock
from eventyard.errors import EventyardError
from eventyard.yard import SERVICES


@pytest.fixture
async def yard(store: str, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[eventyard.Yard]:
    """A started yard over each store, on a virtual clock, serving Kinesis alone."""
    monkeypatch.setattr("eventyard.yard.SERVICES", {"kinesis": SERVICES["kinesis"]})
    async with eventyard.open(store, clock=clock) as opened:
        yield opened


@pytest.fixture
def kinesis(yard: eventyard.Yard) -> Any:
    """boto3-shaped Kinesis client of the yard: the model's validation, then the stream service."""
    return yard.client("kinesis")


@pytest.fixture
def service(yard: eventyard.Yard) -> Any:
    return yard.services["kinesis"]


async def make_stream(kinesis: Any, name: str = "clicks", shards: int = 1) -> str:
    """Given a provisioned stream of ``shards`` shards: its ARN."""
    await kinesis.create_stream(StreamName=name, ShardCount=shards)
    summary = await kinesis.describe_stream_summary(StreamName=name)
    arn: str = summary["StreamDescriptionSummary"]["StreamARN"]
    return arn


async def iterator(
    kinesis: Any, name: str, shard: str = "shardId-000000000000", kind: str = "TRIM_HORIZON", **extra: Any
) -> str:
    found: str = (await kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType=kind, **extra))[
        "ShardIterator"
    ]
    return found


async def read_all(kinesis: Any, name: str, shard: str = "shardId-000000000000") -> list[dict[str, Any]]:
    """Every record of a shard from its trim horizon, following NextShardIterator until nothing comes."""
    position: str | None = await iterator(kinesis, name, shard)
    records: list[dict[str, Any]] = []
    while position is not None:
        got = await kinesis.get_records(ShardIterator=position)
        records += got["Records"]
        if not got["Records"]:
            break
        position = got.get("NextShardIterator")
    return records


async def fails_with(code: str, call: Any, message: str | None = None) -> EventyardError:
    """Then the call fails with AWS's ``code`` (and exactly ``message``, when given)."""
    with pytest.raises(EventyardError) as caught:
        await call
    assert caught.value.code == code, f"{caught.value.code}: {caught.value.message}"
    if message is not None:
        assert caught.value.message == message
    return caught.value
