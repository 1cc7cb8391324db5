"""A request signed for a service Eventyard does not serve gets an AWS error in that service's own
protocol, which botocore parses into a ClientError naming the service and what is served, and which
no retry policy retries (``aws s3 ls`` against Eventyard fails at once, clearly)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.retries.standard import RetryContext, StandardRetryConditions
from botocore.retryhandler import create_checker_from_retry_config
from botocore.translate import build_retry_config

import eventyard
from eventyard.gateway.app import Gateway
from tests.gateway.asgi import AUTH, botocore_call, call


def operation(service: str, name: str) -> Any:
    return ServiceModel(Loader().load_service_model(service, "service-2"), service).operation_model(name)


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async with eventyard.open("memory://") as yard:
        yield Gateway(yard)


@pytest.mark.parametrize(
    ("service", "protocol", "name", "params"),
    [
        ("s3", "rest-xml", "ListBuckets", {}),
        ("s3", "rest-xml", "GetObject", {"Bucket": "b", "Key": "k/v.txt"}),
        ("dynamodb", "json", "ListTables", {}),
        ("sts", "query", "GetCallerIdentity", {}),
        ("ec2", "ec2", "DescribeInstances", {}),
        ("apigateway", "rest-json", "GetRestApis", {}),
        ("cloudformation", "query", "ListStacks", {}),
    ],
)
async def test_botocore_reads_a_clear_error_naming_the_service(gateway, service, protocol, name, params) -> None:
    model = operation(service, name)
    response, parsed = await botocore_call(gateway, protocol, model, params, service)
    assert response.status == 400
    assert parsed["Error"]["Code"] == "UnknownOperationException"
    served = ", ".join(sorted(gateway.yard.services))
    assert parsed["Error"]["Message"] == f"Eventyard does not serve the {service} API (it serves {served})."
    http = SimpleNamespace(status_code=response.status, headers=response.headers)
    context = RetryContext(1, operation_model=model, parsed_response=parsed, http_response=http)
    assert not StandardRetryConditions().is_retryable(context)  # botocore's standard mode
    retry = Loader().load_data("_retry")
    legacy = create_checker_from_retry_config(build_retry_config(service, retry["retry"], retry["definitions"]), name)
    assert not legacy(1, (context.http_response, parsed), None, retries_context={})  # and its legacy mode


async def test_a_target_for_an_unknown_api_without_a_scope_is_an_unknown_operation(gateway) -> None:
    headers = {"x-amz-target": "Nobody_2020.DoIt", "content-type": "application/x-amz-json-1.0"}
    response = await call(gateway, "POST", "/", headers=headers, body=b"{}")
    assert response.status == 400
    assert b"UnknownOperationException" in response.body


async def test_a_scope_naming_no_aws_service_gets_the_generic_error(gateway) -> None:
    headers = {"authorization": AUTH.format(service="made-up-service")}
    response = await call(gateway, "GET", "/anything", headers=headers)
    assert response.status == 400
    assert b"UnknownOperationException" in response.body


async def test_unsigned_get_of_the_root_is_still_the_banner(gateway) -> None:
    response = await call(gateway, "GET", "/")
    assert response.status == 200
    assert b'"eventyard"' in response.body
