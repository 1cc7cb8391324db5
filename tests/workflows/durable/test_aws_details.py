"""Details of executions as AWS records them: timeouts, the Express context object, an empty SendTaskFailure."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import eventyard
from tests.workflows.durable.conftest import Catalogue
from tests.workflows.durable.test_engine import _messages, _queue, describe, history, run

CONTEXT = {"StartAt": "Show", "States": {"Show": {"Type": "Pass", "Parameters": {"e.$": "$$.Execution"}, "End": True}}}


async def test_an_execution_past_its_timeout_is_timed_out_without_error_or_cause(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    """AWS-recorded (test_timeouts, test_global_timeout): DescribeExecution shows TIMED_OUT and neither
    error nor cause; the history ends with ExecutionTimedOut."""
    arn = await catalogue.add(
        "slow", {"TimeoutSeconds": 5, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
    )
    execution = await run(yard, arn)
    await yard.advance(10)
    described = await describe(yard, execution)
    assert described["status"] == "TIMED_OUT"
    assert "error" not in described and "cause" not in described
    assert (await history(yard, execution))[-1]["type"] == "ExecutionTimedOut"


async def test_a_synchronous_express_execution_past_five_minutes_is_timed_out(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    arn = await catalogue.add(
        "long", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}, kind="EXPRESS"
    )
    answer = asyncio.ensure_future(yard.client("stepfunctions").start_sync_execution(stateMachineArn=arn))
    await yard.advance(299)
    assert not answer.done()
    await yard.advance(2)
    done = await answer
    assert done["status"] == "TIMED_OUT"
    assert "error" not in done and "cause" not in done and "output" not in done


async def test_a_synchronous_express_context_has_no_redrive_count(yard: eventyard.Yard, catalogue: Catalogue) -> None:
    """AWS-recorded (test_express_sync): $$.Execution of StartSyncExecution has no RedriveCount."""
    arn = await catalogue.add("shown", CONTEXT, kind="EXPRESS")
    done = await yard.client("stepfunctions").start_sync_execution(stateMachineArn=arn, input='{"a": 1}')
    shown = json.loads(done["output"])["e"]
    assert set(shown) == {"Id", "Input", "Name", "RoleArn", "StartTime"}
    assert shown["Input"] == {"a": 1} and shown["Id"] == done["executionArn"]


async def test_an_asynchronous_express_context_has_redrive_count_zero(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    """AWS-recorded (test_express_async): $$.Execution of an Express StartExecution has RedriveCount 0."""
    url = await _queue(yard, "shown")
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Execution"},
                "End": True,
            }
        },
    }
    arn = await catalogue.add("sent", definition, kind="EXPRESS")
    await run(yard, arn)
    await yard.run_until_idle()
    [message] = await _messages(yard, url)
    assert json.loads(message["Body"])["RedriveCount"] == 0


async def test_send_task_failure_without_error_or_cause_records_neither(
    yard: eventyard.Yard, catalogue: Catalogue
) -> None:
    """AWS-recorded (test_callback, no_error_field, SQS_WAIT_FOR_TASK_TOKEN_CATCH): TaskFailed has only
    the resource; States.Runtime does not catch it, States.ALL does, with Error and Cause null."""
    url = await _queue(yard, "asks")
    definition: dict[str, Any] = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": url, "MessageBody": {"TaskToken.$": "$$.Task.Token"}},
                "Catch": [
                    {"ErrorEquals": ["States.Runtime"], "ResultPath": "$.runtime", "Next": "Runtime"},
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.all", "Next": "All"},
                ],
                "End": True,
            },
            "Runtime": {"Type": "Pass", "End": True},
            "All": {"Type": "Pass", "End": True},
        },
    }
    arn = await catalogue.add("empty-failure", definition)
    execution = await run(yard, arn, {"m": 1})
    [message] = await _messages(yard, url)
    await yard.client("stepfunctions").send_task_failure(taskToken=json.loads(message["Body"])["TaskToken"])
    await yard.run_until_idle()
    described = await describe(yard, execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"m": 1, "all": {"Error": None, "Cause": None}}
    events = await history(yard, execution)
    [failed] = [e for e in events if e["type"] == "TaskFailed"]
    assert failed["taskFailedEventDetails"] == {"resource": "sendMessage.waitForTaskToken", "resourceType": "sqs"}
    assert "PassStateEntered" in [e["type"] for e in events]
    assert [e["stateEnteredEventDetails"]["name"] for e in events if e["type"] == "PassStateEntered"] == ["All"]
