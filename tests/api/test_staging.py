"""Staged calls: an operation checked now and written in a transaction another service holds."""

from __future__ import annotations

from typing import Any

import pytest

import eventyard
from eventyard.errors import EventyardError
from eventyard.service import RequestContext
from eventyard.staging import CannotStage


async def _queue(yard: eventyard.Yard, name: str = "q") -> str:
    return str((await yard.client("sqs").create_queue(QueueName=name))["QueueUrl"])


async def test_a_staged_send_lands_with_the_callers_transaction_and_answers_as_send_does(yard: eventyard.Yard) -> None:
    url = await _queue(yard)
    staged = await yard.api.stage("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": "hi"}, RequestContext())
    assert staged.result is None, "nothing is written, nor answered, before the caller's transaction"
    assert (await yard.client("sqs").receive_message(QueueUrl=url)) == {}

    def callers_job(c: Any) -> None:
        c.execute("SELECT 1")  # the caller's own writes would be here
        staged.write(c)

    await yard.db.write(callers_job)
    staged.committed()
    assert staged.result["MD5OfMessageBody"] == "49f68a5c8493ec2c0bf489821c21fc3b"
    [message] = (await yard.client("sqs").receive_message(QueueUrl=url))["Messages"]
    assert (message["Body"], message["MessageId"]) == ("hi", staged.result["MessageId"])


async def test_a_staged_write_rolled_back_with_its_caller_leaves_nothing(yard: eventyard.Yard) -> None:
    url = await _queue(yard)
    staged = await yard.api.stage("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": "hi"}, RequestContext())

    def failing_job(c: Any) -> None:
        staged.write(c)
        raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        await yard.db.write(failing_job)
    assert (await yard.client("sqs").receive_message(QueueUrl=url)) == {}


async def test_staging_checks_what_the_operation_checks(yard: eventyard.Yard) -> None:
    url = await _queue(yard)
    with pytest.raises(EventyardError) as caught:
        await yard.api.stage("sqs", "SendMessage", {"QueueUrl": url + "-missing", "MessageBody": "x"}, RequestContext())
    assert caught.value.code == "AWS.SimpleQueueService.NonExistentQueue"
    entries = [{"Id": "ok", "MessageBody": "fine"}, {"Id": "bad", "MessageBody": "\u0000"}]
    staged = await yard.api.stage("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": entries}, RequestContext())
    assert staged.refused == ["bad"]
    await yard.db.write(staged.write)
    assert [s["Id"] for s in staged.result["Successful"]] == ["ok"]
    assert [f["Id"] for f in staged.result["Failed"]] == ["bad"]


async def test_an_operation_without_a_staged_form_says_so(yard: eventyard.Yard) -> None:
    with pytest.raises(CannotStage):
        await yard.api.stage("sqs", "CreateQueue", {"QueueName": "q"}, RequestContext())


async def test_a_staged_put_events_delivers_with_the_callers_transaction(yard: eventyard.Yard) -> None:
    sqs, events = yard.client("sqs"), yard.client("events")
    url = await _queue(yard, "routed")
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    await events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    request = {"Entries": [{"Source": "shop", "DetailType": "t", "Detail": "{}"}]}
    staged = await yard.api.stage("events", "PutEvents", request, RequestContext())
    assert (await sqs.receive_message(QueueUrl=url)) == {}
    await yard.db.write(staged.write)
    staged.committed()
    [message] = (await sqs.receive_message(QueueUrl=url))["Messages"]
    assert staged.result["FailedEntryCount"] == 0
    assert staged.result["Entries"][0]["EventId"] in message["Body"]
