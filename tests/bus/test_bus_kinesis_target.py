"""A rule delivers to a Kinesis stream: the payload as the record's data, the partition key from
KinesisParameters.PartitionKeyPath or, without it, the event id (AWS API reference, KinesisParameters)."""

from __future__ import annotations

import json
from typing import Any

import eventyard
from eventyard.streams.hashing import partition_hash
from tests.bus.bus_helpers import drain, entry, queue

STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/orders"


async def records(kinesis: Any, name: str = "orders") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for shard in (await kinesis.list_shards(StreamName=name))["Shards"]:
        iterator = (
            await kinesis.get_shard_iterator(
                StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )
        )["ShardIterator"]
        found += [
            {**r, "ShardId": shard["ShardId"]} for r in (await kinesis.get_records(ShardIterator=iterator))["Records"]
        ]
    return found


async def rule_to_stream(events: Any, **target: Any) -> None:
    await events.put_rule(Name="to-stream", EventPattern='{"source": ["shop.orders"]}')
    await events.put_targets(Rule="to-stream", Targets=[{"Id": "stream", "Arn": STREAM_ARN, **target}])


async def test_an_event_becomes_a_record_keyed_by_its_event_id(yard: eventyard.Yard) -> None:
    events, kinesis = yard.client("events"), yard.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    await rule_to_stream(events)
    sent = await events.put_events(Entries=[entry(detail={"order": "o-1"})])
    await yard.run_until_idle()
    [record] = await records(kinesis)
    body = json.loads(record["Data"])
    assert body["id"] == sent["Entries"][0]["EventId"] and body["detail"] == {"order": "o-1"}
    assert record["PartitionKey"] == sent["Entries"][0]["EventId"]


async def test_partition_key_path_picks_the_key_and_so_the_shard(yard: eventyard.Yard) -> None:
    events, kinesis = yard.client("events"), yard.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=4)
    await rule_to_stream(events, KinesisParameters={"PartitionKeyPath": "$.detail.customer"})
    await events.put_events(Entries=[entry(detail={"customer": f"c-{i % 3}", "n": i}) for i in range(9)])
    await yard.run_until_idle()
    got = await records(kinesis)
    assert sorted(r["PartitionKey"] for r in got) == sorted(f"c-{i % 3}" for i in range(9))
    ranges = {
        s["ShardId"]: (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
        for s in (await kinesis.list_shards(StreamName="orders"))["Shards"]
    }
    for record in got:  # each record sits on the shard whose range holds its key's hash
        low, high = ranges[record["ShardId"]]
        assert low <= partition_hash(record["PartitionKey"].encode()) <= high
    by_customer: dict[str, list[int]] = {}
    for record in sorted(got, key=lambda r: int(r["SequenceNumber"])):
        by_customer.setdefault(record["PartitionKey"], []).append(json.loads(record["Data"])["detail"]["n"])
    assert by_customer == {f"c-{c}": [i for i in range(9) if i % 3 == c] for c in range(3)}


async def test_a_non_string_key_is_its_json_text_and_a_missing_one_the_event_id(yard: eventyard.Yard) -> None:
    events, kinesis = yard.client("events"), yard.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    await rule_to_stream(events, KinesisParameters={"PartitionKeyPath": "$.detail.n"})
    sent = await events.put_events(Entries=[entry(detail={"n": 42}), entry(detail={"other": 1})])
    await yard.run_until_idle()
    keys = sorted(r["PartitionKey"] for r in await records(kinesis))
    assert keys == sorted(["42", sent["Entries"][1]["EventId"]])


async def test_input_path_shapes_the_data(yard: eventyard.Yard) -> None:
    events, kinesis = yard.client("events"), yard.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    await rule_to_stream(events, InputPath="$.detail")
    await events.put_events(Entries=[entry(detail={"order": "o-9"})])
    await yard.run_until_idle()
    [record] = await records(kinesis)
    assert json.loads(record["Data"]) == {"order": "o-9"}


async def test_a_missing_stream_sends_the_event_to_the_dead_letter_queue(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    dlq_url, dlq_arn = await queue(sqs, "dead-letters")
    await rule_to_stream(events, DeadLetterConfig={"Arn": dlq_arn})
    sent = await events.put_events(Entries=[entry()])
    [letter] = await drain(sqs, dlq_url, expect=1)
    assert json.loads(letter["Body"])["id"] == sent["Entries"][0]["EventId"]
    attributes = {k: v["StringValue"] for k, v in letter["MessageAttributes"].items()}
    assert attributes["TARGET_ARN"] == STREAM_ARN
    assert attributes["ERROR_CODE"] == "ResourceNotFoundException"


async def test_the_records_are_written_in_the_transaction_that_accepts_the_events(yard: eventyard.Yard) -> None:
    events, kinesis = yard.client("events"), yard.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=2)
    await rule_to_stream(events)
    sent = await events.put_events(Entries=[entry(detail={"n": i}) for i in range(3)])
    got = await records(kinesis)  # no delivery ran: PutEvents wrote them itself
    assert sorted(r["PartitionKey"] for r in got) == sorted(e["EventId"] for e in sent["Entries"])
    await yard.run_until_idle()
    assert yard.kernel.metrics.get("events.delivery", "fired") == 0, "no delivery was needed"
    assert len(await records(kinesis)) == 3, "and none put them twice"


async def test_a_staged_put_to_a_shard_closed_meanwhile_writes_nothing(yard: eventyard.Yard) -> None:
    from eventyard.service import RequestContext
    from eventyard.streams.record_store import ShardClosed

    kinesis = yard.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    context = RequestContext(account="000000000000", region="us-east-1", endpoint=yard.endpoint)
    request = {"StreamName": "orders", "Records": [{"Data": b"x", "PartitionKey": "k"}]}
    staged = await yard.api.stage("kinesis", "PutRecords", request, context)
    await kinesis.split_shard(StreamName="orders", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127))
    try:
        await yard.db.write(staged.write)
    except ShardClosed:
        pass
    else:
        raise AssertionError("a staged put wrote to a closed shard")
    assert await records(kinesis) == []
    again = await yard.api.stage("kinesis", "PutRecords", request, context)
    answer = await yard.db.write(again.write)
    assert answer["FailedRecordCount"] == 0 and answer["Records"][0]["ShardId"] != "shardId-000000000000"
