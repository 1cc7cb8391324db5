"""Asynchronous invokes on the virtual clock: durable, retried as AWS retries, then to destinations."""

from __future__ import annotations

import orjson
import pytest

from eventyard.functions.errors import TooManyRequests
from tests.functions.helpers import create


async def _queue(yard, name: str) -> tuple[str, str]:
    sqs = yard.client("sqs")
    url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    return url, arn


async def _bodies(yard, url: str) -> list:
    answer = await yard.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [orjson.loads(m["Body"]) for m in answer.get("Messages", [])]


def _flaky(yard, fail_times: int) -> list:
    attempts: list = []

    def handler(event, context):
        attempts.append(context.aws_request_id)
        if len(attempts) <= fail_times:
            raise RuntimeError(f"attempt {len(attempts)}")
        return {"ok": event}

    yard.functions.register("flaky", handler)
    return attempts


async def test_an_event_invoke_answers_202_and_runs(yard) -> None:
    seen = []
    yard.functions.register("sink", lambda event, context: seen.append(event))
    answer = await yard.client("lambda").invoke(FunctionName="sink", InvocationType="Event", Payload=b'{"n": 1}')
    assert answer["StatusCode"] == 202 and answer.get("Payload", b"") == b""
    await yard.run_until_idle()
    assert seen == [{"n": 1}]


async def test_failures_are_retried_twice_one_then_two_minutes_apart(yard) -> None:
    attempts = _flaky(yard, fail_times=10)
    await yard.client("lambda").invoke(FunctionName="flaky", InvocationType="Event", Payload=b"{}")
    await yard.run_until_idle()
    assert len(attempts) == 1
    await yard.advance(59)
    assert len(attempts) == 1
    await yard.advance(2)
    assert len(attempts) == 2
    await yard.advance(119)
    assert len(attempts) == 3
    await yard.advance(3600)
    assert len(attempts) == 3  # 2 retries by default, then it is given up
    assert len(set(attempts)) == 1  # one request id across the attempts, as AWS keeps it


async def test_on_failure_destination_gets_aws_record_after_the_retries(yard) -> None:
    url, arn = await _queue(yard, "failed")
    attempts = _flaky(yard, fail_times=10)
    lam = yard.client("lambda")
    config = await lam.put_function_event_invoke_config(
        FunctionName="flaky", MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    assert config["FunctionArn"].endswith(":function:flaky:$LATEST") and config["MaximumRetryAttempts"] == 1
    await lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"order": 7}')
    await yard.advance(3600)
    assert len(attempts) == 2
    (record,) = await _bodies(yard, url)
    assert record["version"] == "1.0" and record["requestPayload"] == {"order": 7}
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["functionArn"].endswith(":function:flaky:$LATEST")
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "attempt 2"


async def test_on_success_destination_and_a_retry_that_succeeds(yard) -> None:
    url, arn = await _queue(yard, "succeeded")
    attempts = _flaky(yard, fail_times=1)
    lam = yard.client("lambda")
    await lam.put_function_event_invoke_config(
        FunctionName="flaky", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    await lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"x": 1}')
    await yard.advance(120)
    assert len(attempts) == 2
    (record,) = await _bodies(yard, url)
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responsePayload"] == {"ok": {"x": 1}}


async def test_maximum_event_age_ends_retries_with_event_age_exceeded(yard) -> None:
    url, arn = await _queue(yard, "aged")
    attempts = _flaky(yard, fail_times=10)
    lam = yard.client("lambda")
    await lam.put_function_event_invoke_config(
        FunctionName="flaky", MaximumEventAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    await lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=b"{}")
    await yard.advance(3600)
    assert len(attempts) == 2  # the retry after a minute finds the event a minute old
    (record,) = await _bodies(yard, url)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"


async def test_dead_letter_queue_gets_the_event_with_error_attributes(yard) -> None:
    url, arn = await _queue(yard, "dlq")
    lam = yard.client("lambda")
    await create(
        lam, "fails", "def handler(e, c):\n    raise Exception('intentional')\n", DeadLetterConfig={"TargetArn": arn}
    )
    await lam.put_function_event_invoke_config(FunctionName="fails", MaximumRetryAttempts=0)
    await lam.invoke(FunctionName="fails", InvocationType="Event", Payload=b'{"raise_error": 1}')
    await yard.run_until_idle()
    answer = await yard.client("sqs").receive_message(QueueUrl=url, MessageAttributeNames=["All"])
    (message,) = answer["Messages"]
    assert orjson.loads(message["Body"]) == {"raise_error": 1}
    attributes = message["MessageAttributes"]
    assert attributes["ErrorMessage"]["StringValue"] == "intentional"
    assert attributes["ErrorCode"] == {"DataType": "Number", "StringValue": "200"}


async def test_reserved_concurrency_zero_throttles_sync_and_holds_async_invokes(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "held", "def handler(e, c):\n    return 1\n")
    await lam.put_function_concurrency(FunctionName="held", ReservedConcurrentExecutions=0)
    assert (await lam.get_function_concurrency(FunctionName="held")) == {"ReservedConcurrentExecutions": 0}
    with pytest.raises(TooManyRequests, match=r"Rate Exceeded\."):
        await lam.invoke(FunctionName="held")
    url, arn = await _queue(yard, "done")
    await lam.put_function_event_invoke_config(
        FunctionName="held", DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    await lam.invoke(FunctionName="held", InvocationType="Event", Payload=b"{}")
    await yard.advance(30)
    assert await _bodies(yard, url) == []  # throttled, kept
    await lam.delete_function_concurrency(FunctionName="held")
    await yard.advance(600)
    (record,) = await _bodies(yard, url)
    assert record["requestContext"]["condition"] == "Success"


async def test_event_invoke_config_operations(yard) -> None:
    lam = yard.client("lambda")
    yard.functions.register("x", lambda e, c: None)
    await create(lam, "f", "def handler(e, c):\n    return 1\n")
    await lam.put_function_event_invoke_config(FunctionName="f", MaximumRetryAttempts=0)
    updated = await lam.update_function_event_invoke_config(FunctionName="f", MaximumEventAgeInSeconds=100)
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (0, 100)
    listed = await lam.list_function_event_invoke_configs(FunctionName="f")
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed["FunctionEventInvokeConfigs"]] == ["$LATEST"]
    await lam.delete_function_event_invoke_config(FunctionName="f")
    with pytest.raises(Exception, match="doesn't have an EventInvokeConfig"):
        await lam.get_function_event_invoke_config(FunctionName="f")
    with pytest.raises(Exception, match="can't specify the function as a destination for itself"):
        await lam.put_function_event_invoke_config(
            FunctionName="f",
            DestinationConfig={"OnFailure": {"Destination": "arn:aws:lambda:us-east-1:000000000000:function:f"}},
        )
