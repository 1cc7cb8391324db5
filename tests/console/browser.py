"""Headless Chromium for the console's end-to-end tests (Debian's ``/usr/bin/chromium``, driven by
Playwright; no browser download). The tests skip only when that browser is absent."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from eventyard.testing import ServedYard

CHROMIUM = os.environ.get("EVENTYARD_CHROMIUM", "/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API runs an event loop while it is open, and the async tests of
    other modules need none to be running; so it must close with the (synchronous) module using it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture
def served() -> Iterator[ServedYard]:
    server = ServedYard().start()
    yield server
    server.stop()


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """``check()``'s first truthy answer, polling (for the server's side of a test)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def order_pipeline(served: ServedYard, definition: dict[str, Any]) -> dict[str, str]:
    """The talk's architecture over the wire: OrderCreated -> a rule -> a queue and a state machine."""
    sqs, events, machines = served.client("sqs"), served.client("events"), served.client("stepfunctions")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    machine_arn = machines.create_state_machine(
        name="fulfil", roleArn="arn:aws:iam::000000000000:role/fulfil", definition=json.dumps(definition)
    )["stateMachineArn"]
    pattern = {"source": ["com.example.orders"], "detail-type": ["OrderCreated"]}
    events.put_rule(Name="order-created", EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule="order-created", Targets=[{"Id": "queue", "Arn": queue_arn}, {"Id": "fulfil", "Arn": machine_arn}]
    )
    return {"queue_url": url, "queue_arn": queue_arn, "machine_arn": machine_arn}


def approval_machine(queue_url: str) -> dict[str, Any]:
    """Validate, wait for an approval (a task token sent to the queue), ship in parallel, done."""
    return {
        "StartAt": "Validate",
        "States": {
            "Validate": {"Type": "Pass", "Next": "Approve"},
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$"}},
                "Next": "Ship",
            },
            "Ship": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Pack", "States": {"Pack": {"Type": "Pass", "End": True}}},
                    {"StartAt": "Bill", "States": {"Bill": {"Type": "Pass", "End": True}}},
                ],
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
