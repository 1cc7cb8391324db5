"""One way in: the in-process client and the wire reach an operation through the same dispatch.

Given a yard, when a request is wrong in a way the service checks (a missing member, a bad value),
then the in-process client raises the very error the wire answers with; a parameter name boto3 would
refuse before sending is refused by the in-process client the same way.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ParamValidationError

import eventyard
from eventyard.errors import EventyardError, UnknownOperationException
from eventyard.service import RequestContext


async def test_in_process_client_and_dispatch_raise_the_same_validation_error() -> None:
    async with eventyard.open("memory://") as yard:
        with pytest.raises(EventyardError) as from_client:
            await yard.client("events").describe_rule(Name="x" * 65)
        with pytest.raises(EventyardError) as from_dispatch:
            await yard.api.dispatch("events", "DescribeRule", {"Name": "x" * 65}, RequestContext())
    assert from_client.value.code == from_dispatch.value.code == "ValidationException"
    assert from_client.value.message == from_dispatch.value.message
    assert "Member must have length less than or equal to 64" in from_client.value.message


async def test_sqs_reports_a_missing_member_in_its_own_style_in_process_too() -> None:
    async with eventyard.open("memory://") as yard:
        with pytest.raises(EventyardError) as caught:
            await yard.client("sqs").get_queue_url()
    assert caught.value.code == "MissingParameter"
    assert caught.value.message == "The request must contain the parameter QueueName."


async def test_unknown_parameter_is_refused_by_the_client_as_boto3_refuses_it() -> None:
    async with eventyard.open("memory://") as yard:
        with pytest.raises(ParamValidationError) as caught:
            await yard.client("sqs").create_queue(QueueName="q", Atributes={})
    assert '"Atributes"' in str(caught.value)


async def test_dispatch_ignores_members_the_model_does_not_know_as_aws_servers_do() -> None:
    async with eventyard.open("memory://") as yard:
        created = await yard.api.dispatch("sqs", "CreateQueue", {"QueueName": "q", "Colour": "red"}, RequestContext())
    assert created["QueueUrl"].endswith("/000000000000/q")


async def test_operation_missing_from_the_model_is_an_unknown_operation() -> None:
    async with eventyard.open("memory://") as yard:
        with pytest.raises(UnknownOperationException):
            await yard.api.dispatch("sqs", "FlyToTheMoon", {}, RequestContext())
