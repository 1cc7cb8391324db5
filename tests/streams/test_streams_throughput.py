"""Per-shard throughput limits, emulated only when asked for (EVENTYARD_KINESIS_THROUGHPUT_LIMITS=1)."""

from __future__ import annotations

from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock
from tests.streams.conftest import fails_with, iterator, make_stream

ACCOUNT = "000000000000"


@pytest.fixture
def limited(service: Any) -> Any:
    service.throughput.enabled = True
    return service


async def test_limits_are_off_unless_asked_for(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    for _ in range(3):
        answer = await kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": b"x"}] * 500)
        assert answer["FailedRecordCount"] == 0


async def test_the_environment_variable_turns_them_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTYARD_KINESIS_THROUGHPUT_LIMITS", "1")
    yard = eventyard.open("memory://")
    assert yard.services["kinesis"].throughput.enabled  # type: ignore[attr-defined]


async def test_writes_past_1000_records_a_second_fail_per_record(
    kinesis: Any, limited: Any, clock: VirtualClock
) -> None:
    await make_stream(kinesis, "clicks")
    first = await kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": b"x"}] * 500)
    second = await kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": b"x"}] * 500)
    assert first["FailedRecordCount"] == second["FailedRecordCount"] == 0
    third = await kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": b"x"}] * 2)
    assert third["FailedRecordCount"] == 2
    assert third["Records"][0] == {
        "ErrorCode": "ProvisionedThroughputExceededException",
        "ErrorMessage": f"Rate exceeded for shard shardId-000000000000 in stream clicks under account {ACCOUNT}.",
    }
    await fails_with(
        "ProvisionedThroughputExceededException", kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"x")
    )
    clock.advance(0.5)  # half a second refills half the allowance
    refilled = await kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": b"x"}] * 500)
    assert refilled["FailedRecordCount"] == 0


async def test_writes_past_1_mib_a_second_are_refused_but_other_shards_are_not(kinesis: Any, limited: Any) -> None:
    await make_stream(kinesis, "clicks", shards=2)
    big = b"b" * (512 * 1024 - len("alpha"))  # data and partition key count
    records = [{"PartitionKey": "alpha", "Data": big}] * 3 + [{"PartitionKey": "beta", "Data": b"small"}]
    answer = await kinesis.put_records(StreamName="clicks", Records=records)
    assert [("ErrorCode" in r) for r in answer["Records"]] == [False, False, True, False]


async def test_reads_past_5_calls_a_second_are_refused(kinesis: Any, limited: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks")
    position = await iterator(kinesis, "clicks")
    for _ in range(5):
        await kinesis.get_records(ShardIterator=position)
    await fails_with(
        "ProvisionedThroughputExceededException",
        kinesis.get_records(ShardIterator=position),
        f"Rate exceeded for Shard - {ACCOUNT}/clicks/shardId-000000000000",
    )
    clock.advance(1)
    await kinesis.get_records(ShardIterator=position)


async def test_a_read_past_2_mib_makes_the_next_calls_wait(kinesis: Any, limited: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks")
    for _ in range(3):
        await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"m" * (1024 * 1024 - 1))
        clock.advance(1)
    position = await iterator(kinesis, "clicks")
    assert len((await kinesis.get_records(ShardIterator=position))["Records"]) == 3
    await fails_with("ProvisionedThroughputExceededException", kinesis.get_records(ShardIterator=position))
    clock.advance(1)
    await kinesis.get_records(ShardIterator=position)


async def test_on_demand_streams_are_not_limited(kinesis: Any, limited: Any) -> None:
    await kinesis.create_stream(StreamName="auto", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    for _ in range(3):
        answer = await kinesis.put_records(StreamName="auto", Records=[{"PartitionKey": "k", "Data": b"x"}] * 500)
        assert answer["FailedRecordCount"] == 0
