"""Records: routing by hash key, sequence numbers, the five iterator types, GetRecords' limits."""

from __future__ import annotations

from hashlib import md5
from typing import Any

import pytest

from eventyard.clock import VirtualClock
from eventyard.streams.hashing import partition_hash
from eventyard.streams.sequence import parse_sequence
from tests.streams.conftest import fails_with, iterator, make_stream, read_all

ACCOUNT = "000000000000"
HALF = 2**127


def test_partition_hash_is_the_md5_of_the_key_as_a_128_bit_integer() -> None:
    assert partition_hash("alpha") == int(md5(b"alpha").hexdigest(), 16)
    assert partition_hash("alpha") < HALF <= partition_hash("beta")  # alpha -> shard 0 of 2, beta -> shard 1


async def test_records_go_to_the_shard_of_their_hash_key(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks", shards=2)
    routed = [
        (await kinesis.put_record(StreamName="clicks", PartitionKey=key, Data=b"x"))["ShardId"]
        for key in ("alpha", "beta", "user-1", "user-2")
    ]
    assert routed == ["shardId-000000000000", "shardId-000000000001", "shardId-000000000001", "shardId-000000000000"]
    explicit = [
        (await kinesis.put_record(StreamName="clicks", PartitionKey="beta", Data=b"x", ExplicitHashKey=key))["ShardId"]
        for key in ("0", str(HALF - 1), str(HALF), str(2**128 - 1))
    ]
    assert explicit == ["shardId-000000000000", "shardId-000000000000", "shardId-000000000001", "shardId-000000000001"]
    await fails_with(
        "InvalidArgumentException",
        kinesis.put_record(StreamName="clicks", PartitionKey="a", Data=b"", ExplicitHashKey=str(2**128)),
        f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {2**128}",
    )


async def test_sequence_numbers_are_56_digits_increasing_along_a_shard(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    numbers = []
    for i in range(5):
        numbers.append(
            (await kinesis.put_record(StreamName="clicks", PartitionKey=f"k{i}", Data=b"x"))["SequenceNumber"]
        )
    batch = await kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": b"y"}] * 3)
    numbers += [r["SequenceNumber"] for r in batch["Records"]]
    assert all(len(n) == 56 and n.isdigit() for n in numbers)
    assert numbers == sorted(numbers) == sorted(numbers, key=int) and len(set(numbers)) == 8
    start = (await kinesis.describe_stream(StreamName="clicks"))["StreamDescription"]["Shards"][0]
    assert int(start["SequenceNumberRange"]["StartingSequenceNumber"]) < int(numbers[0])
    parsed = parse_sequence(numbers[0])
    assert parsed is not None and parsed.shard_index == 0 and parsed.position == 1


async def test_put_records_answers_per_record_in_order(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks", shards=2)
    answer = await kinesis.put_records(
        StreamName="clicks",
        Records=[
            {"PartitionKey": "alpha", "Data": b"one"},
            {"PartitionKey": "beta", "Data": b"two"},
            {"PartitionKey": "user-2", "Data": b"three"},
        ],
    )
    assert answer["FailedRecordCount"] == 0
    assert [r["ShardId"] for r in answer["Records"]] == [
        "shardId-000000000000",
        "shardId-000000000001",
        "shardId-000000000000",
    ]
    assert all("ErrorCode" not in r for r in answer["Records"]) and "EncryptionType" not in answer
    records = await read_all(kinesis, "clicks")
    assert [(r["PartitionKey"], r["Data"]) for r in records] == [("alpha", b"one"), ("user-2", b"three")]
    assert [r["SequenceNumber"] for r in records] == [
        answer["Records"][0]["SequenceNumber"],
        answer["Records"][2]["SequenceNumber"],
    ]


async def test_records_keep_their_bytes_and_arrival_time(kinesis: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks")
    payloads = [b"", b"\x00\xff binary", "ünicödé 统一码 💣".encode(), b"a" * 1024 * 1024]
    for data in payloads:
        await kinesis.put_record(StreamName="clicks", PartitionKey="1", Data=data)
        clock.advance(0.0015)
    records = await read_all(kinesis, "clicks")
    assert [r["Data"] for r in records] == payloads
    arrivals = [r["ApproximateArrivalTimestamp"] for r in records]
    assert arrivals == sorted(arrivals) and arrivals[0] == round(1_800_000_000.0, 3)  # millisecond precision


async def test_record_size_and_partition_key_are_checked(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await fails_with(
        "ValidationException",
        kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"a" * (1024 * 1024 + 1)),
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'data'"
        " failed to satisfy constraint: Member must have length less than or equal to 1048576",
    )
    await fails_with("ValidationException", kinesis.put_record(StreamName="clicks", Data=b"x"))
    error = await fails_with(
        "ValidationException",
        kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": b"x"}, {"Data": b"y"}]),
    )
    assert "'records.2.member.partitionKey'" in error.message
    await fails_with(
        "InvalidArgumentException",
        kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": b"a" * 1024 * 1000}] * 6),
    )


async def test_dry_run_checks_without_writing(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await fails_with(
        "DryRunOperationException", kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"x", DryRun=True)
    )
    assert await read_all(kinesis, "clicks") == []


async def test_iterator_types_start_where_aws_says(kinesis: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks")
    numbers = []
    for i in range(3):
        numbers.append(
            (await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"%d" % i))["SequenceNumber"]
        )
        clock.advance(1)
    latest = await iterator(kinesis, "clicks", kind="LATEST")
    at = await iterator(kinesis, "clicks", kind="AT_SEQUENCE_NUMBER", StartingSequenceNumber=numbers[1])
    after = await iterator(kinesis, "clicks", kind="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=numbers[1])
    stamp = await iterator(kinesis, "clicks", kind="AT_TIMESTAMP", Timestamp=1_800_000_000.5)
    late = (await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"3"))["SequenceNumber"]

    async def numbers_from(position: str) -> list[str]:
        return [r["SequenceNumber"] for r in (await kinesis.get_records(ShardIterator=position))["Records"]]

    assert await numbers_from(await iterator(kinesis, "clicks")) == [*numbers, late]
    assert await numbers_from(latest) == [late]
    assert await numbers_from(at) == [numbers[1], numbers[2], late]
    assert await numbers_from(after) == [numbers[2], late]
    assert await numbers_from(stamp) == [numbers[1], numbers[2], late]


async def test_an_iterator_at_the_shards_starting_sequence_number_reads_from_its_first_record(kinesis: Any) -> None:
    """A common way to read a whole shard (AWS-recorded tests do it): AT_SEQUENCE_NUMBER with the
    StartingSequenceNumber that DescribeStream shows, on an empty shard and on one with records."""
    await make_stream(kinesis, "clicks")
    shard = (await kinesis.describe_stream(StreamName="clicks"))["StreamDescription"]["Shards"][0]
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    empty = await iterator(kinesis, "clicks", kind="AT_SEQUENCE_NUMBER", StartingSequenceNumber=start)
    assert (await kinesis.get_records(ShardIterator=empty))["Records"] == []
    put = await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"first")
    at = await iterator(kinesis, "clicks", kind="AT_SEQUENCE_NUMBER", StartingSequenceNumber=start)
    [record] = (await kinesis.get_records(ShardIterator=at))["Records"]
    assert record["SequenceNumber"] == put["SequenceNumber"] and record["Data"] == b"first"


async def test_iterator_arguments_are_checked_with_aws_messages(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    rule = (
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or"
        " (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified "
    )
    await fails_with(
        "InvalidArgumentException",
        iterator(kinesis, "clicks", kind="AT_SEQUENCE_NUMBER"),
        rule + "AT_SEQUENCE_NUMBER and no StartingSequenceNumber.",
    )
    await fails_with(
        "InvalidArgumentException",
        iterator(kinesis, "clicks", kind="LATEST", StartingSequenceNumber="5"),
        rule + "LATEST and also a StartingSequenceNumber.",
    )
    await fails_with(
        "InvalidArgumentException",
        iterator(kinesis, "clicks", kind="AT_TIMESTAMP"),
        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no"
        " timestamp parameter.",
    )
    error = await fails_with(
        "InvalidArgumentException", iterator(kinesis, "clicks", kind="AT_TIMESTAMP", Timestamp=1_900_000_000)
    )
    assert error.message.startswith(
        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis:"
        " 1900000000000, currentTimestampInMillis: 1800000000000"
    )
    await fails_with(
        "InvalidArgumentException",
        iterator(kinesis, "clicks", kind="AT_SEQUENCE_NUMBER", StartingSequenceNumber="123"),
        f"StartingSequenceNumber 123 used in GetShardIterator on shard shardId-000000000000 in stream clicks under"
        f" account {ACCOUNT} is invalid.",
    )
    await fails_with(
        "ResourceNotFoundException",
        iterator(kinesis, "clicks", shard="shardId-000000000005"),
        f"Shard shardId-000000000005 in stream clicks under account {ACCOUNT} does not exist",
    )


async def test_sequence_numbers_of_another_shard_or_stream_are_refused(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks", shards=2)
    await make_stream(kinesis, "other")
    of_shard_1 = (await kinesis.put_record(StreamName="clicks", PartitionKey="beta", Data=b"x"))["SequenceNumber"]
    of_other = (await kinesis.put_record(StreamName="other", PartitionKey="k", Data=b"x"))["SequenceNumber"]
    await fails_with(
        "InvalidArgumentException",
        iterator(kinesis, "clicks", kind="AT_SEQUENCE_NUMBER", StartingSequenceNumber=of_shard_1),
        "Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in a call to a shard"
        " with shardId-000000000000",
    )
    error = await fails_with(
        "InvalidArgumentException",
        iterator(kinesis, "clicks", kind="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=of_other),
    )
    assert error.message.endswith("is invalid because it did not come from this stream.")


async def test_get_records_pages_with_limit_and_says_how_far_behind(kinesis: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": f"p{i}", "Data": b"d"} for i in range(4)])
    clock.advance(2.5)
    first = await kinesis.get_records(ShardIterator=await iterator(kinesis, "clicks"), Limit=3)
    assert [r["PartitionKey"] for r in first["Records"]] == ["p0", "p1", "p2"]
    assert first["MillisBehindLatest"] == 2500
    second = await kinesis.get_records(ShardIterator=first["NextShardIterator"])
    assert [r["PartitionKey"] for r in second["Records"]] == ["p3"] and second["MillisBehindLatest"] == 0
    third = await kinesis.get_records(ShardIterator=second["NextShardIterator"])
    assert third["Records"] == [] and third["MillisBehindLatest"] == 0 and third["NextShardIterator"]


async def test_get_records_returns_at_most_10_mib(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    megabyte = b"m" * 1024 * 1024
    for _ in range(3):
        await kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": megabyte}] * 4)
    first = await kinesis.get_records(ShardIterator=await iterator(kinesis, "clicks"))
    assert len(first["Records"]) == 10 and first["MillisBehindLatest"] == 0  # all arrived at the same instant
    rest = await kinesis.get_records(ShardIterator=first["NextShardIterator"])
    assert len(rest["Records"]) == 2


async def test_iterators_expire_after_five_minutes(kinesis: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks")
    position = await iterator(kinesis, "clicks")
    clock.advance(300)
    fresh = (await kinesis.get_records(ShardIterator=position))["NextShardIterator"]
    clock.advance(0.001)
    await fails_with(
        "ExpiredIteratorException",
        kinesis.get_records(ShardIterator=position),
        "Iterator expired. The iterator was created at time Fri Jan 15 08:00:00 UTC 2027 while right now it is"
        " Fri Jan 15 08:05:00 UTC 2027 which is further in the future than the tolerated delay of 300000"
        " milliseconds.",
    )
    assert (await kinesis.get_records(ShardIterator=fresh))["Records"] == []


@pytest.mark.parametrize("token", ["not-a-real-iterator", "AAAA", "QUJD" * 20])
async def test_invented_iterators_are_invalid(kinesis: Any, token: str) -> None:
    await fails_with("InvalidArgumentException", kinesis.get_records(ShardIterator=token), "Invalid ShardIterator.")


async def test_an_iterator_in_double_quotes_is_accepted_as_on_aws(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"x")
    position = await iterator(kinesis, "clicks")
    assert (await kinesis.get_records(ShardIterator=f'"{position}"'))["Records"]


async def test_records_of_a_deleted_stream_are_not_found(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    position = await iterator(kinesis, "clicks")
    await kinesis.delete_stream(StreamName="clicks")
    await make_stream(kinesis, "clicks")  # same name, new stream: the old iterator is not for it
    await fails_with(
        "ResourceNotFoundException",
        kinesis.get_records(ShardIterator=position),
        f"Shard shardId-000000000000 in stream clicks under account {ACCOUNT} does not exist",
    )


async def test_expired_records_are_gone_from_reads_and_trimmed(kinesis: Any, service: Any, clock: VirtualClock) -> None:
    kernel = service.yard.kernel
    await service.yard.db.write(lambda c: kernel.cancel(c, "kinesis.retention", "sweep"))  # trimmed by hand here
    await make_stream(kinesis, "clicks")
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"old")
    clock.advance(23 * 3600)
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"new")
    clock.advance(3600)  # "old" is now 24 h old: past the default retention
    assert [r["Data"] for r in await read_all(kinesis, "clicks")] == [b"new"]
    assert await service.trim_expired(clock.now()) == 1
    assert await service.trim_expired(clock.now()) == 0
    clock.advance(23 * 3600)
    assert await read_all(kinesis, "clicks") == []


async def test_a_put_trims_the_expired_records_of_its_shard(kinesis: Any, service: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"old")
    clock.advance(25 * 3600)
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"new")
    assert await service.trim_expired(clock.now()) == 0  # the put took it already


async def test_the_retention_sweep_deletes_what_nobody_reads_as_a_kernel_timer(yard: Any) -> None:
    kinesis = yard.client("kinesis")
    await kinesis.create_stream(StreamName="quiet", ShardCount=1)
    await kinesis.put_record(StreamName="quiet", PartitionKey="k", Data=b"old")
    count = "SELECT count(*) FROM kinesis_records"
    assert (await yard.db.read(lambda c: c.execute(count).fetchone()[0])) == 1
    await yard.advance(24 * 3600 + 600)  # past the 24 hours' retention, and a sweep or two
    assert (await yard.db.read(lambda c: c.execute(count).fetchone()[0])) == 0
