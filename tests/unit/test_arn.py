"""ARNs are read and built in one place; each resource shape keeps its type and name apart."""

from __future__ import annotations

import pytest

from eventyard import arn


@pytest.mark.parametrize(
    ("text", "service", "kind", "name"),
    [
        ("arn:aws:sqs:us-east-1:000000000000:orders", "sqs", "", "orders"),
        ("arn:aws:events:eu-west-1:111111111111:rule/orders/on-order", "events", "rule", "orders/on-order"),
        ("arn:aws:states:us-east-1:000000000000:stateMachine:checkout", "states", "stateMachine", "checkout"),
        ("arn:aws:lambda:us-east-1:000000000000:function:resize:live", "lambda", "function", "resize:live"),
        ("arn:aws:kinesis:us-east-1:000000000000:stream/clicks", "kinesis", "stream", "clicks"),
    ],
)
def test_arn_parts(text: str, service: str, kind: str, name: str) -> None:
    found = arn.parse(text)
    assert found is not None
    assert (found.service, found.resource_type, found.resource_name) == (service, kind, name)
    assert str(found) == text


@pytest.mark.parametrize("text", ["", "orders", "arn:aws:sqs", "arn::::", "urn:aws:sqs:r:a:q", None, 5])
def test_what_is_not_an_arn(text: object) -> None:
    assert arn.parse(text) is None  # type: ignore[arg-type]


def test_parse_as_checks_the_service() -> None:
    assert arn.parse_as("arn:aws:sqs:us-east-1:000000000000:q", "sqs") is not None
    assert arn.parse_as("arn:aws:sqs:us-east-1:000000000000:q", "sns") is None
    assert arn.build("sns", "us-east-1", "000000000000", "alerts") == "arn:aws:sns:us-east-1:000000000000:alerts"
