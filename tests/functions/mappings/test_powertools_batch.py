"""Powertools' batch utilities, unchanged, on the events the mappings deliver: partial failures come back."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

import eventyard
from tests.functions.mappings.conftest import Functions


async def _queue(yard: eventyard.Yard, name: str, **attributes: str) -> tuple[str, str]:
    sqs = yard.client("sqs")
    url = (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    return url, arn


async def test_sqs_batch_processor_reports_only_the_failed_records(yard: eventyard.Yard, functions: Functions) -> None:
    handled: list[tuple[str, str]] = []
    refused: list[str] = []
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> None:
        order = json.loads(record.body)
        if order["amount"] < 0:
            refused.append(record.attributes.approximate_receive_count)
            raise ValueError(f"refused {order['id']}")
        handled.append((order["id"], record.attributes.approximate_receive_count))

    def handler(event: dict, context: Any) -> dict:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    functions.register("orders", handler)
    url, source = await _queue(yard, "orders", VisibilityTimeout="10")
    orders = [{"id": "o1", "amount": 5}, {"id": "o2", "amount": -1}, {"id": "o3", "amount": 7}]
    await yard.client("sqs").send_message_batch(
        QueueUrl=url, Entries=[{"Id": o["id"], "MessageBody": json.dumps(o)} for o in orders]
    )
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=source, FunctionName="orders", FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    await yard.run_until_idle()
    assert sorted(handled) == [("o1", "1"), ("o3", "1")]
    remaining = await yard.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessages"]
    )
    assert remaining["Attributes"] == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"}
    assert refused == ["1"]
    await yard.advance(11)  # only o2 comes back, once its visibility timeout ran out
    assert refused == ["1", "2"]
    assert sorted(handled) == [("o1", "1"), ("o3", "1")]


async def test_sqs_fifo_processor_stops_at_the_first_failure(yard: eventyard.Yard, functions: Functions) -> None:
    handled: list[str] = []
    processor = SqsFifoPartialProcessor()
    failing = {"b2"}

    def record_handler(record: SQSRecord) -> None:
        if record.body in failing:
            failing.discard(record.body)
            raise ValueError("not now")
        handled.append(record.body)

    def handler(event: dict, context: Any) -> dict:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    functions.register("fifo", handler)
    url, source = await _queue(
        yard, "orders.fifo", FifoQueue="true", ContentBasedDeduplication="true", VisibilityTimeout="5"
    )
    for body in ("b1", "b2", "b3"):
        await yard.client("sqs").send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=source, FunctionName="fifo", BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    await yard.run_until_idle()
    assert handled == ["b1"]
    await yard.advance(6)
    assert handled == ["b1", "b2", "b3"]  # the group's order held through the failure


async def test_kinesis_batch_processor_retries_from_the_failed_record(
    yard: eventyard.Yard, functions: Functions
) -> None:
    handled: list[str] = []
    failing = {"r1"}
    processor = BatchProcessor(event_type=EventType.KinesisDataStreams)

    def record_handler(record: KinesisStreamRecord) -> None:
        text = record.kinesis.data_as_text()
        if text in failing:
            failing.discard(text)
            raise ValueError("transient")
        handled.append(text)

    def handler(event: dict, context: Any) -> dict:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )

    functions.register("stream", handler)
    kinesis = yard.client("kinesis")
    await kinesis.create_stream(StreamName="ks", ShardCount=1)
    await yard.advance(1)
    stream = (await kinesis.describe_stream_summary(StreamName="ks"))["StreamDescriptionSummary"]["StreamARN"]
    for text in ("r0", "r1", "r2"):
        await kinesis.put_record(StreamName="ks", Data=text.encode(), PartitionKey="p")
    await yard.client("lambda").create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="stream",
        StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    await yard.advance(10)
    # r1 failed: the checkpoint stayed after r0, so r1 and r2 come again (r2 twice: at-least-once)
    assert handled == ["r0", "r2", "r1", "r2"]
