"""End to end: the console in headless Chromium against a real server, checked as a person sees it."""

from __future__ import annotations

import json
from typing import Any

from eventyard.gateway.sigv4 import Authenticator, Key
from eventyard.testing import ServedYard
from tests.console.browser import approval_machine, browser, eventually, needs_chromium, order_pipeline, page, served

pytestmark = needs_chromium
__all__ = ["browser", "page", "served"]  # fixtures

RUNNING_FILL = "rgb(219, 234, 254)"
SUCCEEDED_FILL = "rgb(220, 252, 231)"
FAILED_FILL = "rgb(254, 226, 226)"


def _fill(page: Any, state: str) -> str:
    box = page.locator(f'#execution-graph g[data-state="{state}"] > rect.box')
    return str(box.evaluate("element => getComputedStyle(element).fill"))


def _wait_for_status(page: Any, state: str, status: str) -> None:
    page.wait_for_selector(f'#execution-graph g[data-state="{state}"][data-status="{status}"]', timeout=10_000)


def test_overview_maps_the_pipeline_with_live_counts(served: ServedYard, page: Any) -> None:
    pipeline = order_pipeline(served, approval_machine("http://127.0.0.1/000000000000/unused"))
    page.goto(f"{served.endpoint}/_console#/overview")
    queue = page.wait_for_selector(f'svg.map g[data-node="{pipeline["queue_arn"]}"]')
    assert queue is not None and "0 visible" in str(queue.text_content())
    assert "order-created" in str(page.locator('svg.map g[data-kind="rule"]').text_content())
    assert page.locator(f'svg.map g[data-node="{pipeline["machine_arn"]}"]').count() == 1
    # a message sent meanwhile shows in the queue's count without a reload
    served.client("sqs").send_message(QueueUrl=pipeline["queue_url"], MessageBody="hello")
    page.wait_for_selector(f'svg.map g[data-node="{pipeline["queue_arn"]}"] >> text=1 visible')
    # and the traffic card counts the calls per second by operation
    for _ in range(20):
        served.client("sqs").get_queue_url(QueueName=pipeline["queue_url"].rsplit("/", 1)[-1])
    page.wait_for_selector("#traffic >> text=sqs.GetQueueUrl")


def test_running_execution_graph_changes_colour_as_it_advances(served: ServedYard, page: Any) -> None:
    # Given an execution waiting for its approval token
    sqs, machines = served.client("sqs"), served.client("stepfunctions")
    url = sqs.create_queue(QueueName="approvals")["QueueUrl"]
    machine_arn = machines.create_state_machine(
        name="orders", roleArn="arn:aws:iam::000000000000:role/r", definition=json.dumps(approval_machine(url))
    )["stateMachineArn"]
    execution_arn = machines.start_execution(stateMachineArn=machine_arn, input='{"orderId": "o-1"}')["executionArn"]
    # When a person opens it, Validate is green, Approve blue (running), Done not run yet
    page.goto(f"{served.endpoint}/_console#/executions/{execution_arn}")
    _wait_for_status(page, "Approve", "running")
    assert _fill(page, "Validate") == SUCCEEDED_FILL
    assert _fill(page, "Approve") == RUNNING_FILL
    assert page.locator('#execution-graph g[data-state="Done"]').get_attribute("data-status") == "idle"
    # and sends the task success for the waiting token from the page
    page.click("#task-success")
    # then, without a reload, Approve turns green and the execution reaches Done
    _wait_for_status(page, "Done", "succeeded")
    assert _fill(page, "Approve") == SUCCEEDED_FILL
    assert _fill(page, "Pack") == SUCCEEDED_FILL and _fill(page, "Bill") == SUCCEEDED_FILL
    page.wait_for_selector("#execution-status .badge.SUCCEEDED")
    assert machines.describe_execution(executionArn=execution_arn)["status"] == "SUCCEEDED"
    # and the state's input and output are shown on a click
    page.click('#execution-graph g[data-state="Approve"]')
    assert '"approved": true' in page.locator("#state-output").inner_text()


def test_redrive_from_the_page_restarts_a_failed_execution(served: ServedYard, page: Any) -> None:
    # Given an execution that failed sending to a queue that did not exist yet
    sqs, machines = served.client("sqs"), served.client("stepfunctions")
    missing = f"{served.endpoint}/000000000000/invoices"
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Next": "Send"},
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": missing, "MessageBody.$": "$"},
                "End": True,
            },
        },
    }
    machine_arn = machines.create_state_machine(
        name="invoicing", roleArn="arn:aws:iam::000000000000:role/r", definition=json.dumps(definition)
    )["stateMachineArn"]
    execution_arn = machines.start_execution(stateMachineArn=machine_arn, input="{}")["executionArn"]
    assert eventually(lambda: machines.describe_execution(executionArn=execution_arn)["status"] == "FAILED")
    page.goto(f"{served.endpoint}/_console#/executions/{execution_arn}")
    _wait_for_status(page, "Send", "failed")
    assert _fill(page, "Send") == FAILED_FILL
    # When the queue exists and the person clicks Redrive
    sqs.create_queue(QueueName="invoices")
    page.click("#redrive")
    # then the execution runs again from Send, and succeeds
    page.wait_for_selector("#execution-status .badge.SUCCEEDED", timeout=10_000)
    _wait_for_status(page, "Send", "succeeded")
    described = machines.describe_execution(executionArn=execution_arn)
    assert described["status"] == "SUCCEEDED" and described["redriveCount"] == 1
    assert sqs.receive_message(QueueUrl=f"{served.endpoint}/000000000000/invoices").get("Messages")


def test_a_test_event_appears_in_the_tail(served: ServedYard, page: Any) -> None:
    # Given the buses page tailing events that match the sample pattern
    page.goto(f"{served.endpoint}/_console#/buses")
    page.click("#tail-toggle")
    page.wait_for_selector("#tail[data-ready]")
    assert page.locator("#tail .tail-item").count() == 0
    # When the person sends the test event, and someone else sends an event the pattern does not match
    served.client("events").put_events(
        Entries=[{"Source": "com.example.billing", "DetailType": "Invoiced", "Detail": "{}"}]
    )
    page.click("#send-event")
    # then the test event appears in the tail, alone
    item = page.wait_for_selector("#tail .tail-item", timeout=10_000)
    assert item is not None
    text = item.inner_text()
    assert "OrderCreated" in text and "o-1001" in text
    assert page.locator("#tail .tail-item").count() == 1


def test_pattern_tester_says_whether_the_pattern_matches(served: ServedYard, page: Any) -> None:
    page.goto(f"{served.endpoint}/_console#/buses")
    page.click("#test-pattern")
    page.wait_for_selector("#verdict .result.yes")
    assert "matches this event" in page.locator("#verdict").inner_text()
    page.fill("#pattern", '{"source": ["com.example.billing"]}')
    page.click("#test-pattern")
    page.wait_for_selector("#verdict .result.no")


def test_trace_of_order_created_lists_its_rule_message_and_execution(served: ServedYard, page: Any) -> None:
    # Given the talk's pipeline and an OrderCreated event
    pipeline = order_pipeline(served, approval_machine("http://127.0.0.1/000000000000/unused"))
    entry = {"Source": "com.example.orders", "DetailType": "OrderCreated", "Detail": json.dumps({"orderId": "o-7"})}
    event_id = served.client("events").put_events(Entries=[entry])["Entries"][0]["EventId"]
    message = served.client("sqs").receive_message(QueueUrl=pipeline["queue_url"])["Messages"][0]
    machines = served.client("stepfunctions")
    execution_arn = eventually(lambda: machines.list_executions(stateMachineArn=pipeline["machine_arn"])["executions"])[
        0
    ]["executionArn"]
    # When the person opens its trace
    page.goto(f"{served.endpoint}/_console#/traces/{event_id}")
    page.wait_for_selector('#trace [data-rule="order-created"]')
    # then it lists the rule, the queue's message and the execution it started
    trace = page.locator("#trace")
    assert "OrderCreated from com.example.orders" in trace.inner_text()
    assert page.locator(f'#trace [data-message="{message["MessageId"]}"]').count() == 1
    link = page.locator(f'#trace [data-execution="{execution_arn}"]')
    assert link.count() == 1
    # and the execution is one click away
    link.click()
    page.wait_for_selector('#execution-graph g[data-state="Validate"]')


def test_console_asks_for_an_access_key_when_the_server_checks_them(page: Any) -> None:
    auth = Authenticator(keys={"AKIDCONSOLE": Key(secret="s3cret", account="123456789012")}, verify=True)
    server = ServedYard(auth=auth).start()
    try:
        page.goto(f"{server.endpoint}/_console#/queues")
        page.wait_for_selector("form.auth")
        page.fill('input[name="access"]', "AKIDCONSOLE")
        page.fill('input[name="secret"]', "s3cret")
        page.click('form.auth button[type="submit"]')
        page.wait_for_selector("text=No queues yet.")
    finally:
        page.goto("about:blank")  # the page's live streams end before the server stops
        server.stop()


def test_functions_page_invokes_with_a_payload_and_lists_the_invocation_with_its_log(
    served: ServedYard, page: Any
) -> None:
    assert served.yard is not None
    served.yard.functions.register("greet", lambda event, context: {"hello": event["name"]})
    page.goto(f"{served.endpoint}/_console#/functions")
    page.wait_for_selector("text=No invocations yet.")
    page.select_option("#function", "greet")
    page.fill("#payload", '{"name": "ada"}')
    page.click('button:has-text("Invoke")')
    page.wait_for_selector("#invoke-payload")
    assert json.loads(page.locator("#invoke-payload").inner_text()) == {"hello": "ada"}
    row = page.wait_for_selector("#recent-invocations details")
    assert row is not None
    row.click()
    log = page.locator("#recent-invocations details pre").inner_text()
    assert "START RequestId:" in log and "REPORT RequestId:" in log and "Duration:" in log
    assert "greet" in page.locator("#recent-invocations").inner_text()
