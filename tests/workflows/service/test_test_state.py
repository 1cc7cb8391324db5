"""TestState: one state run through the interpreter's handlers, answered as AWS answers it."""

from __future__ import annotations

import json
from typing import Any

import eventyard
from tests.workflows.service.helpers import ROLE, fails_with

IO_PASS = {
    "Type": "Pass",
    "InputPath": "$.initial",
    "Parameters": {"fixed": "value", "copied.$": "$.field"},
    "ResultPath": "$.modified",
    "End": True,
}
IO_INPUT = {"initial": {"field": "from input", "other": 1}, "unrelated": 2}
LAMBDA = "arn:aws:states:::lambda:invoke"


async def trial(yard: eventyard.Yard, state: dict[str, Any], **request: Any) -> dict[str, Any]:
    answer: dict[str, Any] = await yard.client("stepfunctions").test_state(definition=json.dumps(state), **request)
    return answer


def inspected(answer: dict[str, Any]) -> dict[str, Any]:
    """inspectionData with its JSON members read back."""
    data = answer["inspectionData"]
    return {k: json.loads(v) if isinstance(v, str) else v for k, v in data.items()}


async def test_info_answers_status_and_output_only() -> None:
    async with eventyard.open("memory://") as yard:
        answer = await trial(yard, IO_PASS, input=json.dumps(IO_INPUT))
    assert answer == {
        "output": json.dumps(
            {**IO_INPUT, "modified": {"fixed": "value", "copied": "from input"}}, separators=(",", ":")
        ),
        "status": "SUCCEEDED",
    }


async def test_debug_shows_each_step_of_the_jsonpath_data_flow(yard: eventyard.Yard) -> None:
    answer = await trial(yard, IO_PASS, input=json.dumps(IO_INPUT), inspectionLevel="DEBUG")
    assert inspected(answer) == {
        "input": IO_INPUT,
        "afterInputPath": IO_INPUT["initial"],
        "afterParameters": {"fixed": "value", "copied": "from input"},
        "afterResultSelector": {"fixed": "value", "copied": "from input"},
        "afterResultPath": {**IO_INPUT, "modified": {"fixed": "value", "copied": "from input"}},
    }


async def test_a_pass_state_with_result_reports_the_result_not_the_input_path(yard: eventyard.Yard) -> None:
    answer = await trial(yard, {"Type": "Pass", "Result": {"k": "v"}, "End": True}, inspectionLevel="TRACE")
    assert inspected(answer) == {
        "input": {},
        "result": {"k": "v"},
        "afterResultSelector": {"k": "v"},
        "afterResultPath": {"k": "v"},
    }


async def test_choice_answers_the_next_state_and_keeps_its_input(yard: eventyard.Yard) -> None:
    choice = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
        "Default": "Small",
    }
    big = await trial(yard, choice, input='{"n": 11}', inspectionLevel="DEBUG")
    assert big["nextState"] == "Big" and json.loads(big["output"]) == {"n": 11}
    assert inspected(big) == {"input": {"n": 11}, "afterInputPath": {"n": 11}}
    assert (await trial(yard, choice, input='{"n": 1}'))["nextState"] == "Small"


async def test_fail_state_answers_its_error_and_cause_without_output(yard: eventyard.Yard) -> None:
    answer = await trial(yard, {"Type": "Fail", "Error": "Oops", "Cause": "because"}, input='{"a": 1}')
    assert answer == {"error": "Oops", "cause": "because", "status": "FAILED"}


async def test_wait_does_not_wait(yard: eventyard.Yard) -> None:
    answer = await trial(yard, {"Type": "Wait", "Seconds": 86_400, "Next": "Later"})
    assert answer == {"output": "{}", "nextState": "Later", "status": "SUCCEEDED"}


async def test_state_name_picks_one_state_of_a_machine(yard: eventyard.Yard) -> None:
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Assign": {"seen": "{% $states.input.v %}"}, "Next": "Second"},
            "Second": {"Type": "Fail", "Error": "Stop", "Cause": "done"},
        },
    }
    first = await trial(
        yard, machine, stateName="First", input='{"v": 7}', variables='{"before": true}', inspectionLevel="DEBUG"
    )
    assert first["nextState"] == "Second" and first["status"] == "SUCCEEDED"
    assert inspected(first) == {"input": {"v": 7}, "variables": {"before": True, "seen": 7}}
    second = await trial(yard, machine, stateName="Second")
    assert (second["status"], second["error"], second["cause"]) == ("FAILED", "Stop", "done")
    await fails_with("ValidationException", trial(yard, machine, stateName="Third"), "State not found in definition")
    broken = {"StartAt": "A", "States": {"A": {"Type": "Nope", "End": True}}}
    await fails_with("InvalidDefinition", trial(yard, broken, stateName="A"))


async def test_jsonata_context_is_the_tested_states_own(yard: eventyard.Yard) -> None:
    state = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.context %}", "End": True}
    context = json.loads((await trial(yard, state, input='{"x": 1}'))["output"])
    assert context["Execution"]["Id"].startswith("arn:aws:states:us-east-1:000000000000:express:")
    assert context["Execution"]["Input"] == {"x": 1} and context["Execution"]["RoleArn"] is None
    assert "RedriveCount" not in context["Execution"]
    assert context["State"]["Name"] == "StateName" and "RetryCount" not in context["State"]


async def test_lone_state_transitions_may_point_anywhere_but_the_state_is_validated(yard: eventyard.Yard) -> None:
    catcher = {
        "Type": "Task",
        "Resource": LAMBDA,
        "Parameters": {"FunctionName": "f"},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Elsewhere"}],
        "Next": "Onwards",
    }
    answer = await trial(yard, catcher, mock={"result": "{}"})
    assert answer["nextState"] == "Onwards"
    await fails_with(
        "InvalidDefinition",
        trial(yard, {"Type": "Parallel", "Branches": [], "End": True}, mock={"result": "[]"}),
        "Invalid State Machine Definition: "
        "'SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/StateName/Branches'",
    )


async def test_a_mocked_task_runs_its_data_flow_on_the_mocked_result(yard: eventyard.Yard) -> None:
    task = {
        "Type": "Task",
        "Resource": LAMBDA,
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "ResultSelector": {"body.$": "$.Payload"},
        "ResultPath": "$.called",
        "Next": "After",
    }
    result = {"Payload": {"ok": True}, "StatusCode": 200}
    answer = await trial(yard, task, input='{"in": 1}', mock={"result": json.dumps(result)}, inspectionLevel="DEBUG")
    assert answer["status"] == "SUCCEEDED" and answer["nextState"] == "After"
    assert json.loads(answer["output"]) == {"in": 1, "called": {"body": {"ok": True}}}
    assert inspected(answer) == {
        "input": {"in": 1},
        "afterInputPath": {"in": 1},
        "afterParameters": {"FunctionName": "f", "Payload": {"in": 1}},
        "result": result,
        "afterResultSelector": {"body": {"ok": True}},
        "afterResultPath": {"in": 1, "called": {"body": {"ok": True}}},
    }


RETRY_CATCH = {
    "QueryLanguage": "JSONata",
    "Type": "Task",
    "Resource": LAMBDA,
    "Arguments": {"FunctionName": "f", "Payload": "p"},
    "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 3.0}],
    "Catch": [
        {"ErrorEquals": ["Other"], "Output": "{% $states.errorOutput %}", "Next": "HandleOther"},
        {"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Next": "HandleAll"},
    ],
    "End": True,
}


async def test_a_retried_error_is_retriable_with_its_back_off(yard: eventyard.Yard) -> None:
    failing = {"errorOutput": {"error": "Flaky", "cause": "try again"}}
    answer = await trial(
        yard, RETRY_CATCH, mock=failing, stateConfiguration={"retrierRetryCount": 2}, inspectionLevel="DEBUG"
    )
    assert (answer["status"], answer["error"], answer["cause"]) == ("RETRIABLE", "Flaky", "try again")
    assert inspected(answer)["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 18}
    assert "output" not in answer and "nextState" not in answer


async def test_an_exhausted_retrier_leaves_the_error_to_the_catchers(yard: eventyard.Yard) -> None:
    failing = {"errorOutput": {"error": "Flaky", "cause": "again"}}
    answer = await trial(
        yard, RETRY_CATCH, mock=failing, stateConfiguration={"retrierRetryCount": 3}, inspectionLevel="DEBUG"
    )
    assert (answer["status"], answer["nextState"]) == ("CAUGHT_ERROR", "HandleAll")
    assert json.loads(answer["output"]) == {"Error": "Flaky", "Cause": "again"}
    assert inspected(answer)["errorDetails"] == {"retryIndex": 0, "catchIndex": 1}
    other = await trial(yard, RETRY_CATCH, mock={"errorOutput": {"error": "Other", "cause": "c"}})
    assert (other["status"], other["nextState"], other["error"]) == ("CAUGHT_ERROR", "HandleOther", "Other")


async def test_an_uncaught_error_fails_the_state(yard: eventyard.Yard) -> None:
    state = {"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "f"}, "End": True}
    answer = await trial(yard, state, mock={"errorOutput": {"error": "Boom", "cause": "bang"}})
    assert answer == {"error": "Boom", "cause": "bang", "status": "FAILED"}


MAP = {
    "Type": "Map",
    "QueryLanguage": "JSONata",
    "Items": "{% $states.input.values %}",
    "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "QueryLanguage": "JSONata",
                "Resource": LAMBDA,
                "Arguments": {"FunctionName": "f"},
                "End": True,
            }
        },
    },
    "ToleratedFailureCount": 1,
    "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "TooMany"}],
    "End": True,
}


async def test_a_mocked_map_counts_failed_iterations_against_its_tolerance(yard: eventyard.Yard) -> None:
    values = '{"values": [1, 2, 3]}'
    tolerated = await trial(
        yard,
        MAP,
        input=values,
        mock={"result": "[1, 0, 1]"},
        stateConfiguration={"mapIterationFailureCount": 1},
        inspectionLevel="DEBUG",
    )
    assert tolerated["status"] == "SUCCEEDED" and json.loads(tolerated["output"]) == [1, 0, 1]
    assert inspected(tolerated) == {"input": {"values": [1, 2, 3]}, "maxConcurrency": 0, "toleratedFailureCount": 1}
    exceeded = await trial(
        yard, MAP, input=values, mock={"result": "[0, 0, 1]"}, stateConfiguration={"mapIterationFailureCount": 2}
    )
    assert (exceeded["status"], exceeded["error"], exceeded["nextState"]) == (
        "CAUGHT_ERROR",
        "States.ExceedToleratedFailureThreshold",
        "TooMany",
    )
    assert exceeded["cause"] == "The specified tolerated failure threshold was exceeded"


async def test_a_mocked_parallel_state_takes_one_result_per_branch(yard: eventyard.Yard) -> None:
    parallel = {
        "Type": "Parallel",
        "ResultPath": "$.both",
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
        ],
        "End": True,
    }
    answer = await trial(
        yard, parallel, input='{"x": 0}', mock={"result": '[{"a": 1}, {"b": 2}]'}, inspectionLevel="DEBUG"
    )
    assert json.loads(answer["output"]) == {"x": 0, "both": [{"a": 1}, {"b": 2}]}
    assert set(inspected(answer)) == {"input", "afterResultSelector", "afterResultPath"}
    await fails_with(
        "ValidationException",
        trial(yard, parallel, mock={"result": "[1]"}),
        "Mocked result must contain the same number of items as number of Parallel branches.",
    )


async def test_an_unmocked_task_calls_this_yards_own_queue(yard: eventyard.Yard) -> None:
    sqs = yard.client("sqs")
    url = (await sqs.create_queue(QueueName="tested"))["QueueUrl"]
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": url, "MessageBody.$": "$"},
        "TimeoutSeconds": 5,  # a real call races its timeout on the yard's clock, not on a jumping one
        "End": True,
    }
    answer = await trial(yard, task, roleArn=ROLE, input='{"order": 7}')
    assert answer["status"] == "SUCCEEDED" and "MessageId" in json.loads(answer["output"])
    received = await sqs.receive_message(QueueUrl=url)
    assert json.loads(received["Messages"][0]["Body"]) == {"order": 7}
    missing = await trial(yard, {**task, "Parameters": {"QueueUrl": url + "-gone", "MessageBody": "x"}}, roleArn=ROLE)
    assert (missing["status"], missing["error"]) == ("FAILED", "SQS.QueueDoesNotExistException")


async def test_an_unmocked_task_of_an_unserved_service_fails_as_aws_would(yard: eventyard.Yard) -> None:
    function = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:absent", "End": True}
    answer = await trial(yard, function, roleArn=ROLE)
    assert (answer["status"], answer["error"]) == ("FAILED", "Lambda.ResourceNotFoundException")
    table = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "Parameters": {}, "End": True}
    assert (await trial(yard, table, roleArn=ROLE))["error"] == "States.TaskFailed"
