"""Deliveries to local queues are written in the transaction that accepts the events (``eventyard.targets``).

What must hold: such a delivery is in the queue the moment PutEvents answers and leaves no delivery
timer behind; whatever cannot be staged, or whose staged write fails, still arrives as a kernel
delivery (the "outbox"), which retries and dead-letters.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

import eventyard
from eventyard.kernel import store as kernel_store
from tests.bus.bus_helpers import bodies, drain, entry, queue


async def _outbox_rows(yard: eventyard.Yard) -> int:
    return await yard.db.read(lambda c: kernel_store.count_timers(c, "events.delivery"))


async def test_a_local_queue_holds_the_event_when_put_events_answers(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "at-once")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    sent = await events.put_events(Entries=[entry(detail={"n": n}) for n in range(10)])
    attributes = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "10"
    assert await _outbox_rows(yard) == 0
    received = bodies(await drain(sqs, url, expect=10))
    assert sorted(event["id"] for event in received) == sorted(e["EventId"] for e in sent["Entries"])


async def test_a_transformed_payload_is_staged_too(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "shaped-at-once")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn, "InputPath": "$.detail"}])
    await events.put_events(Entries=[entry(detail={"n": 7})])
    assert await _outbox_rows(yard) == 0
    assert bodies(await drain(sqs, url, expect=1)) == [{"n": 7}]


async def test_a_message_the_queue_refuses_goes_through_the_outbox_to_the_dead_letter_queue(
    yard: eventyard.Yard,
) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    dlq_url, dlq_arn = await queue(sqs, "refused-letters")
    url = (await sqs.create_queue(QueueName="tiny", Attributes={"MaximumMessageSize": "1024"}))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}}])
    sent = await events.put_events(Entries=[entry(detail={"pad": "x" * 2000})])
    [letter] = await drain(sqs, dlq_url, expect=1)
    assert json.loads(letter["Body"])["id"] == sent["Entries"][0]["EventId"]
    await drain(sqs, url, expect=0)


class _FailingWrite:
    attempts = 0
    refused: tuple[int, ...] = ()

    def write(self, connection: Any, now: float) -> None:
        _FailingWrite.attempts += 1
        raise RuntimeError("the queue went away between staging and writing")

    def committed(self) -> None:  # pragma: no cover - never reached: the write failed
        raise AssertionError("committed after a failed write")


async def test_a_staged_write_that_fails_is_delivered_through_the_outbox(
    yard: eventyard.Yard, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivered: list[str] = []

    async def deliver(target: Any, payload: str, event: Any, rule: Any) -> None:
        delivered.append(json.loads(payload)["id"])

    async def stage(target: Any, items: Any) -> _FailingWrite:
        return _FailingWrite()

    monkeypatch.setattr(_FailingWrite, "attempts", 0)
    yard.targets.register("lambda", "function:", deliver, stage=stage)
    events = yard.client("events")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    function = "arn:aws:lambda:us-east-1:000000000000:function:echo"
    await events.put_targets(Rule="r", Targets=[{"Id": "f", "Arn": function}])
    sent = await events.put_events(Entries=[entry(), entry()])
    assert sent["FailedEntryCount"] == 0
    await yard.run_until_idle()
    assert _FailingWrite.attempts == 1  # staged (both events at once), failed, then taken by the outbox
    assert sorted(delivered) == sorted(e["EventId"] for e in sent["Entries"])


@pytest.mark.parametrize("name", ["vanishing", "vanishing.fifo"])
async def test_a_queue_deleted_between_staging_and_writing_fails_over_to_the_outbox(
    yard: eventyard.Yard, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    dlq_url, dlq_arn = await queue(sqs, "late-letters")
    attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
    url = (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]

    kind = yard.targets.kind_of(arn)
    assert kind is not None and kind.stage is not None
    stage = kind.stage

    async def stage_then_lose_the_queue(target: Any, items: Any) -> Any:
        staged = await stage(target, items)
        # another node deletes the queue: its rows go, this node's cache still has it
        await yard.db.write(lambda c: c.execute("DELETE FROM sqs_queues WHERE name = ?", (name,)))
        return staged

    losing = dataclasses.replace(kind, stage=stage_then_lose_the_queue)
    monkeypatch.setattr(yard.targets, "kind_of", lambda target_arn: losing)
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    target = {"Id": "q", "Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}, "SqsParameters": {"MessageGroupId": "g"}}
    if not name.endswith(".fifo"):
        del target["SqsParameters"]
    await events.put_targets(Rule="r", Targets=[target])
    sent = await events.put_events(Entries=[entry()])
    assert sent["FailedEntryCount"] == 0
    [letter] = await drain(sqs, dlq_url, expect=1)
    assert json.loads(letter["Body"])["id"] == sent["Entries"][0]["EventId"]
    assert letter["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "AWS.SimpleQueueService.NonExistentQueue"


async def test_one_refused_message_does_not_take_the_others_of_its_target_out_of_order(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    dlq_url, dlq_arn = await queue(sqs, "too-big-letters")
    attributes = {"FifoQueue": "true", "MaximumMessageSize": "1024"}
    url = (await sqs.create_queue(QueueName="ordered-small.fifo", Attributes=attributes))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    target = {"Id": "f", "Arn": arn, "SqsParameters": {"MessageGroupId": "g"}, "DeadLetterConfig": {"Arn": dlq_arn}}
    await events.put_targets(Rule="r", Targets=[target])
    await events.put_events(Entries=[entry(detail={"n": 0, "pad": "x" * 2000}), entry(detail={"n": 1})])
    await events.put_events(Entries=[entry(detail={"n": 2})])
    received = await drain(sqs, url, expect=2)
    assert [json.loads(m["Body"])["detail"]["n"] for m in received] == [1, 2]
    [letter] = bodies(await drain(sqs, dlq_url, expect=1))
    assert letter["detail"]["n"] == 0
