"""PutEvents -> rules -> targets: what arrives, in what shape, and what happens when a target fails."""

from __future__ import annotations

import json

import eventyard
from tests.bus.bus_helpers import bodies, drain, entry, queue


async def test_put_events_reports_each_entry(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    result = await events.put_events(
        Entries=[entry(), {"DetailType": "x", "Detail": "{}"}, entry(detail=None) | {"Detail": "[1]"}]
    )
    assert result["FailedEntryCount"] == 2
    assert "EventId" in result["Entries"][0]
    assert result["Entries"][1] == {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument.",
    }
    assert result["Entries"][2]["ErrorCode"] == "MalformedDetail"


async def test_events_to_a_missing_bus_are_acknowledged_and_dropped(yard: eventyard.Yard) -> None:
    # AWS-recorded: an entry naming a bus that does not exist gets an EventId and no error; it
    # reaches nothing, while the other entries of the request are delivered as usual.
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "orders")
    await events.put_rule(Name="all", EventPattern=json.dumps({"source": ["shop.orders"]}))
    await events.put_targets(Rule="all", Targets=[{"Id": "q", "Arn": arn}])
    result = await events.put_events(Entries=[entry(detail={"n": 1}), entry(detail={"n": 2}, EventBusName="nowhere")])
    assert result["FailedEntryCount"] == 0
    assert all("EventId" in e and "ErrorCode" not in e for e in result["Entries"])
    assert [e["detail"] for e in bodies(await drain(sqs, url, expect=1))] == [{"n": 1}]
    await drain(sqs, url, expect=0)


async def test_matching_event_arrives_in_the_queue_in_the_aws_envelope(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "orders")
    await events.put_rule(Name="big", EventPattern=json.dumps({"detail": {"total": [{"numeric": [">=", 100]}]}}))
    await events.put_targets(Rule="big", Targets=[{"Id": "q", "Arn": arn}])
    result = await events.put_events(Entries=[entry(detail={"total": 50}), entry(detail={"total": 150})])
    [event] = bodies(await drain(sqs, url, expect=1))
    assert event["id"] == result["Entries"][1]["EventId"]
    assert event["detail"] == {"total": 150}
    assert (event["version"], event["source"], event["detail-type"]) == ("0", "shop.orders", "Order Placed")
    assert (event["account"], event["region"], event["resources"]) == ("000000000000", "us-east-1", [])


async def test_disabled_rule_delivers_nothing(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "quiet")
    await events.put_rule(Name="off", EventPattern='{"source": ["shop.orders"]}', State="DISABLED")
    await events.put_targets(Rule="off", Targets=[{"Id": "q", "Arn": arn}])
    await events.put_events(Entries=[entry()])
    await drain(sqs, url, expect=0)


async def test_input_transformer_shapes_the_payload(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "shaped")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    transformer = {
        "InputPathsMap": {"id": "$.detail.id"},
        "InputTemplate": '{"order": <id>, "rule": "<aws.events.rule-name>"}',
    }
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn, "InputTransformer": transformer}])
    await events.put_events(Entries=[entry(detail={"id": 42})])
    assert bodies(await drain(sqs, url, expect=1)) == [{"order": 42, "rule": "r"}]


async def test_event_bus_target_forwards_to_the_other_bus_rules(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "downstream")
    bus_arn = (await events.create_event_bus(Name="partner"))["EventBusArn"]
    await events.put_rule(Name="fwd", EventPattern='{"source": ["shop.orders"]}')
    await events.put_targets(Rule="fwd", Targets=[{"Id": "b", "Arn": bus_arn}])
    await events.put_rule(Name="land", EventBusName="partner", EventPattern='{"source": ["shop.orders"]}')
    await events.put_targets(Rule="land", EventBusName="partner", Targets=[{"Id": "q", "Arn": arn}])
    sent = await events.put_events(Entries=[entry()])
    [event] = bodies(await drain(sqs, url, expect=1))
    assert event["id"] == sent["Entries"][0]["EventId"]


async def test_target_that_refuses_goes_to_the_dead_letter_queue_with_aws_attributes(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    dlq_url, dlq_arn = await queue(sqs, "dead-letters")
    missing = "arn:aws:sqs:us-east-1:000000000000:deleted-queue"
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "gone", "Arn": missing, "DeadLetterConfig": {"Arn": dlq_arn}}])
    sent = await events.put_events(Entries=[entry()])
    [letter] = await drain(sqs, dlq_url, expect=1)
    assert json.loads(letter["Body"])["id"] == sent["Entries"][0]["EventId"]
    attributes = {k: v["StringValue"] for k, v in letter["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == "arn:aws:events:us-east-1:000000000000:rule/r"
    assert attributes["TARGET_ARN"] == missing
    assert attributes["ERROR_CODE"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert attributes["RETRY_ATTEMPTS"] == "0"


async def test_fifo_queue_target_gets_group_and_dedup_from_the_event(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url = (await sqs.create_queue(QueueName="ordered.fifo", Attributes={"FifoQueue": "true"}))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    target = {"Id": "f", "Arn": arn, "SqsParameters": {"MessageGroupId": "orders"}}
    await events.put_targets(Rule="r", Targets=[target])
    await events.put_events(Entries=[entry(detail={"n": 1}), entry(detail={"n": 2})])
    received = await drain(sqs, url, expect=2)
    assert [json.loads(m["Body"])["detail"]["n"] for m in received] == [1, 2]
