"""The screenshots of docs/console/: ``python -m tests.console.screenshots [FOLDER]``.

Builds the talk's commerce architecture on a served yard (a bus with rules, a topic, queues with a
dead-letter queue, a resharded stream, the fulfilment state machine with executions running, done
and failed), then photographs each page of the console in headless Chromium.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from eventyard.testing import ServedYard
from tests.console.browser import CHROMIUM, eventually

ROLE = "arn:aws:iam::000000000000:role/fulfil"


def fulfilment(approvals: str) -> dict[str, Any]:
    return {
        "Comment": "Fulfil an order: check stock, wait for approval, ship, notify per item",
        "StartAt": "Validate",
        "States": {
            "Validate": {"Type": "Pass", "Next": "InStock?"},
            "InStock?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.inStock", "BooleanEquals": True, "Next": "Approve"}],
                "Default": "Backorder",
            },
            "Backorder": {"Type": "Fail", "Error": "OutOfStock", "Cause": "No stock for the order"},
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": approvals, "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$"}},
                "ResultPath": "$.approval",
                "Next": "Ship",
            },
            "Ship": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Pack", "States": {"Pack": {"Type": "Pass", "End": True}}},
                    {"StartAt": "Bill", "States": {"Bill": {"Type": "Pass", "End": True}}},
                ],
                "ResultPath": None,
                "Next": "Notify",
            },
            "Notify": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Label", "States": {"Label": {"Type": "Pass", "End": True}}},
                "ResultPath": None,
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }


def build(served: ServedYard) -> dict[str, str]:
    sqs, events, machines = served.client("sqs"), served.client("events"), served.client("stepfunctions")
    kinesis, sns = served.client("kinesis"), served.client("sns")

    def arn_of(url: str) -> str:
        return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])

    dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(dlq), "maxReceiveCount": 2})
    orders = sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    approvals = sqs.create_queue(QueueName="approvals")["QueueUrl"]
    shipping = sqs.create_queue(QueueName="shipping")["QueueUrl"]
    machine = machines.create_state_machine(
        name="fulfil-order", roleArn=ROLE, definition=json.dumps(fulfilment(approvals))
    )
    machine_arn = machine["stateMachineArn"]
    topic = sns.create_topic(Name="order-updates")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_of(shipping))
    kinesis.create_stream(StreamName="clickstream", ShardCount=2)
    time.sleep(0.3)
    for i in range(6):
        kinesis.put_record(
            StreamName="clickstream", Data=json.dumps({"page": f"/p/{i}"}).encode(), PartitionKey=f"u{i}"
        )
    shard = kinesis.list_shards(StreamName="clickstream")["Shards"][0]
    start, end = int(shard["HashKeyRange"]["StartingHashKey"]), int(shard["HashKeyRange"]["EndingHashKey"])
    kinesis.split_shard(
        StreamName="clickstream", ShardToSplit=shard["ShardId"], NewStartingHashKey=str((start + end) // 2)
    )
    events.create_event_bus(Name="audit")
    created = {"source": ["com.example.orders"], "detail-type": ["OrderCreated"]}
    events.put_rule(Name="order-created", EventPattern=json.dumps(created), Description="New orders")
    events.put_targets(
        Rule="order-created",
        Targets=[
            {"Id": "orders-queue", "Arn": arn_of(orders)},
            {"Id": "fulfil", "Arn": machine_arn, "InputPath": "$.detail"},
        ],
    )
    events.put_rule(Name="order-shipped", EventPattern=json.dumps({"source": ["com.example.shipping"]}))
    events.put_targets(Rule="order-shipped", Targets=[{"Id": "updates", "Arn": topic}])
    events.put_rule(
        Name="everything", EventBusName="audit", EventPattern=json.dumps({"source": [{"prefix": "com.example"}]})
    )
    events.put_targets(Rule="everything", EventBusName="audit", Targets=[{"Id": "audit-log", "Arn": arn_of(dlq)}])
    bus_arn = events.describe_event_bus()["Arn"]
    events.create_archive(ArchiveName="orders-archive", EventSourceArn=bus_arn, RetentionDays=7)
    # executions: one failed (out of stock), one done, one waiting for its approval
    for order in ({"orderId": "o-1000", "inStock": False, "items": []},):
        machines.start_execution(stateMachineArn=machine_arn, name="o-1000", input=json.dumps(order))
    done = machines.start_execution(
        stateMachineArn=machine_arn,
        name="o-1001",
        input=json.dumps({"orderId": "o-1001", "inStock": True, "items": [1, 2, 3]}),
    )["executionArn"]
    token = eventually(lambda: sqs.receive_message(QueueUrl=approvals, WaitTimeSeconds=1).get("Messages"))[0]
    machines.send_task_success(taskToken=json.loads(token["Body"])["token"], output='{"approvedBy": "ops"}')
    eventually(lambda: machines.describe_execution(executionArn=done)["status"] == "SUCCEEDED")
    entry = {
        "Source": "com.example.orders",
        "DetailType": "OrderCreated",
        "Detail": json.dumps({"orderId": "o-1002", "inStock": True, "items": [1, 2]}),
    }
    event_id = events.put_events(Entries=[entry])["Entries"][0]["EventId"]
    running = eventually(
        lambda: machines.list_executions(stateMachineArn=machine_arn, statusFilter="RUNNING")["executions"]
    )
    sqs.send_message(QueueUrl=orders, MessageBody=json.dumps({"orderId": "o-0999", "note": "retry later"}))
    for _ in range(3):
        sqs.receive_message(QueueUrl=orders, VisibilityTimeout=0, MaxNumberOfMessages=10)
    assert served.yard is not None
    served.yard.functions.register("reserve-stock", lambda event, context: {"reserved": len(event.get("items", []))})
    lambdas = served.client("lambda")
    for items in ([1, 2], [3]):
        lambdas.invoke(FunctionName="reserve-stock", Payload=json.dumps({"items": items}), LogType="Tail")
    stock = sqs.create_queue(QueueName="stock-requests")["QueueUrl"]
    lambdas.create_event_source_mapping(FunctionName="reserve-stock", EventSourceArn=arn_of(stock), BatchSize=10)
    return {"machine": machine_arn, "running": running[0]["executionArn"], "event": event_id}


def shoot(folder: Path) -> None:
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    served = ServedYard().start()
    try:
        made = build(served)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1440, "height": 960}, device_scale_factor=1)

            def photo(name: str, route: str, prepare: Any = None, height: int = 960) -> None:
                page.set_viewport_size({"width": 1440, "height": height})
                page.goto(f"{served.endpoint}/_console#/{route}")
                page.wait_for_timeout(900)
                if prepare is not None:
                    prepare()
                    page.wait_for_timeout(700)
                page.evaluate("document.getElementById('toast').hidden = true")
                page.screenshot(path=str(folder / f"{name}.png"))

            photo("overview", "overview", height=900)

            def tail() -> None:
                page.click("#tail-toggle")
                page.wait_for_selector("#tail[data-ready]")
                page.click("#test-pattern")
                page.click("#send-event")
                page.wait_for_selector("#tail .tail-item")

            photo("buses", "buses", tail, height=1080)
            photo("queues", "queues/orders-dlq", height=1000)

            def browse() -> None:
                page.click("#browse")
                page.wait_for_selector("text=Next records")

            photo("streams", "streams/clickstream", browse, height=1080)
            photo("machines", f"machines/{made['machine']}", height=1080)

            def select() -> None:
                page.click('#execution-graph g[data-state="Validate"]')

            photo("execution", f"executions/{made['running']}", select, height=1500)
            photo("trace", f"traces/{made['event']}", height=820)
            photo("functions", "functions", height=900)
            browser.close()
    finally:
        served.stop()


if __name__ == "__main__":
    shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/console"))
