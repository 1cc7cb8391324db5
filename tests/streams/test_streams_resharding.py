"""Resharding and ListShards: lineage, closed shards read to their end, filters and pages."""

from __future__ import annotations

from typing import Any

from eventyard.clock import VirtualClock
from tests.streams.conftest import fails_with, iterator, make_stream

ACCOUNT = "000000000000"
TOP = str(2**128 - 1)
HALF = 2**127


async def shards_of(kinesis: Any, name: str = "clicks", **filters: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await kinesis.list_shards(StreamName=name, **filters))["Shards"]
    return found


async def test_split_closes_the_parent_and_opens_two_children(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    before = (await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"x"))["SequenceNumber"]
    await kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF))
    parent, lower, upper = await shards_of(kinesis)
    assert parent["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": TOP}
    assert parent["SequenceNumberRange"]["EndingSequenceNumber"] == before
    assert lower == {
        "ShardId": "shardId-000000000001",
        "ParentShardId": "shardId-000000000000",
        "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(HALF - 1)},
        "SequenceNumberRange": {"StartingSequenceNumber": lower["SequenceNumberRange"]["StartingSequenceNumber"]},
    }
    assert upper["ParentShardId"] == "shardId-000000000000"
    assert upper["HashKeyRange"] == {"StartingHashKey": str(HALF), "EndingHashKey": TOP}
    assert int(lower["SequenceNumberRange"]["StartingSequenceNumber"]) > int(before)  # children sort after
    summary = (await kinesis.describe_stream_summary(StreamName="clicks"))["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 2
    routed = (await kinesis.put_record(StreamName="clicks", PartitionKey="beta", Data=b"y"))["ShardId"]
    assert routed == "shardId-000000000002"


async def test_a_reshard_takes_the_stream_through_updating(kinesis: Any, service: Any, yard: Any) -> None:
    await make_stream(kinesis, "clicks", shards=2)
    service.transition_seconds = 3.0
    await kinesis.merge_shards(
        StreamName="clicks", ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000001"
    )
    summary = (await kinesis.describe_stream_summary(StreamName="clicks"))["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "UPDATING"
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"writes go on while UPDATING")
    await fails_with(
        "ResourceInUseException",
        kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-000000000002", NewStartingHashKey="10"),
        f"Stream clicks under account {ACCOUNT} not ACTIVE, instead in state UPDATING",
    )
    await yard.advance(3.0)
    assert (await kinesis.describe_stream_summary(StreamName="clicks"))["StreamDescriptionSummary"][
        "StreamStatus"
    ] == "ACTIVE"


async def test_merge_makes_one_child_of_two_adjacent_parents(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks", shards=3)
    await kinesis.merge_shards(
        StreamName="clicks", ShardToMerge="shardId-000000000001", AdjacentShardToMerge="shardId-000000000002"
    )
    shards = await shards_of(kinesis)
    child = shards[-1]
    assert child["ShardId"] == "shardId-000000000003"
    assert child["ParentShardId"] == "shardId-000000000001"
    assert child["AdjacentParentShardId"] == "shardId-000000000002"
    assert child["HashKeyRange"] == {"StartingHashKey": "113427455640312821154458202477256070485", "EndingHashKey": TOP}
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in shards[1:3])


async def test_resharding_refusals_carry_aws_messages(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks", shards=3)
    where = f"in stream clicks under account {ACCOUNT}"
    await fails_with(
        "InvalidArgumentException",
        kinesis.split_shard(StreamName="clicks", ShardToSplit="shard-0", NewStartingHashKey="1"),
        f"NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 {where} is not both greater than"
        " one plus the shard's StartingHashKey 0 and less than the shard's EndingHashKey"
        " 113427455640312821154458202477256070484.",
    )
    await fails_with(
        "ResourceNotFoundException",
        kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-5", NewStartingHashKey="2"),
        f"Could not find shard shardId-000000000005 {where}.",
    )
    await fails_with(
        "InvalidArgumentException",
        kinesis.merge_shards(StreamName="clicks", ShardToMerge="shardId-0", AdjacentShardToMerge="shardId-2"),
        f"Shards shardId-000000000000 and shardId-000000000002 {where} are not an adjacent pair of shards eligible"
        " for merging",
    )
    await fails_with(
        "InvalidArgumentException",
        kinesis.merge_shards(StreamName="clicks", ShardToMerge="shardId-1", AdjacentShardToMerge="shardId-0"),
    )
    await kinesis.merge_shards(StreamName="clicks", ShardToMerge="shardId-0", AdjacentShardToMerge="shardId-1")
    await fails_with(
        "ResourceInUseException",
        kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-0", NewStartingHashKey="2"),
        f"Shard shardId-000000000000 {where} has already been merged or split, and thus is not eligible for splitting",
    )


async def test_update_shard_count_scales_uniformly_through_splits_and_merges(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks", shards=2)
    answer = await kinesis.update_shard_count(StreamName="clicks", TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    assert answer == {
        "StreamName": "clicks",
        "StreamARN": f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/clicks",
        "CurrentShardCount": 2,
        "TargetShardCount": 3,
    }
    open_now = await shards_of(kinesis, ShardFilter={"Type": "AT_LATEST"})
    open_now.sort(key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))
    assert [(s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"]) for s in open_now] == [
        ("0", "113427455640312821154458202477256070484"),
        ("113427455640312821154458202477256070485", "226854911280625642308916404954512140969"),
        ("226854911280625642308916404954512140970", TOP),
    ]
    every = {s["ShardId"]: s for s in await shards_of(kinesis)}
    for shard in open_now:  # every new range is covered by its parents' ranges
        parents = [every[shard[k]] for k in ("ParentShardId", "AdjacentParentShardId") if k in shard]
        low = min(int(p["HashKeyRange"]["StartingHashKey"]) for p in parents)
        high = max(int(p["HashKeyRange"]["EndingHashKey"]) for p in parents)
        assert (
            low <= int(shard["HashKeyRange"]["StartingHashKey"]) and int(shard["HashKeyRange"]["EndingHashKey"]) <= high
        )
    await kinesis.update_shard_count(StreamName="clicks", TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert len(await shards_of(kinesis, ShardFilter={"Type": "AT_LATEST"})) == 2
    await fails_with(
        "LimitExceededException",
        kinesis.update_shard_count(StreamName="clicks", TargetShardCount=5, ScalingType="UNIFORM_SCALING"),
    )


async def test_on_demand_streams_are_not_resharded_by_hand(kinesis: Any) -> None:
    await kinesis.create_stream(StreamName="auto", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    await fails_with(
        "ValidationException",
        kinesis.update_shard_count(StreamName="auto", TargetShardCount=8, ScalingType="UNIFORM_SCALING"),
    )


async def test_a_closed_shard_read_to_its_end_names_its_children(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"before")
    position = await iterator(kinesis, "clicks")
    await kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF))
    last = await kinesis.get_records(ShardIterator=position)
    assert [r["Data"] for r in last["Records"]] == [b"before"]
    assert "NextShardIterator" not in last
    assert last["ChildShards"] == [
        {
            "ShardId": "shardId-000000000001",
            "ParentShards": ["shardId-000000000000"],
            "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(HALF - 1)},
        },
        {
            "ShardId": "shardId-000000000002",
            "ParentShards": ["shardId-000000000000"],
            "HashKeyRange": {"StartingHashKey": str(HALF), "EndingHashKey": TOP},
        },
    ]
    at_end = await kinesis.get_records(ShardIterator=await iterator(kinesis, "clicks", kind="LATEST"))
    assert at_end["Records"] == [] and "NextShardIterator" not in at_end and len(at_end["ChildShards"]) == 2


async def test_a_closed_shard_is_read_page_by_page_before_its_end(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.put_records(StreamName="clicks", Records=[{"PartitionKey": "k", "Data": b"%d" % i} for i in range(3)])
    await kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-000000000000", NewStartingHashKey="100")
    first = await kinesis.get_records(ShardIterator=await iterator(kinesis, "clicks"), Limit=2)
    assert len(first["Records"]) == 2 and "ChildShards" not in first and first["NextShardIterator"]
    rest = await kinesis.get_records(ShardIterator=first["NextShardIterator"])
    assert len(rest["Records"]) == 1 and "NextShardIterator" not in rest and rest["ChildShards"]


async def test_list_shards_filters(kinesis: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks", shards=2)
    clock.advance(10)
    await kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-000000000000", NewStartingHashKey="100")
    split_at = clock.now()
    clock.advance(10)

    async def ids(kind: str, **extra: Any) -> list[str]:
        return [s["ShardId"][-1] for s in await shards_of(kinesis, ShardFilter={"Type": kind, **extra})]

    assert await ids("FROM_TRIM_HORIZON") == ["0", "1", "2", "3"]
    assert await ids("AT_TRIM_HORIZON") == ["0", "1"]
    assert await ids("AT_LATEST") == ["1", "2", "3"]
    assert await ids("AFTER_SHARD_ID", ShardId="shardId-000000000001") == ["2", "3"]
    assert await ids("AT_TIMESTAMP", Timestamp=split_at - 5) == ["0", "1"]
    assert await ids("FROM_TIMESTAMP", Timestamp=split_at + 5) == ["1", "2", "3"]
    assert [s["ShardId"][-1] for s in await shards_of(kinesis, ExclusiveStartShardId="shardId-000000000002")] == ["3"]
    await fails_with(
        "InvalidArgumentException", kinesis.list_shards(StreamName="clicks", ShardFilter={"Type": "AT_TIMESTAMP"})
    )


async def test_closed_shards_expire_after_the_retention_period(kinesis: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.split_shard(StreamName="clicks", ShardToSplit="shardId-000000000000", NewStartingHashKey="100")
    clock.advance(24 * 3600 + 1)
    assert [s["ShardId"] for s in await shards_of(kinesis)] == ["shardId-000000000001", "shardId-000000000002"]
    assert len((await kinesis.describe_stream(StreamName="clicks"))["StreamDescription"]["Shards"]) == 2


async def test_list_shards_pages_with_a_next_token_that_names_the_stream(kinesis: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks", shards=5)
    first = await kinesis.list_shards(StreamName="clicks", MaxResults=2)
    assert [s["ShardId"][-1] for s in first["Shards"]] == ["0", "1"]
    await fails_with(
        "InvalidArgumentException",
        kinesis.list_shards(StreamName="clicks", NextToken=first["NextToken"]),
        "NextToken and StreamName cannot be provided together.",
    )
    second = await kinesis.list_shards(NextToken=first["NextToken"], MaxResults=2)
    third = await kinesis.list_shards(NextToken=second["NextToken"])
    assert [s["ShardId"][-1] for s in second["Shards"] + third["Shards"]] == ["2", "3", "4"]
    assert "NextToken" not in third
    await fails_with(
        "InvalidArgumentException", kinesis.list_shards(), "Either NextToken or StreamName should be provided."
    )
    clock.advance(301)
    await fails_with("ExpiredNextTokenException", kinesis.list_shards(NextToken=second["NextToken"]))
    await fails_with("InvalidArgumentException", kinesis.list_shards(NextToken="garbage"))


async def test_describe_stream_pages_its_shards(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks", shards=3)
    first = (await kinesis.describe_stream(StreamName="clicks", Limit=2))["StreamDescription"]
    assert len(first["Shards"]) == 2 and first["HasMoreShards"] is True
    rest = (await kinesis.describe_stream(StreamName="clicks", ExclusiveStartShardId="shardId-000000000001"))[
        "StreamDescription"
    ]
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000000002"] and rest["HasMoreShards"] is False
