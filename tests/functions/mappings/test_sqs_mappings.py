"""SQS event source mappings on the virtual clock: the answers, the event, batching, failures, states."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

import eventyard
from eventyard.functions.mappings.errors import InvalidParameterValue, ResourceConflict, ResourceNotFound
from tests.functions.mappings.conftest import Functions


async def _queue(yard: eventyard.Yard, name: str, **attributes: str) -> tuple[str, str]:
    sqs = yard.client("sqs")
    url = (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    return url, arn


async def _counts(yard: eventyard.Yard, url: str) -> tuple[int, int]:
    found = await yard.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )
    attributes = found["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _recorder(batches: list[list[dict]]) -> Any:
    def handler(event: dict, _: Any) -> None:
        batches.append(event["Records"])

    return handler


async def test_create_answers_creating_then_the_mapping_is_enabled(yard: eventyard.Yard, functions: Functions) -> None:
    arn = functions.register("fn", _recorder([]))
    _, source = await _queue(yard, "src")
    lam = yard.client("lambda")
    created = await lam.create_event_source_mapping(EventSourceArn=source, FunctionName="fn")
    assert created["State"] == "Creating"
    assert created["BatchSize"] == 10 and created["MaximumBatchingWindowInSeconds"] == 0
    assert created["FunctionResponseTypes"] == [] and created["StateTransitionReason"] == "USER_INITIATED"
    assert created["FunctionArn"] == arn and created["EventSourceArn"] == source
    assert created["EventSourceMappingArn"].endswith(f":event-source-mapping:{created['UUID']}")
    await yard.run_until_idle()
    assert (await lam.get_event_source_mapping(UUID=created["UUID"]))["State"] == "Enabled"
    listed = await lam.list_event_source_mappings(FunctionName="fn")
    assert [m["UUID"] for m in listed["EventSourceMappings"]] == [created["UUID"]]
    assert (await lam.list_event_source_mappings(EventSourceArn=source))["EventSourceMappings"][0]["UUID"] == created[
        "UUID"
    ]


async def test_messages_reach_the_function_as_aws_shapes_them_and_are_deleted(
    yard: eventyard.Yard, functions: Functions
) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    url, source = await _queue(yard, "src")
    sqs = yard.client("sqs")
    sent = await sqs.send_message(
        QueueUrl=url,
        MessageBody='{"n": 1}',
        MessageAttributes={"Title": {"DataType": "String", "StringValue": "The Whistler"}},
    )
    await yard.client("lambda").create_event_source_mapping(EventSourceArn=source, FunctionName="fn", BatchSize=1)
    await yard.run_until_idle()
    [[record]] = batches
    assert record["messageId"] == sent["MessageId"]
    assert record["body"] == '{"n": 1}' and record["md5OfBody"] == sent["MD5OfMessageBody"]
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert record["messageAttributes"] == {
        "Title": {"stringValue": "The Whistler", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == ("aws:sqs", source, "us-east-1")
    assert record["receiptHandle"]
    assert await _counts(yard, url) == (0, 0)


async def test_batch_size_caps_a_batch(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    url, source = await _queue(yard, "src")
    for start in range(0, 25, 5):
        entries = [{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(5)]
        await yard.client("sqs").send_message_batch(QueueUrl=url, Entries=entries)
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=source, FunctionName="fn", BatchSize=20, MaximumBatchingWindowInSeconds=1
    )
    await yard.advance(2)
    assert sorted(len(b) for b in batches) == [5, 20]
    assert sorted(r["body"] for b in batches for r in b) == sorted(f"m{i}" for i in range(25))


async def test_the_batching_window_waits_for_a_fuller_batch(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    url, source = await _queue(yard, "src")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=source, FunctionName="fn", BatchSize=50, MaximumBatchingWindowInSeconds=10
    )
    await yard.run_until_idle()
    await yard.client("sqs").send_message(QueueUrl=url, MessageBody="first")
    await yard.advance(3)
    await yard.client("sqs").send_message(QueueUrl=url, MessageBody="second")
    await yard.advance(3)
    assert batches == []  # the window (10 s from the first message seen) is still open
    await yard.advance(6)
    assert [[r["body"] for r in b] for b in batches] == [["first", "second"]]


async def test_a_failed_invocation_returns_the_batch_after_its_visibility_timeout_then_redrive(
    yard: eventyard.Yard, functions: Functions
) -> None:
    attempts: list[str] = []

    def handler(event: dict, _: Any) -> None:
        attempts.extend(r["attributes"]["ApproximateReceiveCount"] for r in event["Records"])
        raise RuntimeError("downstream is down")

    functions.register("fn", handler)
    dlq_url, dlq_arn = await _queue(yard, "dlq")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, source = await _queue(yard, "src", VisibilityTimeout="30", RedrivePolicy=redrive)
    await yard.client("sqs").send_message(QueueUrl=url, MessageBody="poison")
    await yard.client("lambda").create_event_source_mapping(EventSourceArn=source, FunctionName="fn")
    await yard.advance(10)
    assert attempts == ["1"]
    assert await _counts(yard, url) == (0, 1)  # in flight until its visibility timeout
    await yard.advance(30)
    assert attempts == ["1", "2"]
    await yard.advance(40)
    assert attempts == ["1", "2"]  # the third receive moved it to the dead-letter queue instead
    moved = await yard.client("sqs").receive_message(QueueUrl=dlq_url)
    assert [m["Body"] for m in moved["Messages"]] == ["poison"]


async def test_report_batch_item_failures_keeps_only_the_failed_messages(
    yard: eventyard.Yard, functions: Functions
) -> None:
    seen: list[str] = []

    def handler(event: dict, _: Any) -> dict:
        seen.extend(r["body"] for r in event["Records"])
        return {
            "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if "bad" in r["body"]]
        }

    functions.register("fn", handler)
    url, source = await _queue(yard, "src", VisibilityTimeout="5")
    entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(["ok-1", "bad-2", "ok-3"])]
    await yard.client("sqs").send_message_batch(QueueUrl=url, Entries=entries)
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=source, FunctionName="fn", FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    await yard.run_until_idle()
    assert sorted(seen) == ["bad-2", "ok-1", "ok-3"]
    assert await _counts(yard, url) == (0, 1)
    await yard.advance(6)
    assert sorted(seen) == ["bad-2", "bad-2", "ok-1", "ok-3"]


async def test_a_malformed_batch_item_failures_answer_fails_the_whole_batch(
    yard: eventyard.Yard, functions: Functions
) -> None:
    functions.register("fn", lambda event, _: {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]})
    url, source = await _queue(yard, "src")
    await yard.client("sqs").send_message(QueueUrl=url, MessageBody="a")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=source, FunctionName="fn", FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    await yard.run_until_idle()
    assert await _counts(yard, url) == (0, 1)


async def test_filter_criteria_deliver_matching_messages_and_delete_the_others(
    yard: eventyard.Yard, functions: Functions
) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    url, source = await _queue(yard, "src")
    for body in ('{"kind": "order", "n": 1}', '{"kind": "refund", "n": 2}', "not json"):
        await yard.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=source,
        FunctionName="fn",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["order"]}})}]},
    )
    await yard.run_until_idle()
    assert [json.loads(r["body"])["n"] for b in batches for r in b] == [1]
    assert await _counts(yard, url) == (0, 0)


async def test_an_invalid_filter_pattern_is_refused(yard: eventyard.Yard, functions: Functions) -> None:
    functions.register("fn", _recorder([]))
    _, source = await _queue(yard, "src")
    with pytest.raises(InvalidParameterValue, match="Invalid filter pattern definition"):
        await yard.client("lambda").create_event_source_mapping(
            EventSourceArn=source, FunctionName="fn", FilterCriteria={"Filters": [{"Pattern": "{not json"}]}
        )


async def test_disabling_stops_delivery_and_enabling_resumes_it(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    url, source = await _queue(yard, "src")
    lam = yard.client("lambda")
    uuid = (await lam.create_event_source_mapping(EventSourceArn=source, FunctionName="fn"))["UUID"]
    await yard.run_until_idle()
    disabled = await lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    assert disabled["State"] == "Disabling"
    await yard.run_until_idle()
    assert (await lam.get_event_source_mapping(UUID=uuid))["State"] == "Disabled"
    await yard.client("sqs").send_message(QueueUrl=url, MessageBody="while-disabled")
    await yard.advance(60)
    assert batches == [] and await _counts(yard, url) == (1, 0)
    enabling = await lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    assert enabling["State"] == "Enabling"
    await yard.advance(2)
    assert (await lam.get_event_source_mapping(UUID=uuid))["State"] == "Enabled"
    assert [r["body"] for b in batches for r in b] == ["while-disabled"]


async def test_update_answers_updating_and_takes_effect(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    url, source = await _queue(yard, "src")
    lam = yard.client("lambda")
    uuid = (await lam.create_event_source_mapping(EventSourceArn=source, FunctionName="fn"))["UUID"]
    await yard.run_until_idle()
    updated = await lam.update_event_source_mapping(UUID=uuid, BatchSize=2)
    assert (updated["State"], updated["BatchSize"]) == ("Updating", 2)
    await yard.run_until_idle()
    assert (await lam.get_event_source_mapping(UUID=uuid))["State"] == "Enabled"
    await yard.client("sqs").send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(5)]
    )
    await yard.advance(2)
    assert sorted(len(b) for b in batches) == [1, 2, 2]


async def test_delete_answers_deleting_then_the_mapping_is_gone(yard: eventyard.Yard, functions: Functions) -> None:
    batches: list[list[dict]] = []
    functions.register("fn", _recorder(batches))
    url, source = await _queue(yard, "src")
    lam = yard.client("lambda")
    uuid = (await lam.create_event_source_mapping(EventSourceArn=source, FunctionName="fn"))["UUID"]
    await yard.run_until_idle()
    assert (await lam.delete_event_source_mapping(UUID=uuid))["State"] == "Deleting"
    await yard.run_until_idle()
    with pytest.raises(ResourceNotFound, match="The resource you requested does not exist"):
        await lam.get_event_source_mapping(UUID=uuid)
    assert (await lam.list_event_source_mappings(FunctionName="fn"))["EventSourceMappings"] == []
    await yard.client("sqs").send_message(QueueUrl=url, MessageBody="after")
    await yard.advance(30)
    assert batches == []


async def test_create_refusals_carry_aws_messages(yard: eventyard.Yard, functions: Functions) -> None:
    functions.register("fn", _recorder([]))
    lam = yard.client("lambda")
    _, source = await _queue(yard, "src")
    with pytest.raises(InvalidParameterValue, match=r"^Function does not exist$"):
        await lam.create_event_source_mapping(EventSourceArn=source, FunctionName="nope")
    with pytest.raises(InvalidParameterValue, match=r"SQS Error Code: AWS\.SimpleQueueService\.NonExistentQueue"):
        await lam.create_event_source_mapping(
            EventSourceArn="arn:aws:sqs:us-east-1:000000000000:missing", FunctionName="fn"
        )
    with pytest.raises(InvalidParameterValue, match="Maximum batch window in seconds must be greater than 0 if"):
        await lam.create_event_source_mapping(EventSourceArn=source, FunctionName="fn", BatchSize=11)
    first = await lam.create_event_source_mapping(EventSourceArn=source, FunctionName="fn")
    with pytest.raises(ResourceConflict, match=f"existing mapping with UUID {first['UUID']}"):
        await lam.create_event_source_mapping(EventSourceArn=source, FunctionName="fn")
    with pytest.raises(ResourceNotFound):
        await lam.update_event_source_mapping(UUID="00000000-0000-4000-8000-000000000000", Enabled=False)


async def test_fifo_groups_keep_their_order(yard: eventyard.Yard, functions: Functions) -> None:
    seen: list[str] = []
    lock = threading.Lock()

    def handler(event: dict, _: Any) -> None:
        time.sleep(0.001)
        with lock:
            seen.extend(r["body"] for r in event["Records"])

    functions.register("fn", handler)
    url, source = await _queue(yard, "src.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    for n in range(12):
        await yard.client("sqs").send_message(QueueUrl=url, MessageBody=f"{'ab'[n % 2]}{n}", MessageGroupId="ab"[n % 2])
    await yard.client("lambda").create_event_source_mapping(EventSourceArn=source, FunctionName="fn", BatchSize=2)
    await yard.advance(30)
    for group in "ab":
        bodies = [b for b in seen if b.startswith(group)]
        assert bodies == [f"{group}{n}" for n in range(12) if "ab"[n % 2] == group]


async def test_maximum_concurrency_caps_concurrent_invocations(yard: eventyard.Yard, functions: Functions) -> None:
    running, most = [0], [0]
    lock = threading.Lock()

    def handler(event: dict, _: Any) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1

    functions.register("fn", handler)
    url, source = await _queue(yard, "src")
    for start in range(0, 30, 10):
        entries = [{"Id": str(i), "MessageBody": str(start + i)} for i in range(10)]
        await yard.client("sqs").send_message_batch(QueueUrl=url, Entries=entries)
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=source, FunctionName="fn", BatchSize=1, ScalingConfig={"MaximumConcurrency": 2}
    )
    await yard.advance(5)
    assert await _counts(yard, url) == (0, 0)
    assert most[0] == 2


async def test_a_handler_dying_mid_batch_loses_nothing(yard: eventyard.Yard, functions: Functions) -> None:
    """The first invocation handles half its batch and dies; the whole batch returns after its
    visibility timeout and every message is handled (at least once)."""
    handled: list[str] = []
    died: list[bool] = []

    def handler(event: dict, _: Any) -> None:
        for n, record in enumerate(event["Records"]):
            if not died and n == len(event["Records"]) // 2:
                died.append(True)
                raise SystemError("worker lost")
            handled.append(record["body"])

    functions.register("fn", handler)
    url, source = await _queue(yard, "src", VisibilityTimeout="20")
    await yard.client("sqs").send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)]
    )
    await yard.client("lambda").create_event_source_mapping(EventSourceArn=source, FunctionName="fn")
    await yard.advance(5)
    assert len(handled) == 5 and await _counts(yard, url) == (0, 10)
    await yard.advance(20)
    assert set(handled) == {f"m{i}" for i in range(10)}
    assert await _counts(yard, url) == (0, 0)
