"""boto3 pointed at Eventyard for a service it does not serve fails at once with a clear error."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.harness.server import ServerProcess


@pytest.mark.server
@pytest.mark.parametrize("mode", ["legacy", "standard"])
@pytest.mark.parametrize(
    ("service", "call"),
    [
        ("s3", lambda c: c.list_buckets()),
        ("dynamodb", lambda c: c.list_tables()),
        ("cloudformation", lambda c: c.list_stacks()),
    ],
)
def test_an_unserved_service_is_a_clear_error_without_retries(server: ServerProcess, mode, service, call) -> None:
    client = boto3.client(
        service, endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"mode": mode, "max_attempts": 5}),
    )  # fmt: skip
    with pytest.raises(ClientError) as caught:
        call(client)
    error = caught.value.response
    assert error["Error"]["Code"] == "UnknownOperationException"
    assert error["Error"]["Message"].startswith(f"Eventyard does not serve the {service} API (it serves ")
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
