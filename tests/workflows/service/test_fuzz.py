"""Whatever a client sends to the catalogue's operations or TestState, the answer is AWS's error or
a result, never a Python exception (the gateway would turn one into a 500).

Requests follow each operation's model (so they pass the model's checks often enough to reach the
operation) with member values drawn from a pool of plausible and implausible texts: ARNs of every
kind, definitions, JSON and not-JSON.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventyard
from eventyard.errors import EventyardError
from eventyard.models import model_for
from tests.workflows.service.helpers import PASS, ROLE

BASE = "arn:aws:states:us-east-1:000000000000:stateMachine:fuzzed"
STRINGS = [
    BASE,
    f"{BASE}:1",
    f"{BASE}:2",
    f"{BASE}:live",
    f"{BASE}:",
    "arn:aws:states:us-east-1:000000000000:activity:work",
    "arn:aws:states:us-east-1:000000000000:execution:fuzzed:e",
    "arn:aws:sqs:us-east-1:000000000000:q",
    ROLE,
    "fuzzed",
    "live",
    "",
    "x" * 90,
    "{}",
    "[1, 2]",
    "null",
    "not json",
    PASS,
    json.dumps({"Type": "Pass", "End": True}),
    json.dumps(
        {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": True}
    ),
    json.dumps(
        {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}, "End": True}
    ),
    json.dumps({"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": "b", "Next": "N"}]}),
    json.dumps({"Type": "Wait", "SecondsPath": "$.s", "End": True}),
    json.dumps({"Execution": {"Id": 1}}),
    '{"StatusCode": "x"}',
    "STRICT",
    "DEBUG",
]
OPERATIONS = [
    "CreateStateMachine",
    "DescribeStateMachine",
    "UpdateStateMachine",
    "DeleteStateMachine",
    "ListStateMachines",
    "ValidateStateMachineDefinition",
    "PublishStateMachineVersion",
    "ListStateMachineVersions",
    "DeleteStateMachineVersion",
    "CreateStateMachineAlias",
    "DescribeStateMachineAlias",
    "UpdateStateMachineAlias",
    "DeleteStateMachineAlias",
    "ListStateMachineAliases",
    "CreateActivity",
    "DescribeActivity",
    "DeleteActivity",
    "ListActivities",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "TestState",
]
MODEL = model_for("stepfunctions")


def _value(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure" and depth < 4:
        members = {name: _value(member, depth + 1) for name, member in shape.members.items()}
        return st.fixed_dictionaries({}, optional=members)
    if kind == "list" and depth < 4:
        return st.lists(_value(shape.member, depth + 1), max_size=3)
    if kind in ("integer", "long"):
        return st.integers(min_value=-2, max_value=1200)
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.one_of(st.sampled_from(shape.enum) if shape.enum else st.nothing(), st.sampled_from(STRINGS))
    return st.none()


REQUESTS = st.sampled_from(OPERATIONS).flatmap(
    lambda operation: st.tuples(st.just(operation), _value(MODEL.operations[operation].input_shape))
)


async def _seeded(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    await sfn.create_state_machine(name="fuzzed", definition=PASS, roleArn=ROLE, publish=True)
    await sfn.update_state_machine(stateMachineArn=BASE, definition=PASS.replace('"P"', '"Q"'), publish=True)
    await sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{BASE}:1", "weight": 100}]
    )
    await sfn.create_activity(name="work")


async def _run(calls: list[tuple[str, dict[str, Any]]]) -> None:
    async with eventyard.open("memory://") as yard:
        await _seeded(yard)
        for operation, request in calls:
            try:
                await yard.api.dispatch("stepfunctions", operation, request, yard.client("stepfunctions")._context)
            except EventyardError as error:
                assert error.status < 500, f"{operation} {request} -> {error!r}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(calls=st.lists(REQUESTS, min_size=1, max_size=6))
def test_catalogue_operations_answer_aws_errors_not_exceptions(calls: list[tuple[str, dict[str, Any]]]) -> None:
    asyncio.run(_run(calls))
