"""What TestState refuses, with AWS's texts: mocks, Context objects, roles and unmockable states."""

from __future__ import annotations

import json
from typing import Any

import pytest

import eventyard
from tests.workflows.service.helpers import ROLE, fails_with

TASK = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": True}
PASS = {"Type": "Pass", "End": True}


@pytest.fixture
async def sfn() -> Any:
    async with eventyard.open("memory://") as yard:
        yield yard.client("stepfunctions")


async def trial(sfn: Any, state: dict[str, Any], **request: Any) -> dict[str, Any]:
    answer: dict[str, Any] = await sfn.test_state(definition=json.dumps(state), **request)
    return answer


@pytest.mark.parametrize("state_type", ["Pass", "Succeed", "Fail", "Choice", "Wait"])
async def test_only_tasks_maps_and_parallels_take_a_mock(sfn: Any, state_type: str) -> None:
    state: dict[str, Any] = {"Type": state_type}
    if state_type in ("Pass", "Wait"):
        state.update(End=True, **({"Seconds": 1} if state_type == "Wait" else {}))
    if state_type == "Choice":
        state.update(Choices=[{"Variable": "$.a", "IsPresent": True, "Next": "X"}])
    await fails_with(
        "ValidationException",
        trial(sfn, state, mock={"result": "{}"}),
        f"State type '{state_type}' is not supported when a mock is specified",
    )


async def test_mock_shape_refusals(sfn: Any) -> None:
    await fails_with(
        "ValidationException",
        trial(sfn, TASK, mock={"result": "{}", "errorOutput": {"error": "e", "cause": "c"}}),
        "A test mock should have only one of the following fields: [result, errorOutput].",
    )
    await fails_with(
        "ValidationException", trial(sfn, TASK, mock={"result": "nope"}), "Mocked result must be valid JSON"
    )
    await fails_with(
        "ValidationException",
        trial(sfn, TASK, mock={"result": "{}"}, revealSecrets=True),
        "TestState does not support RevealSecrets when a mock is specified.",
    )


async def test_map_and_parallel_need_a_mock_and_mock_results_of_their_shape(sfn: Any) -> None:
    map_state = {
        "Type": "Map",
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    await fails_with(
        "InvalidDefinition",
        trial(sfn, map_state),
        "TestState API does not support Map or Parallel states. "
        "Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]",
    )
    await fails_with(
        "ValidationException", trial(sfn, map_state, mock={"result": "{}"}), "Mocked result must be an array."
    )
    writer = {
        **map_state,
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}},
    }
    await fails_with(
        "ValidationException", trial(sfn, writer, mock={"result": "[]"}), "Mocked result must be a JSON object."
    )
    await fails_with(
        "ValidationException",
        trial(sfn, map_state, mock={"result": "[1]"}, stateConfiguration={"mapIterationFailureCount": 2}),
        "Map iteration failure count must be less than or equal to the number of Map iterations",
    )
    await fails_with(
        "ValidationException",
        trial(sfn, TASK, roleArn=ROLE, stateConfiguration={"mapIterationFailureCount": 1}),
        "TestState does not support MapIterationFailureCount when a mock is not specified.",
    )


async def test_an_unmocked_task_needs_a_role_and_a_callable_pattern(sfn: Any) -> None:
    await fails_with("ValidationException", trial(sfn, TASK), "RoleArn must be specified when testing a Task state")
    waiting = {**TASK, "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken"}
    await fails_with("ValidationException", trial(sfn, waiting, roleArn=ROLE))
    activity = {"Type": "Task", "Resource": "arn:aws:states:us-east-1:000000000000:activity:a", "End": True}
    await fails_with("ValidationException", trial(sfn, activity, roleArn=ROLE))
    mocked = await trial(sfn, activity, mock={"result": '{"done": true}'})
    assert json.loads(mocked["output"]) == {"done": True}
    await fails_with("InvalidArn", trial(sfn, TASK, roleArn="role"))


@pytest.mark.parametrize(
    ("context", "reason"),
    [
        ({"Pokedex": {}}, "Field 'Pokedex' is not allowed"),
        ({"Execution": {"pokemon": 1}}, "Field 'pokemon' is not allowed"),
        ({"Map": {}}, "'Map' field is not supported when mocking a Context object"),
        ({"Execution": {"Id": 5}}, "Execution.Id must be a string"),
        (
            {"Task": {"Token": "t"}},
            "Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' "
            "service integration pattern",
        ),
    ],
)
async def test_context_objects_are_checked(sfn: Any, context: dict[str, Any], reason: str) -> None:
    await fails_with(
        "ValidationException",
        trial(sfn, TASK, mock={"result": "{}"}, context=json.dumps(context)),
        f"Invalid Context object provided: {reason}",
    )


async def test_a_given_context_object_is_the_states_context_verbatim(sfn: Any) -> None:
    waiting = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token", "run.$": "$$.Execution.Name"}},
        "ResultPath": "$.reply",
        "End": True,
    }
    context = {"Execution": {"Name": "run-1"}, "Task": {"Token": "abcd"}}
    answer = await trial(
        sfn, waiting, mock={"result": '{"ok": 1}'}, context=json.dumps(context), inspectionLevel="DEBUG"
    )
    after = json.loads(answer["inspectionData"]["afterParameters"])
    assert after["MessageBody"] == {"token": "abcd", "run": "run-1"}
    await fails_with(
        "ValidationException",
        trial(sfn, TASK, roleArn=ROLE, context="{}"),
        "TestState does not support a Context object when a mock is not specified.",
    )


@pytest.mark.parametrize(
    ("mode", "result", "problem"),
    [
        ("STRICT", {"StatusCode": "200"}, "Field 'StatusCode' must be a number"),
        ("PRESENT", {"StatusCode": "200"}, "Field 'StatusCode' must be a number"),
        ("STRICT", {"Payload": 5}, "Field 'Payload' must be a string"),
        ("STRICT", {"FunctionError": 1}, "Field 'FunctionError' must be a string"),
    ],
)
async def test_mocked_results_are_checked_against_the_integrations_model(
    sfn: Any, mode: str, result: dict[str, Any], problem: str
) -> None:
    await fails_with(
        "ValidationException",
        trial(sfn, TASK, mock={"result": json.dumps(result), "fieldValidationMode": mode}),
        f"Mock result schema validation error: {problem}",
    )


async def test_strict_mode_wants_required_members_present_mode_does_not(sfn: Any) -> None:
    start = {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:x"},
        "End": True,
    }
    await fails_with(
        "ValidationException",
        trial(sfn, start, mock={"result": '{"StartDate": 1}'}),
        "Mock result schema validation error: Required field 'ExecutionArn' is missing",
    )
    present = await trial(sfn, start, mock={"result": '{"StartDate": 1}', "fieldValidationMode": "PRESENT"})
    assert present["status"] == "SUCCEEDED"
    anything = await trial(sfn, TASK, mock={"result": '{"StatusCode": "x"}', "fieldValidationMode": "NONE"})
    assert anything["status"] == "SUCCEEDED"
    enum = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "Parameters": {}, "End": True}
    await fails_with(
        "ValidationException",
        trial(sfn, enum, mock={"result": '{"StorageClass": "PLATINUM"}'}),
        "Mock result schema validation error: Field 'StorageClass' is not an expected value",
    )
