"""Streams: create, describe, list, delete, limits; AWS's states, names and messages."""

from __future__ import annotations

from typing import Any

from eventyard.clock import VirtualClock
from tests.streams.conftest import fails_with, make_stream

ACCOUNT = "000000000000"


async def test_created_stream_is_described_with_aws_defaults(kinesis: Any, clock: VirtualClock) -> None:
    await kinesis.create_stream(StreamName="clicks", ShardCount=3)
    summary = (await kinesis.describe_stream_summary(StreamName="clicks"))["StreamDescriptionSummary"]
    assert summary["StreamARN"] == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks"
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["RetentionPeriodHours"] == 24
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert summary["EncryptionType"] == "NONE"
    assert summary["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert summary["OpenShardCount"] == 3
    assert summary["ConsumerCount"] == 0
    assert summary["StreamCreationTimestamp"] == clock.now()
    assert len(summary["StreamId"]) == 24 and summary["StreamId"][20] == "-"

    description = (await kinesis.describe_stream(StreamName="clicks"))["StreamDescription"]
    ranges = [(s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"]) for s in description["Shards"]]
    assert ranges == [  # floor(2^128 / 3) keys each, the last one the rest, as AWS splits them
        ("0", "113427455640312821154458202477256070484"),
        ("113427455640312821154458202477256070485", "226854911280625642308916404954512140969"),
        ("226854911280625642308916404954512140970", "340282366920938463463374607431768211455"),
    ]
    starts = [s["SequenceNumberRange"]["StartingSequenceNumber"] for s in description["Shards"]]
    assert all(len(start) == 56 and start.isdigit() for start in starts)
    assert [s["ShardId"] for s in description["Shards"]] == [f"shardId-00000000000{i}" for i in range(3)]
    assert description["HasMoreShards"] is False


async def test_stream_is_creating_until_its_transition_time_passes(kinesis: Any, service: Any, yard: Any) -> None:
    service.transition_seconds = 2.0
    await kinesis.create_stream(StreamName="slow", ShardCount=2)

    description = (await kinesis.describe_stream(StreamName="slow"))["StreamDescription"]
    assert description["StreamStatus"] == "CREATING"
    assert description["Shards"] == []
    await fails_with(
        "ResourceNotFoundException",
        kinesis.put_record(StreamName="slow", PartitionKey="a", Data=b""),
        f"Stream slow under account {ACCOUNT} not found.",
    )
    await fails_with(
        "ResourceInUseException",
        kinesis.merge_shards(StreamName="slow", ShardToMerge="shardId-0", AdjacentShardToMerge="shardId-1"),
        f"Stream slow under account {ACCOUNT} not ACTIVE, instead in state CREATING",
    )
    await fails_with(
        "ResourceNotFoundException",
        kinesis.get_shard_iterator(StreamName="slow", ShardId="shardId-0", ShardIteratorType="LATEST"),
        f"Shard shardId-000000000000 in stream slow under account {ACCOUNT} does not exist",
    )

    await yard.advance(2.0)
    summary = (await kinesis.describe_stream_summary(StreamName="slow"))["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE" and summary["OpenShardCount"] == 2


async def test_stream_without_shard_count_is_on_demand_with_four_shards(kinesis: Any) -> None:
    await kinesis.create_stream(StreamName="auto")
    summary = (await kinesis.describe_stream_summary(StreamName="auto"))["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    assert summary["RecordDistributionStrategy"] == "USER_PARTITION_KEY"


async def test_create_refuses_a_name_in_use_and_inconsistent_modes(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await fails_with(
        "ResourceInUseException",
        kinesis.create_stream(StreamName="clicks", ShardCount=1),
        f"Stream clicks under account {ACCOUNT} already exists.",
    )
    await fails_with(
        "InvalidArgumentException",
        kinesis.create_stream(StreamName="p", StreamModeDetails={"StreamMode": "PROVISIONED"}),
    )
    await fails_with(
        "InvalidArgumentException",
        kinesis.create_stream(StreamName="o", ShardCount=2, StreamModeDetails={"StreamMode": "ON_DEMAND"}),
    )


async def test_create_past_the_account_shard_limit_is_refused(kinesis: Any) -> None:
    await make_stream(kinesis, "big", shards=3)
    error = await fails_with("LimitExceededException", kinesis.create_stream(StreamName="huge", ShardCount=1000))
    assert error.message.startswith(
        f"This request would exceed the shard limit for the account {ACCOUNT} in us-east-1. Current shard count for"
        " the account: 3. Limit: 500. Number of additional shards that would have resulted from this request: 1000."
    )
    limits = await kinesis.describe_limits()
    assert limits == {"ShardLimit": 500, "OpenShardCount": 3, "OnDemandStreamCount": 0, "OnDemandStreamCountLimit": 50}


async def test_unknown_stream_is_not_found_by_name_or_arn(kinesis: Any) -> None:
    message = f"Stream nowhere under account {ACCOUNT} not found."
    await fails_with("ResourceNotFoundException", kinesis.describe_stream(StreamName="nowhere"), message)
    arn = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/nowhere"
    await fails_with("ResourceNotFoundException", kinesis.describe_stream_summary(StreamARN=arn), message)
    await fails_with("InvalidArgumentException", kinesis.describe_stream_summary())


async def test_stream_arn_works_wherever_a_name_does(kinesis: Any) -> None:
    arn = await make_stream(kinesis, "clicks")
    assert (await kinesis.describe_stream(StreamARN=arn))["StreamDescription"]["StreamName"] == "clicks"
    put = await kinesis.put_record(StreamARN=arn, PartitionKey="k", Data=b"x")
    assert put["ShardId"] == "shardId-000000000000"
    await fails_with("InvalidArgumentException", kinesis.describe_stream(StreamARN=arn, StreamName="other"))


async def test_stream_id_must_match_when_given(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    stream_id = (await kinesis.describe_stream_summary(StreamName="clicks"))["StreamDescriptionSummary"]["StreamId"]
    assert (await kinesis.describe_stream_summary(StreamName="clicks", StreamId=stream_id))["StreamDescriptionSummary"]
    await fails_with(
        "ResourceNotFoundException", kinesis.describe_stream_summary(StreamName="clicks", StreamId="a" * 20 + "-abc")
    )


async def test_list_streams_pages_by_name(kinesis: Any) -> None:
    for name in ("c", "a", "b"):
        await make_stream(kinesis, name)
    first = await kinesis.list_streams(Limit=2)
    assert first["StreamNames"] == ["a", "b"] and first["HasMoreStreams"] is True
    assert [s["StreamName"] for s in first["StreamSummaries"]] == ["a", "b"]
    second = await kinesis.list_streams(NextToken=first["NextToken"])
    assert second["StreamNames"] == ["c"] and second["HasMoreStreams"] is False and "NextToken" not in second
    assert (await kinesis.list_streams(ExclusiveStartStreamName="a"))["StreamNames"] == ["b", "c"]


async def test_deleted_stream_is_gone_with_its_records(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"x")
    await kinesis.delete_stream(StreamName="clicks")
    await fails_with("ResourceNotFoundException", kinesis.describe_stream_summary(StreamName="clicks"))
    assert (await kinesis.list_streams())["StreamNames"] == []
    await make_stream(kinesis, "clicks")  # the name is free again, and the new stream is empty
    records = await kinesis.get_records(
        ShardIterator=(
            await kinesis.get_shard_iterator(
                StreamName="clicks", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
            )
        )["ShardIterator"]
    )
    assert records["Records"] == []


async def test_delete_with_consumers_needs_enforce_consumer_deletion(kinesis: Any) -> None:
    arn = await make_stream(kinesis, "clicks")
    await kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader")
    await fails_with("ResourceInUseException", kinesis.delete_stream(StreamName="clicks"))
    await kinesis.delete_stream(StreamName="clicks", EnforceConsumerDeletion=True)
    assert (await kinesis.list_streams())["StreamNames"] == []


async def test_streams_are_per_account_and_region(yard: Any) -> None:
    here = yard.client("kinesis")
    there = yard.client("kinesis", account="111111111111", region="eu-west-1")
    await make_stream(here, "clicks")
    await fails_with("ResourceNotFoundException", there.describe_stream(StreamName="clicks"))
    await make_stream(there, "clicks", shards=2)
    summary = (await there.describe_stream_summary(StreamName="clicks"))["StreamDescriptionSummary"]
    assert summary["StreamARN"] == "arn:aws:kinesis:eu-west-1:111111111111:stream/clicks"
    assert summary["OpenShardCount"] == 2
