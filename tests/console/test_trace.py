"""The trace of one event: from PutEvents through its rule to the message and the execution it caused."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from eventyard.trace import enabled_by_environment
from tests.console.conftest import ConsoleClient, order_pipeline


async def _queue(sqs: Any, name: str) -> tuple[str, str]:
    """A new queue's URL and ARN."""
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    return url, (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]


async def test_trace_of_order_created_lists_rule_message_and_execution(console: ConsoleClient) -> None:
    # Given the talk's pipeline, when an OrderCreated event is sent from the console
    pipeline = await order_pipeline(console.yard)
    status, sent = await console.post(
        "bus/put-events", source="com.example.orders", detailType="OrderCreated", detail={"orderId": "o-1"}
    )
    assert status == 200 and sent["FailedEntryCount"] == 0
    event_id = sent["Entries"][0]["EventId"]
    # then its trace names the rule, the queue's message and the execution it started
    status, answer = await console.get("trace", id=event_id)
    trace = answer["trace"]
    assert status == 200 and trace["detail-type"] == "OrderCreated"
    (rule,) = trace["rules"]
    assert rule["arn"] == pipeline["rule_arn"]
    by_id = {target["id"]: target for target in rule["targets"]}
    message = (await console.yard.client("sqs").receive_message(QueueUrl=pipeline["queue_url"]))["Messages"][0]
    assert by_id["queue"]["MessageId"] == message["MessageId"]
    assert json.loads(message["Body"])["id"] == event_id
    execution = by_id["fulfil"]
    assert execution["executionArn"].startswith(pipeline["machine_arn"].replace(":stateMachine:", ":execution:"))
    assert execution["execution"]["status"] == "RUNNING"
    # and the list of recent traces starts with it
    _, recent = await console.get("traces")
    assert recent["traces"][0]["id"] == event_id and recent["traces"][0]["rules"] == ["order-created"]


async def test_event_that_no_rule_matches_has_no_trace(console: ConsoleClient) -> None:
    await order_pipeline(console.yard)
    _, sent = await console.post("bus/put-events", source="com.example.billing", detailType="Invoiced", detail={})
    _, answer = await console.get("trace", id=sent["Entries"][0]["EventId"])
    assert answer["trace"] is None


async def test_trace_steps_are_swept_after_retention(console: ConsoleClient) -> None:
    await order_pipeline(console.yard)
    _, sent = await console.post("bus/put-events", source="com.example.orders", detailType="OrderCreated", detail={})
    event_id = sent["Entries"][0]["EventId"]
    await console.yard.advance(console.yard.trace.retention + 3600 + 1)
    _, answer = await console.get("trace", id=event_id)
    assert answer["trace"] is None


async def test_kernel_delivery_to_another_bus_is_traced_with_its_outcome_and_that_bus_rules(
    console: ConsoleClient,
) -> None:
    # Given a rule that forwards orders to an "audit" bus, whose own rule keeps them in a queue
    yard = console.yard
    events, sqs = yard.client("events"), yard.client("sqs")
    audit_arn = (await events.create_event_bus(Name="audit"))["EventBusArn"]
    url, queue_arn = await _queue(sqs, "audit-log")
    pattern = json.dumps({"source": ["com.example.orders"]})
    await events.put_rule(Name="to-audit", EventPattern=pattern)
    await events.put_targets(Rule="to-audit", Targets=[{"Id": "audit", "Arn": audit_arn}])
    await events.put_rule(Name="keep", EventBusName="audit", EventPattern=pattern)
    await events.put_targets(Rule="keep", EventBusName="audit", Targets=[{"Id": "log", "Arn": queue_arn}])
    # When an order event is sent and the kernel delivers it
    _, sent = await console.post("bus/put-events", source="com.example.orders", detailType="OrderCreated", detail={})
    await yard.run_until_idle()
    # Then the trace shows the forward as delivered, and the audit bus's rule with the queue message
    _, answer = await console.get("trace", id=sent["Entries"][0]["EventId"])
    rules = {rule["name"]: rule for rule in answer["trace"]["rules"]}
    (forward,) = rules["to-audit"]["targets"]
    assert forward["status"] == "delivered" and forward["attempts"][0]["attempt"] == 1
    (kept,) = rules["keep"]["targets"]
    assert rules["keep"]["bus"] == "audit"
    message = (await sqs.receive_message(QueueUrl=url))["Messages"][0]
    assert kept["status"] == "written" and kept["MessageId"] == message["MessageId"]


async def test_publish_is_traced_to_the_queue_message_of_each_subscription(console: ConsoleClient) -> None:
    yard = console.yard
    sns, sqs = yard.client("sns"), yard.client("sqs")
    topic = (await sns.create_topic(Name="order-news"))["TopicArn"]
    url, queue_arn = await _queue(sqs, "news")
    await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    message_id = (await sns.publish(TopicArn=topic, Message="shipped"))["MessageId"]
    _, answer = await console.get("trace", id=message_id)
    (subscription,) = answer["trace"]["subscriptions"]
    received = (await sqs.receive_message(QueueUrl=url))["Messages"][0]
    assert subscription["endpoint"] == queue_arn and subscription["MessageId"] == received["MessageId"]


async def test_a_publish_trace_names_the_subject_and_leaves_a_delivery_not_written_pending(
    console: ConsoleClient,
) -> None:
    yard = console.yard
    sns, sqs = yard.client("sns"), yard.client("sqs")
    topic = (await sns.create_topic(Name="order-news"))["TopicArn"]
    url, queue_arn = await _queue(sqs, "news")
    missing = queue_arn.replace(":news", ":not-created-yet")
    kept = (await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn))["SubscriptionArn"]
    waiting = (await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=missing))["SubscriptionArn"]
    message_id = (await sns.publish(TopicArn=topic, Message="shipped", Subject="Order 7"))["MessageId"]
    _, answer = await console.get("trace", id=message_id)
    trace = answer["trace"]
    assert trace["kind"] == "sns" and trace["topic"] == topic and trace["subject"] == "Order 7"
    deliveries = {d["arn"]: d for d in trace["subscriptions"]}
    received = (await sqs.receive_message(QueueUrl=url))["Messages"][0]
    assert deliveries[kept] == {
        "arn": kept, "protocol": "sqs", "endpoint": queue_arn, "status": "written", "MessageId": received["MessageId"]
    }  # fmt: skip
    assert deliveries[waiting] == {"arn": waiting, "protocol": "sqs", "endpoint": missing, "status": "pending"}


async def test_publishes_together_are_each_traced_to_their_own_message_in_every_queue(
    console: ConsoleClient,
) -> None:
    """Twelve publishes in one turn of the loop are written together (ten messages a staged batch per
    queue); each trace names, for each subscription, the queue message that publish became."""
    yard = console.yard
    sns, sqs = yard.client("sns"), yard.client("sqs")
    topic = (await sns.create_topic(Name="order-fanout"))["TopicArn"]
    urls = {}
    for name in ("billing", "shipping"):
        url, arn = await _queue(sqs, name)
        await sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        urls[arn] = url
    published = await asyncio.gather(*(sns.publish(TopicArn=topic, Message=f"order {n}") for n in range(12)))
    received: dict[str, dict[str, str]] = {arn: {} for arn in urls}  # queue -> SNS MessageId -> queue MessageId
    for arn, url in urls.items():
        while len(received[arn]) < 12:
            for message in (await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10))["Messages"]:
                received[arn][json.loads(message["Body"])["MessageId"]] = message["MessageId"]
    for answer in published:
        _, found = await console.get("trace", id=answer["MessageId"])
        deliveries = {d["endpoint"]: d for d in found["trace"]["subscriptions"]}
        assert deliveries.keys() == urls.keys()
        for arn, delivery in deliveries.items():
            assert delivery["status"] == "written"
            assert delivery["MessageId"] == received[arn][answer["MessageId"]]


async def test_trace_names_the_stream_record_a_rule_put(console: ConsoleClient) -> None:
    yard = console.yard
    kinesis, events = yard.client("kinesis"), yard.client("events")
    await kinesis.create_stream(StreamName="orders", ShardCount=1)
    await yard.advance(1)
    stream_arn = (await kinesis.describe_stream_summary(StreamName="orders"))["StreamDescriptionSummary"]["StreamARN"]
    await events.put_rule(Name="to-stream", EventPattern=json.dumps({"source": ["com.example.orders"]}))
    await events.put_targets(Rule="to-stream", Targets=[{"Id": "stream", "Arn": stream_arn}])
    _, sent = await console.post("bus/put-events", source="com.example.orders", detailType="OrderCreated", detail={})
    await yard.run_until_idle()
    _, answer = await console.get("trace", id=sent["Entries"][0]["EventId"])
    (target,) = answer["trace"]["rules"][0]["targets"]
    shard = (await kinesis.list_shards(StreamName="orders"))["Shards"][0]["ShardId"]
    iterator = (await kinesis.get_shard_iterator(StreamName="orders", ShardId=shard, ShardIteratorType="TRIM_HORIZON"))[
        "ShardIterator"
    ]
    (record,) = (await kinesis.get_records(ShardIterator=iterator))["Records"]
    assert target["ShardId"] == shard and target["SequenceNumber"] == record["SequenceNumber"]


async def test_with_tracing_off_a_matched_event_is_delivered_and_nothing_is_traced(console: ConsoleClient) -> None:
    pipeline = await order_pipeline(console.yard)
    console.yard.trace.enabled = False  # what EVENTYARD_TRACE=off sets when the yard is built
    _, sent = await console.post(
        "bus/put-events", source="com.example.orders", detailType="OrderCreated", detail={"orderId": "o-2"}
    )
    event_id = sent["Entries"][0]["EventId"]
    message = (await console.yard.client("sqs").receive_message(QueueUrl=pipeline["queue_url"]))["Messages"][0]
    assert json.loads(message["Body"])["id"] == event_id
    _, answer = await console.get("trace", id=event_id)
    assert answer["trace"] is None
    _, recent = await console.get("traces")
    assert recent == {"traces": [], "enabled": False}


def test_the_environment_switches_tracing_off(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, enabled in [("off", False), ("0", False), ("No", False), ("on", True), ("1", True)]:
        monkeypatch.setenv("EVENTYARD_TRACE", value)
        assert enabled_by_environment() is enabled
    monkeypatch.delenv("EVENTYARD_TRACE")
    assert enabled_by_environment() is True
