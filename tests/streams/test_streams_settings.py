"""A stream's settings, tags and resource policies; the account's settings."""

from __future__ import annotations

import json
from typing import Any

from eventyard.clock import VirtualClock
from tests.streams.conftest import fails_with, make_stream, read_all

ACCOUNT = "000000000000"


async def summary_of(kinesis: Any, name: str = "clicks") -> dict[str, Any]:
    found: dict[str, Any] = (await kinesis.describe_stream_summary(StreamName=name))["StreamDescriptionSummary"]
    return found


async def test_retention_moves_within_24_and_8760_hours_one_way_at_a_time(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.increase_stream_retention_period(StreamName="clicks", RetentionPeriodHours=48)
    assert (await summary_of(kinesis))["RetentionPeriodHours"] == 48
    await kinesis.decrease_stream_retention_period(StreamName="clicks", RetentionPeriodHours=36)
    assert (await summary_of(kinesis))["RetentionPeriodHours"] == 36
    await fails_with(
        "InvalidArgumentException",
        kinesis.decrease_stream_retention_period(StreamName="clicks", RetentionPeriodHours=23),
        "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.",
    )
    await fails_with(
        "InvalidArgumentException",
        kinesis.increase_stream_retention_period(StreamName="clicks", RetentionPeriodHours=8761),
        "Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long.",
    )
    await fails_with(
        "InvalidArgumentException",
        kinesis.increase_stream_retention_period(StreamName="clicks", RetentionPeriodHours=30),
        "Requested retention period (30 hours) for stream clicks can not be shorter than existing retention period"
        " (36 hours). Use DecreaseRetentionPeriod API.",
    )
    await fails_with(
        "InvalidArgumentException",
        kinesis.decrease_stream_retention_period(StreamName="clicks", RetentionPeriodHours=40),
        "Requested retention period (40 hours) for stream clicks can not be longer than existing retention period"
        " (36 hours). Use IncreaseRetentionPeriod API.",
    )


async def test_a_shorter_retention_hides_older_records_at_once(kinesis: Any, clock: VirtualClock) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.increase_stream_retention_period(StreamName="clicks", RetentionPeriodHours=72)
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"two days old")
    clock.advance(48 * 3600)
    await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"fresh")
    assert len(await read_all(kinesis, "clicks")) == 2
    await kinesis.decrease_stream_retention_period(StreamName="clicks", RetentionPeriodHours=24)
    assert [r["Data"] for r in await read_all(kinesis, "clicks")] == [b"fresh"]


async def test_encryption_is_stored_and_shown(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.start_stream_encryption(StreamName="clicks", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    summary = await summary_of(kinesis)
    assert summary["EncryptionType"] == "KMS" and summary["KeyId"] == "alias/aws/kinesis"
    put = await kinesis.put_record(StreamName="clicks", PartitionKey="k", Data=b"x")
    assert put["EncryptionType"] == "KMS"
    assert (await read_all(kinesis, "clicks"))[0]["EncryptionType"] == "KMS"
    await kinesis.stop_stream_encryption(StreamName="clicks", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    summary = await summary_of(kinesis)
    assert summary["EncryptionType"] == "NONE" and "KeyId" not in summary


async def test_enhanced_monitoring_reports_current_and_desired_metrics(kinesis: Any) -> None:
    arn = await make_stream(kinesis, "clicks")
    enabled = await kinesis.enable_enhanced_monitoring(StreamName="clicks", ShardLevelMetrics=["IncomingBytes"])
    assert enabled == {
        "StreamName": "clicks",
        "StreamARN": arn,
        "CurrentShardLevelMetrics": [],
        "DesiredShardLevelMetrics": ["IncomingBytes"],
    }
    everything = await kinesis.enable_enhanced_monitoring(StreamName="clicks", ShardLevelMetrics=["ALL"])
    assert len(everything["DesiredShardLevelMetrics"]) == 7
    disabled = await kinesis.disable_enhanced_monitoring(StreamARN=arn, ShardLevelMetrics=["IncomingBytes"])
    assert "IncomingBytes" not in disabled["DesiredShardLevelMetrics"]
    assert (await summary_of(kinesis))["EnhancedMonitoring"] == [
        {"ShardLevelMetrics": disabled["DesiredShardLevelMetrics"]}
    ]


async def test_stream_mode_record_size_warm_throughput_and_distribution(kinesis: Any) -> None:
    arn = await make_stream(kinesis, "clicks")
    await kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    await fails_with(
        "InvalidArgumentException",
        kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"}),
    )
    warm = await kinesis.update_stream_warm_throughput(StreamARN=arn, WarmThroughputMiBps=20)
    assert warm["WarmThroughput"] == {"TargetMiBps": 20, "CurrentMiBps": 20}
    await kinesis.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=2048)
    await kinesis.update_stream_record_distribution_strategy(StreamARN=arn, RecordDistributionStrategy="AUTO")
    summary = await summary_of(kinesis)
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["MaxRecordSizeInKiB"] == 2048 and summary["RecordDistributionStrategy"] == "AUTO"
    put = await kinesis.put_record(StreamARN=arn, Data=b"a" * (2 * 1024 * 1024))  # AUTO: no partition key needed
    assert put["ShardId"] == "shardId-000000000000"
    await kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
    warming = kinesis.update_stream_warm_throughput(StreamARN=arn, WarmThroughputMiBps=5)
    await fails_with("InvalidArgumentException", warming)


async def test_stream_tags_are_added_overwritten_listed_and_removed(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await kinesis.add_tags_to_stream(StreamName="clicks", Tags={"project": "alpha", "tier": "gold"})
    await kinesis.add_tags_to_stream(StreamName="clicks", Tags={"tier": "silver"})
    listed = await kinesis.list_tags_for_stream(StreamName="clicks")
    assert listed == {
        "Tags": [{"Key": "project", "Value": "alpha"}, {"Key": "tier", "Value": "silver"}],
        "HasMoreTags": False,
    }
    page = await kinesis.list_tags_for_stream(StreamName="clicks", Limit=1)
    assert page["HasMoreTags"] is True and page["Tags"] == [{"Key": "project", "Value": "alpha"}]
    after = await kinesis.list_tags_for_stream(StreamName="clicks", ExclusiveStartTagKey="project")
    assert after["Tags"] == [{"Key": "tier", "Value": "silver"}]
    await kinesis.remove_tags_from_stream(StreamName="clicks", TagKeys=["project"])
    assert (await kinesis.list_tags_for_stream(StreamName="clicks"))["Tags"] == [{"Key": "tier", "Value": "silver"}]


async def test_tag_characters_and_count_are_checked(kinesis: Any) -> None:
    await make_stream(kinesis, "clicks")
    await fails_with(
        "InvalidArgumentException",
        kinesis.add_tags_to_stream(StreamName="clicks", Tags={"abc;def": "1"}),
        "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space,"
        " _ . / = + - % @.",
    )
    await fails_with(
        "InvalidArgumentException",
        kinesis.add_tags_to_stream(StreamName="clicks", Tags={"abc%def": "1"}),
        f"Failed to add tags to stream clicks under account {ACCOUNT} because some tags contained illegal characters."
        " The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'.",
    )
    await kinesis.add_tags_to_stream(StreamName="clicks", Tags={f"k{i}": "v" for i in range(50)})
    await fails_with(
        "InvalidArgumentException",
        kinesis.add_tags_to_stream(StreamName="clicks", Tags={"one-more": "v"}),
        f"Failed to add tags to stream clicks under account {ACCOUNT} because a given stream cannot have more than"
        " 50 tags associated with it.",
    )


async def test_resource_tags_apply_to_streams_and_consumers(kinesis: Any) -> None:
    arn = await make_stream(kinesis, "clicks")
    consumer = (await kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="reader"))["Consumer"]
    await kinesis.tag_resource(ResourceARN=arn, Tags={"team": "data"})
    await kinesis.tag_resource(ResourceARN=consumer["ConsumerARN"], Tags={"team": "fanout"})
    assert (await kinesis.list_tags_for_resource(ResourceARN=arn))["Tags"] == [{"Key": "team", "Value": "data"}]
    assert (await kinesis.list_tags_for_resource(ResourceARN=consumer["ConsumerARN"]))["Tags"] == [
        {"Key": "team", "Value": "fanout"}
    ]
    await kinesis.untag_resource(ResourceARN=consumer["ConsumerARN"], TagKeys=["team"])
    assert (await kinesis.list_tags_for_resource(ResourceARN=consumer["ConsumerARN"]))["Tags"] == []
    assert (await kinesis.list_tags_for_stream(StreamName="clicks"))["Tags"] == [{"Key": "team", "Value": "data"}]
    await fails_with(
        "ResourceNotFoundException",
        kinesis.list_tags_for_resource(ResourceARN=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/nowhere"),
    )


async def test_resource_policies_are_put_read_and_deleted(kinesis: Any) -> None:
    arn = await make_stream(kinesis, "clicks")
    assert await kinesis.get_resource_policy(ResourceARN=arn) == {"Policy": "{}"}
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowCrossAccountWrite",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                    "Action": "kinesis:PutRecord",
                    "Resource": arn,
                }
            ],
        }
    )
    await kinesis.put_resource_policy(ResourceARN=arn, Policy=policy)
    assert json.loads((await kinesis.get_resource_policy(ResourceARN=arn))["Policy"]) == json.loads(policy)
    await kinesis.delete_resource_policy(ResourceARN=arn)
    assert await kinesis.get_resource_policy(ResourceARN=arn) == {"Policy": "{}"}
    await fails_with("ResourceNotFoundException", kinesis.delete_resource_policy(ResourceARN=arn))  # none left
    await fails_with("InvalidArgumentException", kinesis.put_resource_policy(ResourceARN=arn, Policy="not json"))


async def test_account_settings_keep_a_commitment_for_its_minimum_time(kinesis: Any, clock: VirtualClock) -> None:
    assert await kinesis.describe_account_settings() == {"MinimumThroughputBillingCommitment": {"Status": "DISABLED"}}
    enabled = await kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    commitment = enabled["MinimumThroughputBillingCommitment"]
    assert commitment["Status"] == "ENABLED" and commitment["StartedAt"] == clock.now()
    ending = await kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "DISABLED"})
    assert ending["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
    clock.advance(24 * 3600)
    described = await kinesis.describe_account_settings()
    assert described["MinimumThroughputBillingCommitment"]["Status"] == "DISABLED"
