"""State machines through the service, on every store: create, describe, update, delete, list, validate."""

from __future__ import annotations

import json

import pytest

import eventyard
from tests.workflows.service.helpers import PASS, ROLE, create, definition, fails_with, machine_arn


async def test_create_answers_the_arn_and_describe_shows_aws_defaults(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    created = await create(sfn, "orders")
    assert created == {"stateMachineArn": machine_arn("orders"), "creationDate": created["creationDate"]}
    described = await sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"])
    assert described == {
        "stateMachineArn": machine_arn("orders"),
        "name": "orders",
        "status": "ACTIVE",
        "definition": PASS,
        "roleArn": ROLE,
        "type": "STANDARD",
        "creationDate": created["creationDate"],
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False},
    }


async def test_create_is_idempotent_on_the_definition_text_but_not_on_another_text(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    first = await create(sfn, "idem", PASS, tags=[{"key": "a", "value": "1"}])
    again = await sfn.create_state_machine(
        name="idem", definition=PASS, roleArn="arn:aws:iam::000000000000:role/other", tags=[]
    )
    assert again == first  # a different role and tags are ignored, as AWS documents
    reformatted = json.dumps(json.loads(PASS), indent=4)
    await fails_with(
        "StateMachineAlreadyExists",
        create(sfn, "idem", reformatted),
        f"State Machine Already Exists: '{machine_arn('idem')}'",
    )
    await fails_with("StateMachineAlreadyExists", create(sfn, "idem", PASS, type="EXPRESS"))
    await fails_with("StateMachineAlreadyExists", create(sfn, "idem", PASS, publish=True))
    assert (await sfn.list_tags_for_resource(resourceArn=first["stateMachineArn"]))["tags"] == [
        {"key": "a", "value": "1"}
    ]


async def test_create_refuses_what_aws_refuses(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    await fails_with("InvalidName", create(sfn, "has space"), "Invalid Name: 'has space'")
    await fails_with("InvalidName", create(sfn, "a:b"))
    await fails_with(
        "InvalidDefinition",
        create(sfn, "bad", json.dumps({"StartAt": "P"})),
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'",
    )
    await fails_with(
        "InvalidArn",
        sfn.create_state_machine(name="r", definition=PASS, roleArn="not-a-role"),
        "Invalid Arn: 'Invalid ARN prefix: not-a-role'",
    )
    await fails_with(
        "ValidationException",
        create(sfn, "desc", versionDescription="v1"),
        "Version description can only be set when publish is true",
    )
    await fails_with(
        "InvalidLoggingConfiguration",
        create(sfn, "log", loggingConfiguration={"level": "ERROR"}),
        "Invalid Logging Configuration: Must specify exactly one Log Destination.",
    )
    express_callback = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True}},
    }
    await fails_with("InvalidDefinition", create(sfn, "exp", json.dumps(express_callback), type="EXPRESS"))


async def test_logging_tracing_and_encryption_are_stored_and_shown(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    group = "arn:aws:logs:us-east-1:000000000000:log-group:flows:*"
    logging = {
        "level": "ALL",
        "includeExecutionData": True,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}],
    }
    encryption = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/flows", "kmsDataKeyReusePeriodSeconds": 120}
    arn = (
        await create(
            sfn,
            "observed",
            loggingConfiguration=logging,
            tracingConfiguration={"enabled": True},
            encryptionConfiguration=encryption,
        )
    )["stateMachineArn"]
    described = await sfn.describe_state_machine(stateMachineArn=arn)
    assert described["loggingConfiguration"] == logging
    assert described["tracingConfiguration"] == {"enabled": True}
    assert described["encryptionConfiguration"] == encryption
    empty = (await create(sfn, "empty-logging", loggingConfiguration={"destinations": []}))["stateMachineArn"]
    shown = (await sfn.describe_state_machine(stateMachineArn=empty))["loggingConfiguration"]
    assert shown == {"level": "OFF", "includeExecutionData": False, "destinations": []}


async def test_update_makes_a_revision_only_when_something_changes(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "revised"))["stateMachineArn"]
    assert "revisionId" not in await sfn.describe_state_machine(stateMachineArn=arn)
    first = await sfn.update_state_machine(stateMachineArn=arn, roleArn="arn:aws:iam::000000000000:role/two")
    same = await sfn.update_state_machine(stateMachineArn=arn, roleArn="arn:aws:iam::000000000000:role/two")
    assert first["revisionId"] == same["revisionId"]
    second = await sfn.update_state_machine(stateMachineArn=arn, definition=definition({"rev": 2}))
    assert second["revisionId"] != first["revisionId"] and "stateMachineVersionArn" not in second
    described = await sfn.describe_state_machine(stateMachineArn=arn)
    assert described["revisionId"] == second["revisionId"]
    assert json.loads(described["definition"])["States"]["P"]["Result"] == {"rev": 2}


async def test_update_refuses_nothing_to_change_versions_and_invalid_definitions(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "strict", publish=True))["stateMachineArn"]
    await fails_with(
        "MissingRequiredParameter",
        sfn.update_state_machine(stateMachineArn=arn),
        "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
    )
    await fails_with(
        "StateMachineDoesNotExist",
        sfn.update_state_machine(stateMachineArn=f"{arn}:1", definition=PASS),
        f"State Machine Does Not Exist: '{arn}:1'",
    )
    await fails_with("InvalidDefinition", sfn.update_state_machine(stateMachineArn=arn, definition="{}"))
    await fails_with("StateMachineDoesNotExist", sfn.update_state_machine(stateMachineArn=f"{arn}x", definition=PASS))


async def test_delete_removes_the_machine_its_versions_and_aliases_and_is_idempotent(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    created = await create(sfn, "doomed", publish=True)
    arn, version = created["stateMachineArn"], created["stateMachineVersionArn"]
    await sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )
    await sfn.delete_state_machine(stateMachineArn=arn)
    await sfn.delete_state_machine(stateMachineArn=arn)
    await fails_with("StateMachineDoesNotExist", sfn.describe_state_machine(stateMachineArn=arn))
    await fails_with("StateMachineDoesNotExist", sfn.describe_state_machine(stateMachineArn=version))
    await fails_with("ResourceNotFound", sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:live"))
    again = await create(sfn, "doomed")  # the name is free again, and versions number from 1
    assert again["stateMachineArn"] == arn
    await fails_with("ValidationException", sfn.delete_state_machine(stateMachineArn=version))


async def test_describe_answers_invalid_and_unknown_arns_as_aws(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    await fails_with(
        "InvalidArn", sfn.describe_state_machine(stateMachineArn="nope"), "Invalid Arn: 'Invalid ARN prefix: nope'"
    )
    await fails_with(
        "InvalidArn",
        sfn.describe_state_machine(stateMachineArn="arn:aws:states:us-east-1:000000000000:activity:a"),
        "Invalid Arn: 'Resource type not valid in this context: activity'",
    )
    other_region = "arn:aws:states:eu-west-1:000000000000:stateMachine:orders"
    await create(sfn, "orders")
    await fails_with("StateMachineDoesNotExist", sfn.describe_state_machine(stateMachineArn=other_region))


async def test_list_pages_in_name_order_with_opaque_tokens(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    for name in ("b", "a", "d", "c", "e"):
        await create(sfn, name)
    first = await sfn.list_state_machines(maxResults=2)
    assert [m["name"] for m in first["stateMachines"]] == ["a", "b"]
    second = await sfn.list_state_machines(maxResults=2, nextToken=first["nextToken"])
    third = await sfn.list_state_machines(maxResults=2, nextToken=second["nextToken"])
    assert [m["name"] for m in second["stateMachines"] + third["stateMachines"]] == ["c", "d", "e"]
    assert "nextToken" not in third
    assert set(first["stateMachines"][0]) == {"stateMachineArn", "name", "type", "creationDate"}
    await fails_with("InvalidToken", sfn.list_state_machines(nextToken="garbage"), "Invalid Token: 'Invalid token'")
    everything = await sfn.list_state_machines(maxResults=0)
    assert len(everything["stateMachines"]) == 5 and "nextToken" not in everything


async def test_validate_definition_answers_diagnostics_with_severity_and_truncation(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    assert await sfn.validate_state_machine_definition(definition=PASS) == {
        "result": "OK",
        "diagnostics": [],
        "truncated": False,
    }
    broken = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "X"}, "B": {"Type": "Succeed"}}})
    answer = await sfn.validate_state_machine_definition(definition=broken, maxResults=1)
    assert answer["result"] == "FAIL" and answer["truncated"] is True
    assert answer["diagnostics"] == [
        {
            "severity": "ERROR",
            "code": "MISSING_TRANSITION_TARGET",
            "message": "Missing 'Next' target: X",
            "location": "/States/A/Next",
        }
    ]
    callback = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True}},
    }
    assert (await sfn.validate_state_machine_definition(definition=json.dumps(callback)))["result"] == "OK"
    express = await sfn.validate_state_machine_definition(definition=json.dumps(callback), type="EXPRESS")
    assert express["result"] == "FAIL"


async def test_describe_shows_the_variables_each_state_reads(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    machine = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"who": "world", "n": 3}, "Next": "Use"},
            "Use": {
                "Type": "Pass",
                "Parameters": {"greeting.$": "States.Format('hi {}', $who)", "lit": "$n"},
                "Next": "J",
            },
            "J": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $n + $count([1]) %}", "End": True},
        },
    }
    arn = (await create(sfn, "vars", json.dumps(machine)))["stateMachineArn"]
    described = await sfn.describe_state_machine(stateMachineArn=arn)
    assert described["variableReferences"] == {"Use": ["who"], "J": ["n"]}
    assert "variableReferences" not in await sfn.describe_state_machine(
        stateMachineArn=(await create(sfn, "no"))["stateMachineArn"]
    )


@pytest.mark.parametrize(
    ("resource", "text"),
    [
        ("arn:aws:states:::sns:publish.waitForTaskToken", "'.waitForTaskToken' service integration  at"),
        ("arn:aws:states:::states:startExecution.sync", "'.sync' service integration at"),
        ("arn:aws:states:us-east-1:000000000000:activity:a", "Activity ARN at"),
    ],
)
async def test_express_machines_refuse_waiting_tasks_with_aws_texts(
    yard: eventyard.Yard, resource: str, text: str
) -> None:
    waiting = json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True}}})
    await fails_with(
        "InvalidDefinition",
        create(yard.client("stepfunctions"), "express", waiting, type="EXPRESS"),
        f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support {text} "
        "/States/T/Resource'",
    )
