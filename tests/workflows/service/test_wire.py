"""The catalogue over the wire: boto3 against a real server (timestamps, errors, paginators, TestState)."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.harness.server import ServerProcess
from tests.workflows.service.helpers import PASS, ROLE, definition

pytestmark = pytest.mark.server


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_create_describe_and_versions_over_the_wire(server: ServerProcess) -> None:
    sfn = server.client("stepfunctions")
    created = sfn.create_state_machine(name=_name("wire"), definition=PASS, roleArn=ROLE, publish=True)
    assert isinstance(created["creationDate"], datetime.datetime)
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    described = sfn.describe_state_machine(stateMachineArn=created["stateMachineVersionArn"])
    assert described["stateMachineArn"] == f"{arn}:1" and json.loads(described["definition"]) == json.loads(PASS)
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=definition(2), publish=True)
    assert updated["stateMachineVersionArn"] == f"{arn}:2" and isinstance(updated["updateDate"], datetime.datetime)
    sfn.delete_state_machine(stateMachineArn=arn)


def test_errors_arrive_with_aws_codes_and_texts(server: ServerProcess) -> None:
    sfn = server.client("stepfunctions")
    with pytest.raises(ClientError) as invalid:
        sfn.describe_state_machine(stateMachineArn="not_a_valid_arn")
    assert invalid.value.response["Error"] == {
        "Code": "InvalidArn",
        "Message": "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'",
    }
    with pytest.raises(ClientError) as too_many:
        sfn.list_state_machines(maxResults=1001)
    assert too_many.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000"
    )
    with pytest.raises(ClientError) as bad_token:
        sfn.list_activities(nextToken="forged")
    assert bad_token.value.response["Error"]["Code"] == "InvalidToken"


def test_boto3_paginators_walk_every_page(server: ServerProcess) -> None:
    sfn = server.client("stepfunctions")
    prefix = _name("page")
    arns = [sfn.create_activity(name=f"{prefix}-{i}")["activityArn"] for i in range(5)]
    seen = [
        activity["activityArn"]
        for page in sfn.get_paginator("list_activities").paginate(PaginationConfig={"PageSize": 2})
        for activity in page["activities"]
        if activity["name"].startswith(prefix)
    ]
    assert seen == sorted(arns)


def test_test_state_over_the_wire(server: ServerProcess) -> None:
    sfn = server.client("stepfunctions", inject_host_prefix=False)  # the model's "sync-" host prefix
    answer = sfn.test_state(
        definition=json.dumps({"Type": "Pass", "Parameters": {"v.$": "$.x"}, "Next": "Done"}),
        input=json.dumps({"x": 3}),
        inspectionLevel="DEBUG",
    )
    assert answer["status"] == "SUCCEEDED" and answer["nextState"] == "Done"
    assert json.loads(answer["output"]) == {"v": 3}
    assert json.loads(answer["inspectionData"]["afterParameters"]) == {"v": 3}
