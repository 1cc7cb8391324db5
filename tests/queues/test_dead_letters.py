"""Dead-letter queues: redrive on the receive after maxReceiveCount, the policies, and move tasks."""

from __future__ import annotations

import base64
import json

from tests.queues.conftest import arn_of, attributes_of, fails_with, make_queue


async def source_with_dlq(sqs, max_receive_count=2, fifo=False):
    suffix = ".fifo" if fifo else ""
    extra = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    dlq = await make_queue(sqs, f"dlq{suffix}", **extra)
    policy = json.dumps({"deadLetterTargetArn": await arn_of(sqs, dlq), "maxReceiveCount": max_receive_count})
    source = await make_queue(sqs, f"source{suffix}", RedrivePolicy=policy, **extra)
    return source, dlq


async def test_message_moves_to_the_dlq_on_the_receive_after_max_receive_count(sqs):
    source, dlq = await source_with_dlq(sqs, max_receive_count=2)
    sent = await sqs.send_message(QueueUrl=source, MessageBody="poison")
    for _ in range(2):
        got = await sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)
        assert got["Messages"][0]["MessageId"] == sent["MessageId"]
    assert await sqs.receive_message(QueueUrl=source) == {}
    moved = await sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])
    message = moved["Messages"][0]
    assert (message["MessageId"], message["Body"]) == (sent["MessageId"], "poison")
    assert message["Attributes"]["DeadLetterQueueSourceArn"] == await arn_of(sqs, source)


async def test_fifo_source_dead_letters_into_a_fifo_queue(sqs):
    source, dlq = await source_with_dlq(sqs, max_receive_count=1, fifo=True)
    await sqs.send_message(QueueUrl=source, MessageBody="poison", MessageGroupId="g")
    await sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)
    assert await sqs.receive_message(QueueUrl=source) == {}
    got = await sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["MessageGroupId"])
    assert got["Messages"][0]["Attributes"] == {"MessageGroupId": "g"}


async def test_redrive_policy_reads_back_with_a_numeric_count(sqs):
    source, dlq = await source_with_dlq(sqs, max_receive_count=4)
    policy = json.loads((await attributes_of(sqs, source, "RedrivePolicy"))["RedrivePolicy"])
    assert policy == {"deadLetterTargetArn": await arn_of(sqs, dlq), "maxReceiveCount": 4}


async def test_list_dead_letter_source_queues(sqs):
    source, dlq = await source_with_dlq(sqs)
    assert (await sqs.list_dead_letter_source_queues(QueueUrl=dlq)) == {"queueUrls": [source]}
    assert (await sqs.list_dead_letter_source_queues(QueueUrl=source)) == {"queueUrls": []}


async def test_redrive_policy_must_name_an_existing_queue_of_the_same_type(sqs):
    fifo_dlq = await make_queue(sqs, "dlq.fifo", FifoQueue="true")
    missing = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:nope", "maxReceiveCount": 1})
    await fails_with("InvalidParameterValue", sqs.create_queue(QueueName="a", Attributes={"RedrivePolicy": missing}))
    mixed = json.dumps({"deadLetterTargetArn": await arn_of(sqs, fifo_dlq), "maxReceiveCount": 1})
    await fails_with("InvalidParameterValue", sqs.create_queue(QueueName="b", Attributes={"RedrivePolicy": mixed}))
    no_count = json.dumps({"deadLetterTargetArn": await arn_of(sqs, fifo_dlq)})
    await fails_with("InvalidParameterValue", sqs.create_queue(QueueName="c", Attributes={"RedrivePolicy": no_count}))


async def test_redrive_allow_policy_can_refuse_a_source(sqs):
    dlq = await make_queue(sqs, "guarded", RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    policy = json.dumps({"deadLetterTargetArn": await arn_of(sqs, dlq), "maxReceiveCount": 1})
    await fails_with(
        "InvalidParameterValue", sqs.create_queue(QueueName="refused", Attributes={"RedrivePolicy": policy})
    )
    allow = {"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:us-east-1:000000000000:welcome"]}
    await sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps(allow)})
    await make_queue(sqs, "welcome", RedrivePolicy=policy)


async def test_removing_the_redrive_policy_with_an_empty_value(sqs):
    source, _ = await source_with_dlq(sqs)
    await sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in await attributes_of(sqs, source)


async def task_of(sqs, dlq_arn):
    """The source's latest move task, once the yard ran what was due."""
    await sqs._yard.run_until_idle()
    return (await sqs.list_message_move_tasks(SourceArn=dlq_arn))["Results"][0]


async def test_move_task_sends_dead_letters_back_to_their_source(sqs):
    source, dlq = await source_with_dlq(sqs, max_receive_count=1)
    for body in ("a", "b", "c"):
        await sqs.send_message(QueueUrl=source, MessageBody=body)
    await sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert await sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10) == {}
    dlq_arn = await arn_of(sqs, dlq)
    handle = (await sqs.start_message_move_task(SourceArn=dlq_arn))["TaskHandle"]
    task = await task_of(sqs, dlq_arn)
    assert task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert task["ApproximateNumberOfMessagesToMove"] == 3
    assert "TaskHandle" not in task and handle
    got = await sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)
    assert sorted(m["Body"] for m in got["Messages"]) == ["a", "b", "c"]


async def test_move_task_to_an_explicit_destination_at_a_rate(sqs, yard):
    source, dlq = await source_with_dlq(sqs, max_receive_count=1)
    elsewhere = await make_queue(sqs, "elsewhere")
    for body in ("a", "b", "c"):
        await sqs.send_message(QueueUrl=source, MessageBody=body)
    await sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=0)
    await sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)
    dlq_arn = await arn_of(sqs, dlq)
    started = await sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=await arn_of(sqs, elsewhere), MaxNumberOfMessagesPerSecond=2
    )
    running = await task_of(sqs, dlq_arn)  # two messages a second: the first second moved two
    assert (running["Status"], running["TaskHandle"]) == ("RUNNING", started["TaskHandle"])
    assert running["ApproximateNumberOfMessagesMoved"] == 2
    await yard.advance(1)
    assert (await task_of(sqs, dlq_arn))["Status"] == "COMPLETED"
    got = await sqs.receive_message(QueueUrl=elsewhere, MaxNumberOfMessages=10)
    assert len(got["Messages"]) == 3


async def test_move_task_needs_a_dead_letter_queue_and_can_be_cancelled_once(sqs):
    plain = await make_queue(sqs, "plain")
    await fails_with("InvalidParameterValue", sqs.start_message_move_task(SourceArn=await arn_of(sqs, plain)))
    await fails_with(
        "ResourceNotFoundException",
        sqs.start_message_move_task(SourceArn="arn:aws:sqs:us-east-1:000000000000:nope"),
    )
    error = await fails_with("InvalidParameterValue", sqs.cancel_message_move_task(TaskHandle="nope"))
    assert error.message == "Value for parameter TaskHandle is invalid."  # AWS-recorded
    gone = base64.b64encode(
        json.dumps({"taskId": "t", "sourceArn": "arn:aws:sqs:us-east-1:000000000000:gone"}).encode()
    )
    error = await fails_with("ResourceNotFoundException", sqs.cancel_message_move_task(TaskHandle=gone.decode()))
    assert error.message == "The resource that you specified for the SourceArn parameter doesn't exist."
    dlq_arn = await arn_of(sqs, plain)
    unknown = base64.b64encode(json.dumps({"taskId": "t", "sourceArn": dlq_arn}).encode()).decode()
    error = await fails_with("ResourceNotFoundException", sqs.cancel_message_move_task(TaskHandle=unknown))
    assert error.message == "Task does not exist."


async def test_standard_dead_letter_keeps_its_enqueue_time_for_retention(sqs, clock):
    dlq = await make_queue(sqs, "short-dlq", MessageRetentionPeriod="60")
    policy = json.dumps({"deadLetterTargetArn": await arn_of(sqs, dlq), "maxReceiveCount": 1})
    source = await make_queue(sqs, "source", RedrivePolicy=policy)
    await sqs.send_message(QueueUrl=source, MessageBody="aging")
    clock.advance(50)
    await sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)
    await sqs.receive_message(QueueUrl=source)
    assert (await attributes_of(sqs, dlq, "ApproximateNumberOfMessages")) == {"ApproximateNumberOfMessages": "1"}
    clock.advance(10)
    assert await sqs.receive_message(QueueUrl=dlq) == {}
