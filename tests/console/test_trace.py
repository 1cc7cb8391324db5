"""The trace of one event: from PutEvents through its rule to the message and the execution it caused."""

from __future__ import annotations

import json

from tests.console.conftest import ConsoleClient, order_pipeline


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
