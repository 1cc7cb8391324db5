"""Publishing: fan-out written in the publishing transaction, envelopes, raw delivery, FIFO, retries and DLQs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import eventyard
from eventyard.kernel import store as kernel_store
from eventyard.service import RequestContext, Service
from tests.topics.helpers import drain, envelopes, fails_with, queue, subscribed_queue, topic
from tests.topics.test_subscriptions import Endpoint


async def _timers(yard: eventyard.Yard) -> int:
    return await yard.db.read(lambda c: kernel_store.count_timers(c, "sns.delivery"))


async def test_every_subscribed_queue_holds_the_message_when_publish_answers(yard: eventyard.Yard) -> None:
    """Given a topic with two queue subscriptions, when Publish answers, then both queues hold the
    notification already (written in the publishing transaction) and no delivery is left to do."""
    sns, sqs = yard.client("sns"), yard.client("sqs")
    arn = await topic(yard)
    first, _, sub1 = await subscribed_queue(yard, arn, "one")
    second, _, sub2 = await subscribed_queue(yard, arn, "two")
    published = await sns.publish(TopicArn=arn, Message="hello", Subject="greeting")
    for url in (first, second):
        depth = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert depth["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert await _timers(yard) == 0
    [one] = envelopes(await drain(sqs, first, expect=1))
    [two] = envelopes(await drain(sqs, second, expect=1))
    assert one["MessageId"] == two["MessageId"] == published["MessageId"]
    assert list(one) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                         "Signature", "SigningCertURL", "UnsubscribeURL"]  # fmt: skip
    assert one["UnsubscribeURL"].endswith(f"?Action=Unsubscribe&SubscriptionArn={sub1}")
    assert two["UnsubscribeURL"].endswith(f"?Action=Unsubscribe&SubscriptionArn={sub2}")
    assert one["Signature"] == two["Signature"]  # the signed fields do not name the subscription


async def test_raw_delivery_sends_the_message_and_its_attributes(yard: eventyard.Yard) -> None:
    sns, sqs = yard.client("sns"), yard.client("sqs")
    arn = await topic(yard)
    url, _, _ = await subscribed_queue(yard, arn, "raw", RawMessageDelivery="true")
    attributes = {
        "n": {"DataType": "Number", "StringValue": "99.5"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x01"},
    }
    await sns.publish(TopicArn=arn, Message="plain text", MessageAttributes=attributes)
    [message] = await drain(sqs, url, expect=1)
    assert message["Body"] == "plain text"
    assert message["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "99.5"}
    assert message["MessageAttributes"]["b"]["BinaryValue"] == b"\x01"


async def test_message_structure_json_picks_each_protocols_text(yard: eventyard.Yard) -> None:
    sns, sqs = yard.client("sns"), yard.client("sqs")
    arn = await topic(yard)
    url, _, _ = await subscribed_queue(yard, arn, "structured")
    await sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "d", "sqs": "for queues"}))
    await sns.publish(TopicArn=arn, MessageStructure="json", Message=json.dumps({"default": "d", "sqs": {"x": 1}}))
    assert [e["Message"] for e in envelopes(await drain(sqs, url, expect=2))] == ["for queues", "d"]
    for message, text in [("{nope", "JSON message body failed to parse"), ('{"sqs": "x"}', "No default entry")]:
        error = await fails_with(
            "InvalidParameter", sns.publish(TopicArn=arn, Message=message, MessageStructure="json")
        )
        assert text in error.message


async def test_publish_refuses_what_sns_refuses(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    for params, message in [
        ({"Message": ""}, "Invalid parameter: Empty message"),
        ({"Message": "m", "Subject": ""}, "Invalid parameter: Subject"),
        ({"Message": "x" * 262_145}, "Invalid parameter: Message too long"),
        ({"Message": "m", "MessageDeduplicationId": "d"}, "Invalid parameter: MessageDeduplicationId Reason: The "
         "request includes MessageDeduplicationId parameter that is not valid for this topic type"),
    ]:  # fmt: skip
        error = await fails_with("InvalidParameter", sns.publish(TopicArn=arn, **params))
        assert error.message == message
    error = await fails_with("ParameterValueInvalid", sns.publish(TopicArn=arn, Message="m", MessageAttributes={
        "a^b": {"DataType": "String", "StringValue": "v"}}))  # fmt: skip
    assert "Invalid non-alphanumeric character '#x5E'" in error.message
    error = await fails_with("ParameterValueInvalid", sns.publish(TopicArn=arn, Message="m", MessageAttributes={
        "a": {"DataType": "Float", "StringValue": "1"}}))  # fmt: skip
    assert "the set of supported type prefixes is Binary, Number, and String" in error.message
    error = await fails_with("ParameterValueInvalid", sns.publish(TopicArn=arn, Message="m", MessageAttributes={
        "attr1": {"DataType": "String.", "StringValue": "v"}}))  # fmt: skip
    assert error.message == (  # AWS-recorded: a custom type after the dot may not be empty
        "The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes "
        "is Binary, Number, and String."
    )
    await sns.publish(TopicArn=arn, Message="m", MessageAttributes={
        "attr1": {"DataType": "String.  prefixed.", "StringValue": "v"}})  # fmt: skip
    for number in ("+1a234", "NAA+15551234567"):  # AWS-recorded
        error = await fails_with("InvalidParameter", sns.publish(PhoneNumber=number, Message="Good news everyone!"))
        assert error.message == f"Invalid parameter: PhoneNumber Reason: {number} is not valid to publish to"
    assert "MessageId" in await sns.publish(PhoneNumber="+33000000000", Message="sms")
    await fails_with("NotFound", sns.publish(TopicArn=arn + "-gone", Message="m"))
    error = await fails_with("InvalidParameter", sns.publish(TopicArn="arn:aws:sns:eu-west-1:000000000000:orders",
                                                             Message="m"))  # fmt: skip
    assert error.message == "Invalid parameter: TopicArn"


async def test_publish_batch_checks_the_whole_request(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    await fails_with("TooManyEntriesInBatchRequest", sns.publish_batch(
        TopicArn=arn, PublishBatchRequestEntries=[{"Id": str(n), "Message": "m"} for n in range(11)]))  # fmt: skip
    twice = [{"Id": "1", "Message": "m"}, {"Id": "1", "Message": "m"}]
    await fails_with("BatchEntryIdsNotDistinct", sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=twice))
    await fails_with("InvalidBatchEntryId", sns.publish_batch(
        TopicArn=arn, PublishBatchRequestEntries=[{"Id": "a.b", "Message": "m"}]))  # fmt: skip
    large = [{"Id": str(n), "Message": "x" * 30_000} for n in range(10)]
    await fails_with("BatchRequestTooLong", sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=large))
    done = await sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}])
    assert done["Failed"] == [] and done["Successful"][0]["Id"] == "a"


async def test_fifo_topics_keep_group_order_and_deduplicate(yard: eventyard.Yard) -> None:
    """Given a FIFO topic with content-based deduplication and a FIFO queue,
    when a group's messages are published (one of them twice),
    then the queue holds them once each, in order, with the group and SHA-256 deduplication ids."""
    sns, sqs = yard.client("sns"), yard.client("sqs")
    arn = await topic(yard, "jobs.fifo", FifoTopic="true", ContentBasedDeduplication="true")
    url, _, _ = await subscribed_queue(yard, arn, "jobs.fifo", RawMessageDelivery="true")
    answers = [await sns.publish(TopicArn=arn, Message=str(n), MessageGroupId="g") for n in range(5)]
    again = await sns.publish(TopicArn=arn, Message="2", MessageGroupId="g")
    assert again == answers[2]  # a duplicate is acknowledged with the first one's id and sequence number
    numbers = [int(a["SequenceNumber"]) for a in answers]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    response = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert [m["Body"] for m in response["Messages"]] == ["0", "1", "2", "3", "4"]
    first = response["Messages"][0]["Attributes"]
    assert first["MessageGroupId"] == "g" and first["MessageDeduplicationId"] == hashlib.sha256(b"0").hexdigest()
    await yard.advance(301)  # the deduplication window passes: the same message is new again
    await sns.publish(TopicArn=arn, Message="0", MessageGroupId="g", MessageDeduplicationId="fresh")
    await yard.run_until_idle()


async def test_fifo_publishing_needs_a_group_and_a_deduplication_id(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard, "strict.fifo", FifoTopic="true")
    error = await fails_with("InvalidParameter", sns.publish(TopicArn=arn, Message="m"))
    assert error.message == "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    error = await fails_with("InvalidParameter", sns.publish(TopicArn=arn, Message="m", MessageGroupId="g"))
    assert "ContentBasedDeduplication enabled or MessageDeduplicationId" in error.message


async def test_a_fifo_envelope_carries_the_sequence_number_and_no_signature(yard: eventyard.Yard) -> None:
    sns, sqs = yard.client("sns"), yard.client("sqs")
    arn = await topic(yard, "signed.fifo", FifoTopic="true", ContentBasedDeduplication="true")
    url, _, _ = await subscribed_queue(yard, arn, "plain-from-fifo")  # a standard queue may subscribe
    answer = await sns.publish(TopicArn=arn, Message="m", MessageGroupId="g")
    [envelope] = envelopes(await drain(sqs, url, expect=1))
    assert envelope["SequenceNumber"] == answer["SequenceNumber"]
    assert "Signature" not in envelope and "SigningCertURL" not in envelope


async def test_a_deleted_queue_sends_the_message_to_the_subscriptions_dead_letter_queue(yard: eventyard.Yard) -> None:
    """Given a queue subscription with a RedrivePolicy, when its queue is gone, then Publish still
    succeeds and the notification lands in the dead-letter queue (a client-side error: no retries)."""
    sns, sqs = yard.client("sns"), yard.client("sqs")
    arn = await topic(yard)
    url, _, sub = await subscribed_queue(yard, arn, "doomed")
    dlq_url, dlq_arn = await queue(sqs, "letters")
    await sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                          AttributeValue=json.dumps({"deadLetterTargetArn": dlq_arn}))  # fmt: skip
    await sqs.delete_queue(QueueUrl=url)
    published = await sns.publish(TopicArn=arn, Message="lost?")
    [letter] = envelopes(await drain(sqs, dlq_url, expect=1))
    assert letter["MessageId"] == published["MessageId"] and letter["Message"] == "lost?"
    assert await _timers(yard) == 0


class StandInLambda(Service):
    """A stand-in for the functions service: records asynchronous invokes."""

    name = "lambda"

    def __init__(self, yard: eventyard.Yard) -> None:
        super().__init__(yard)
        self.invokes: list[dict[str, Any]] = []

    async def invoke(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.invokes.append(request)
        return {"StatusCode": 202}


async def test_a_function_subscription_is_invoked_with_the_sns_event(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    stand_in = StandInLambda(yard)
    yard.services["lambda"] = stand_in
    function = "arn:aws:lambda:us-east-1:000000000000:function:on-order"
    arn = await topic(yard)
    sub = (await sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint=function))["SubscriptionArn"]
    published = await sns.publish(TopicArn=arn, Message="hi", MessageAttributes={
        "k": {"DataType": "String", "StringValue": "v"}})  # fmt: skip
    await yard.run_until_idle()
    [invoke] = stand_in.invokes
    assert invoke["FunctionName"] == function and invoke["InvocationType"] == "Event"
    [record] = json.loads(invoke["Payload"])["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventSubscriptionArn"] == sub
    assert record["Sns"]["MessageId"] == published["MessageId"] and record["Sns"]["Subject"] is None
    assert record["Sns"]["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert record["Sns"]["SigningCertUrl"].endswith(".pem") and "UnsubscribeUrl" in record["Sns"]


async def test_without_a_functions_service_a_lambda_delivery_dead_letters_as_for_a_missing_function(
    yard: eventyard.Yard,
) -> None:
    sns, sqs = yard.client("sns"), yard.client("sqs")
    arn = await topic(yard)
    dlq_url, dlq_arn = await queue(sqs, "lambda-letters")
    await sns.subscribe(TopicArn=arn, Protocol="lambda", Endpoint="arn:aws:lambda:us-east-1:000000000000:function:f",
                        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})  # fmt: skip
    await sns.publish(TopicArn=arn, Message="nobody home")
    [letter] = envelopes(await drain(sqs, dlq_url, expect=1))
    assert letter["Message"] == "nobody home"
    assert yard.kernel.metrics.counts[("sns.delivery", "dead_lettered")] == 1


async def test_http_deliveries_retry_on_the_delivery_policys_schedule(yard: eventyard.Yard) -> None:
    """Given an HTTP endpoint that answers 500 and a policy of 2 retries 10 s apart,
    when a message is published, then it is tried 3 times, 10 s apart, then dead-lettered."""
    sns, sqs = yard.client("sns"), yard.client("sqs")
    endpoint = Endpoint(yard)
    arn = await topic(yard)
    await sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://hooks.local/in")
    await yard.run_until_idle()
    sub = (await sns.confirm_subscription(TopicArn=arn, Token=endpoint.posts[0][2]["Token"]))["SubscriptionArn"]
    dlq_url, dlq_arn = await queue(sqs, "http-letters")
    policy = {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 10, "maxDelayTarget": 10}}
    for name, value in [("DeliveryPolicy", json.dumps(policy)),
                        ("RedrivePolicy", json.dumps({"deadLetterTargetArn": dlq_arn}))]:  # fmt: skip
        await sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName=name, AttributeValue=value)
    endpoint.status = 500
    endpoint.posts.clear()
    await sns.publish(TopicArn=arn, Message="flaky")
    await yard.run_until_idle()
    assert len(endpoint.posts) == 1
    await yard.advance(9.9)
    assert len(endpoint.posts) == 1
    await yard.advance(0.2)
    assert len(endpoint.posts) == 2
    await yard.advance(10)
    assert len(endpoint.posts) == 3
    assert [e["Message"] for e in envelopes(await drain(sqs, dlq_url, expect=1))] == ["flaky"]


async def test_an_http_client_error_is_not_retried(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    endpoint = Endpoint(yard)
    arn = await topic(yard)
    await sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://hooks.local/in")
    await yard.run_until_idle()
    await sns.confirm_subscription(TopicArn=arn, Token=endpoint.posts[0][2]["Token"])
    endpoint.status = 404
    await sns.publish(TopicArn=arn, Message="gone")
    await yard.advance(3600)
    assert len(endpoint.posts) == 2  # the confirmation and one attempt
    assert yard.kernel.metrics.counts[("sns.delivery", "dropped")] == 1


async def test_a_raw_http_delivery_posts_the_message_itself(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    endpoint = Endpoint(yard)
    arn = await topic(yard)
    await sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://hooks.local/raw",
                        Attributes={"RawMessageDelivery": "true"})  # fmt: skip
    await yard.run_until_idle()
    await sns.confirm_subscription(TopicArn=arn, Token=endpoint.posts[0][2]["Token"])
    await sns.publish(TopicArn=arn, Message="just this")
    await yard.run_until_idle()
    _, headers, body = endpoint.posts[-1]
    assert body == {"raw": "just this"} and headers["x-amz-sns-rawdelivery"] == "true"


async def test_an_eventbridge_rule_publishes_to_a_topic_in_its_own_transaction(yard: eventyard.Yard) -> None:
    """Given a rule whose target is a topic with a queue subscription, when PutEvents answers, then the
    queue already holds the notification whose Message is the event (no bus or topic delivery left)."""
    events, sqs = yard.client("events"), yard.client("sqs")
    arn = await topic(yard)
    url, _, _ = await subscribed_queue(yard, arn, "from-rules")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": arn}])
    sent = await events.put_events(Entries=[{"Source": "shop", "DetailType": "d", "Detail": '{"n": 1}'}])
    depth = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert depth["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert await _timers(yard) == 0
    assert await yard.db.read(lambda c: kernel_store.count_timers(c, "events.delivery")) == 0
    [envelope] = envelopes(await drain(sqs, url, expect=1))
    assert json.loads(envelope["Message"])["id"] == sent["Entries"][0]["EventId"]


async def test_stage_publish_writes_in_the_callers_transaction(yard: eventyard.Yard) -> None:
    """A workflow task's ``sns:publish`` takes effect with the transaction that records the task: nothing
    before it commits, everything after."""
    sqs = yard.client("sqs")
    arn = await topic(yard)
    url, _, _ = await subscribed_queue(yard, arn, "staged")
    staged = await yard.api.stage("sns", "Publish", {"TopicArn": arn, "Message": "once"}, RequestContext())
    await drain(sqs, url, expect=0)
    result = await yard.db.write(staged.write)
    staged.committed()
    assert result["MessageId"]
    [envelope] = envelopes(await drain(sqs, url, expect=1))
    assert envelope["MessageId"] == result["MessageId"]


async def test_unsubscribed_and_pre_subscription_messages_go_nowhere(yard: eventyard.Yard) -> None:
    sns, sqs = yard.client("sns"), yard.client("sqs")
    arn = await topic(yard)
    await sns.publish(TopicArn=arn, Message="before")
    url, _, sub = await subscribed_queue(yard, arn, "late")
    await sns.publish(TopicArn=arn, Message="during")
    await sns.unsubscribe(SubscriptionArn=sub)
    await sns.publish(TopicArn=arn, Message="after")
    assert [e["Message"] for e in envelopes(await drain(sqs, url, expect=1))] == ["during"]
