"""Task states through the TaskInvoker seam: parameters, results, history, timeouts, tokens."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from eventyard.clock import VirtualClock
from eventyard.workflows.errors import StatesError
from eventyard.workflows.interpreter import Interpreter
from eventyard.workflows.tasks import CallableTasks, TaskRequest, parse_resource
from tests.workflows.conftest import machine, run

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:price"
SQS_TOKEN = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


def test_parse_resource_splits_service_integration_and_pattern() -> None:
    resource = parse_resource(SQS_TOKEN)
    assert (resource.kind, resource.resource_type, resource.resource, resource.pattern) == (
        "service",
        "sqs",
        "sendMessage.waitForTaskToken",
        "waitForTaskToken",
    )
    sdk = parse_resource("arn:aws:states:::aws-sdk:s3:getObject")
    assert (sdk.resource_type, sdk.resource, sdk.pattern) == ("aws-sdk:s3", "getObject", "request-response")
    assert parse_resource(FUNCTION).kind == "lambda"
    assert parse_resource("arn:aws:states:us-east-1:1:activity:work").kind == "activity"


async def test_task_gets_parameters_and_result_goes_through_selector_and_result_path(tasks: CallableTasks) -> None:
    tasks.register(FUNCTION, lambda p: {"price": p["qty"] * 3, "noise": 1})
    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Parameters": {"qty.$": "$.order.qty"},
                "ResultSelector": {"total.$": "$.price"},
                "ResultPath": "$.priced",
                "End": True,
            }
        }
    )
    result = await run(definition, {"order": {"qty": 4}}, tasks)
    assert result.output == {"order": {"qty": 4}, "priced": {"total": 12}}


async def test_lambda_function_task_history_uses_lambda_event_types(tasks: CallableTasks) -> None:
    tasks.register(FUNCTION, lambda p: "ok")
    result = await run(
        machine({"T": {"Type": "Task", "Resource": FUNCTION, "TimeoutSeconds": 30, "End": True}}), {}, tasks
    )
    types = [event["type"] for event in result.history]
    assert types == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    scheduled = result.history[2]["lambdaFunctionScheduledEventDetails"]
    assert scheduled == {
        "resource": FUNCTION,
        "input": "{}",
        "inputDetails": {"truncated": False},
        "timeoutInSeconds": 30,
    }
    assert result.history[4]["lambdaFunctionSucceededEventDetails"]["output"] == '"ok"'


async def test_service_integration_history_reports_resource_type_and_resource(tasks: CallableTasks) -> None:
    arn = "arn:aws:states:::events:putEvents"
    tasks.register(arn, lambda p: {"FailedEntryCount": 0})
    result = await run(
        machine({"T": {"Type": "Task", "Resource": arn, "Parameters": {"Entries": []}, "End": True}}), {}, tasks
    )
    scheduled = result.history[2]
    assert scheduled["type"] == "TaskScheduled"
    assert scheduled["taskScheduledEventDetails"] == {
        "resourceType": "events",
        "resource": "putEvents",
        "region": "us-east-1",
        "parameters": '{"Entries":[]}',
    }
    assert [event["type"] for event in result.history][3:5] == ["TaskStarted", "TaskSucceeded"]


async def test_failing_function_reports_error_type_and_error_document(tasks: CallableTasks) -> None:
    class OutOfStock(Exception):
        pass

    def fail(_: Any) -> None:
        raise OutOfStock("none left")

    tasks.register(FUNCTION, fail)
    result = await run(machine({"T": {"Type": "Task", "Resource": FUNCTION, "End": True}}), {}, tasks)
    assert result.error == "OutOfStock"
    assert json.loads(result.cause or "") == {"errorMessage": "none left", "errorType": "OutOfStock"}
    assert "LambdaFunctionFailed" in [event["type"] for event in result.history]


async def test_lambda_invoke_integration_wraps_the_function_payload(tasks: CallableTasks) -> None:
    tasks.register(FUNCTION, lambda payload: {"doubled": payload["n"] * 2})
    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "price", "Payload": {"n.$": "$.n"}},
                "OutputPath": "$.Payload",
                "End": True,
            }
        }
    )
    result = await run(definition, {"n": 21}, tasks)
    assert result.output == {"doubled": 42}


async def test_wait_for_task_token_puts_the_token_in_the_context_and_reports_submission(tasks: CallableTasks) -> None:
    seen: list[TaskRequest] = []

    async def send(parameters: Any, request: TaskRequest) -> Any:
        seen.append(request)
        request.submitted({"MessageId": "m-1"})
        return {"approved": parameters["token"] == request.task_token}

    tasks.register(SQS_TOKEN, send)
    definition = machine(
        {"T": {"Type": "Task", "Resource": SQS_TOKEN, "Parameters": {"token.$": "$$.Task.Token"}, "End": True}}
    )
    result = await run(definition, {}, tasks)
    assert result.output == {"approved": True}
    assert seen[0].task_token
    assert [event["type"] for event in result.history][2:6] == [
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskSucceeded",
    ]


async def _drive(clock: VirtualClock, work: asyncio.Future[Any]) -> Any:
    """Advance a manual VirtualClock to each next deadline once everything else is idle."""
    while not work.done():
        for _ in range(20):
            await asyncio.sleep(0)
        deadline = clock.next_deadline()
        if deadline is not None and not work.done():
            clock.set(deadline)
    return work.result()


async def test_task_exceeding_timeout_seconds_fails_with_states_timeout(tasks: CallableTasks) -> None:
    clock = VirtualClock(start=0.0)

    async def slow(_: Any) -> str:
        await clock.sleep(100)
        return "late"

    tasks.register(FUNCTION, slow)
    definition = machine({"T": {"Type": "Task", "Resource": FUNCTION, "TimeoutSeconds": 10, "End": True}})
    result = await _drive(clock, asyncio.ensure_future(Interpreter(definition, tasks=tasks, clock=clock).run({})))
    assert result.error == "States.Timeout"
    assert clock.now() == 10
    assert "LambdaFunctionTimedOut" in [event["type"] for event in result.history]


async def test_heartbeats_keep_a_task_alive_until_they_stop(tasks: CallableTasks) -> None:
    """A missed heartbeat is reported as States.Timeout, with no cause (AWS-recorded: localstack
    test_heartbeats.snapshot.json test_heartbeat_timeout)."""
    clock = VirtualClock(start=0.0)
    arn = "arn:aws:states:us-east-1:000000000000:activity:worker"

    async def worker(_: Any, request: TaskRequest) -> str:
        request.started("worker-1")
        for _ in range(3):
            await clock.sleep(5)
            request.heartbeat()
        await clock.sleep(60)
        return "never"

    tasks.register(arn, worker)
    definition = machine({"T": {"Type": "Task", "Resource": arn, "HeartbeatSeconds": 8, "End": True}})
    result = await _drive(clock, asyncio.ensure_future(Interpreter(definition, tasks=tasks, clock=clock).run({})))
    assert (result.error, result.cause) == ("States.Timeout", None)
    assert clock.now() == 15 + 8
    types = [event["type"] for event in result.history]
    assert types[2:5] == ["ActivityScheduled", "ActivityStarted", "ActivityTimedOut"]
    assert result.history[3]["activityStartedEventDetails"] == {"workerName": "worker-1"}


async def test_timeout_seconds_path_reads_the_input(tasks: CallableTasks) -> None:
    async def check(_: Any, request: TaskRequest) -> float | None:
        return request.timeout_seconds

    tasks.register(FUNCTION, check)
    definition = machine({"T": {"Type": "Task", "Resource": FUNCTION, "TimeoutSecondsPath": "$.t", "End": True}})
    assert (await run(definition, {"t": 42}, tasks)).output == 42


async def test_jsonata_task_arguments_and_output_see_the_result(tasks: CallableTasks) -> None:
    tasks.register(FUNCTION, lambda p: {"sum": p["a"] + p["b"]})
    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Arguments": {"a": "{% $states.input.x %}", "b": 2},
                "Output": "{% $states.result.sum * 10 %}",
                "End": True,
            }
        },
        QueryLanguage="JSONata",
    )
    assert (await run(definition, {"x": 1}, tasks)).output == 30


async def test_unregistered_resource_fails_the_task(tasks: CallableTasks) -> None:
    result = await run(
        machine({"T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True}}), {}, tasks
    )
    assert result.status == "FAILED"
    assert result.error == "States.TaskFailed"


async def test_states_error_from_a_task_keeps_its_name(tasks: CallableTasks) -> None:
    def fail(_: Any) -> None:
        raise StatesError("Custom.Error", "details")

    tasks.register(FUNCTION, fail)
    result = await run(machine({"T": {"Type": "Task", "Resource": FUNCTION, "End": True}}), {}, tasks)
    assert (result.error, result.cause) == ("Custom.Error", "details")
