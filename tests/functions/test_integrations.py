"""Functions reached by the other services: EventBridge rule targets, SNS subscriptions, Step Functions tasks."""

from __future__ import annotations

import json

import orjson
import pytest

from tests.functions.helpers import create

FN = "arn:aws:lambda:us-east-1:000000000000:function:"
ROLE = "arn:aws:iam::000000000000:role/sfn"


async def test_a_rule_delivers_matching_events_to_a_function_as_an_async_invoke(yard) -> None:
    seen: list = []
    yard.functions.register("on-order", lambda event, context: seen.append(event))
    events = yard.client("events")
    await events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    put = await events.put_targets(Rule="orders", Targets=[{"Id": "f", "Arn": FN + "on-order"}])
    assert put["FailedEntryCount"] == 0
    await events.put_events(
        Entries=[
            {"Source": "shop", "DetailType": "OrderPlaced", "Detail": '{"id": 1}'},
            {"Source": "other", "DetailType": "OrderPlaced", "Detail": '{"id": 2}'},
        ]
    )
    await yard.run_until_idle()
    assert [(e["source"], e["detail"]) for e in seen] == [("shop", {"id": 1})]


async def test_a_topic_subscription_invokes_the_function_with_the_sns_event(yard) -> None:
    seen: list = []
    yard.functions.register("on-note", lambda event, context: seen.append(event))
    sns = yard.client("sns")
    topic = (await sns.create_topic(Name="notes"))["TopicArn"]
    await sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=FN + "on-note")
    await sns.publish(TopicArn=topic, Message="hello", Subject="s")
    await yard.run_until_idle()
    (event,) = seen
    record = event["Records"][0]
    assert record["EventSource"] == "aws:sns" and record["Sns"]["Message"] == "hello"
    assert record["Sns"]["TopicArn"] == topic


async def _run(yard, definition: dict, payload: dict) -> tuple[dict, list]:
    sfn = yard.client("stepfunctions")
    machine = await sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=ROLE)
    started = await sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(payload))
    await yard.run_until_idle()
    described = await sfn.describe_execution(executionArn=started["executionArn"])
    history = await sfn.get_execution_history(executionArn=started["executionArn"])
    return described, history["events"]


async def test_a_bare_function_arn_task_records_lambda_function_events(yard) -> None:
    await create(yard.client("lambda"), "double", "def handler(event, context):\n    return {'n': event['n'] * 2}\n")
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN + "double", "End": True}}}
    described, events = await _run(yard, definition, {"n": 21})
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"n": 42}
    kinds = [e["type"] for e in events]
    assert kinds[2:5] == ["LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded"]
    scheduled = events[2]["lambdaFunctionScheduledEventDetails"]
    assert scheduled["resource"] == FN + "double" and json.loads(scheduled["input"]) == {"n": 21}


async def test_a_failing_bare_function_task_records_lambda_function_failed(yard) -> None:
    await create(
        yard.client("lambda"),
        "bad",
        "class OrderRejected(Exception):\n    pass\ndef handler(event, context):\n    raise OrderRejected('no')\n",
    )
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN + "bad", "End": True}}}
    described, events = await _run(yard, definition, {})
    assert described["status"] == "FAILED" and described["error"] == "OrderRejected"
    failed = [e for e in events if e["type"] == "LambdaFunctionFailed"]
    assert failed and failed[0]["lambdaFunctionFailedEventDetails"]["error"] == "OrderRejected"
    assert json.loads(failed[0]["lambdaFunctionFailedEventDetails"]["cause"])["errorMessage"] == "no"


async def test_the_lambda_invoke_integration_answers_the_invoke_response(yard) -> None:
    yard.functions.register("greet", lambda event, context: {"hi": event["who"]})
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "greet", "Payload": {"who.$": "$.name"}},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    described, events = await _run(yard, definition, {"name": "ada"})
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"hi": "ada"}
    kinds = [e["type"] for e in events]
    assert "TaskScheduled" in kinds and "TaskSucceeded" in kinds
    succeeded = next(e for e in events if e["type"] == "TaskSucceeded")["taskSucceededEventDetails"]
    output = orjson.loads(succeeded["output"])
    assert output["StatusCode"] == 200 and output["ExecutedVersion"] == "$LATEST"


async def test_the_lambda_invoke_integration_fails_with_the_function_error(yard) -> None:
    def handler(event, context):
        raise ValueError("nope")

    yard.functions.register("fails", handler)
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "fails"},
                "End": True,
            }
        },
    }
    described, _ = await _run(yard, definition, {})
    assert described["status"] == "FAILED" and described["error"] == "ValueError"
    assert json.loads(described["cause"])["errorMessage"] == "nope"


@pytest.mark.parametrize("resource", ["arn:aws:states:::lambda:invoke", FN + "missing"])
async def test_a_missing_function_fails_the_task_with_lambda_resource_not_found(yard, resource) -> None:
    parameters = {"Parameters": {"FunctionName": "missing"}} if resource.endswith(":invoke") else {}
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **parameters}}}
    described, _ = await _run(yard, definition, {})
    assert described["status"] == "FAILED" and described["error"] == "Lambda.ResourceNotFoundException"
