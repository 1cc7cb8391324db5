"""Subscriptions: Subscribe per protocol, confirmation of HTTP/S endpoints, attributes, listings, Unsubscribe."""

from __future__ import annotations

import json
from typing import Any

import eventyard
from tests.topics.helpers import fails_with, subscribed_queue, topic

QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"


class Endpoint:
    """An HTTP endpoint that records what SNS posts to it and answers with ``status``."""

    def __init__(self, yard: eventyard.Yard, status: int = 200) -> None:
        self.status = status
        self.posts: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        yard.services["sns"].deliveries.post = self.post  # type: ignore[attr-defined]

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        try:
            document = json.loads(body)
        except ValueError:
            document = {"raw": body.decode()}
        self.posts.append((url, headers, document))
        return self.status


async def test_a_queue_subscription_is_confirmed_at_once(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    sub = (await sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=QUEUE))["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    attributes = (await sns.get_subscription_attributes(SubscriptionArn=sub))["Attributes"]
    assert attributes["PendingConfirmation"] == "false" and attributes["ConfirmationWasAuthenticated"] == "true"
    assert attributes["RawMessageDelivery"] == "false" and "FilterPolicyScope" not in attributes
    listed = (await sns.list_subscriptions_by_topic(TopicArn=arn))["Subscriptions"]
    assert listed == [{"SubscriptionArn": sub, "Owner": "000000000000", "Protocol": "sqs", "Endpoint": QUEUE,
                       "TopicArn": arn}]  # fmt: skip
    assert (await sns.list_subscriptions())["Subscriptions"] == listed


async def test_subscribe_is_idempotent_while_the_attributes_agree(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    first = await sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=QUEUE, Attributes={"RawMessageDelivery": "True"})
    again = await sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=QUEUE,
        Attributes={"RawMessageDelivery": "true", "FilterPolicyScope": "MessageAttributes"},
    )
    assert again == first == await sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=QUEUE)  # fmt: skip
    error = await fails_with("InvalidParameter", sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=QUEUE,
                                                               Attributes={"RawMessageDelivery": "false"}))  # fmt: skip
    assert (
        error.message == "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"
    )


async def test_subscribe_refuses_what_sns_refuses(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    fifo = await topic(yard, "f.fifo", FifoTopic="true")
    cases = [
        (arn, "pigeon", "x", "Invalid parameter: Amazon SNS does not support this protocol string: pigeon"),
        (arn, "sqs", "http://localhost/000000000000/q", "Invalid parameter: SQS endpoint ARN"),
        (arn, "sqs", QUEUE + ".fifo", "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can "
         "not be subscribed to standard SNS topics"),
        (arn, "http", "https://example.com", "Invalid parameter: Endpoint must match the specified protocol"),
        (fifo, "lambda", "arn:aws:lambda:us-east-1:000000000000:function:f",
         "Invalid parameter: Invalid protocol type: lambda. FIFO topics support SQS subscriptions only"),
        ("arn:aws:sns:us-east-1:random", "sqs", QUEUE,
         "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 5"),
    ]  # fmt: skip
    for topic_arn, protocol, endpoint, message in cases:
        error = await fails_with("InvalidParameter", sns.subscribe(TopicArn=topic_arn, Protocol=protocol,
                                                                   Endpoint=endpoint))  # fmt: skip
        assert error.message == message
    await fails_with("NotFound", sns.subscribe(TopicArn=arn + "x", Protocol="sqs", Endpoint=QUEUE))


async def test_an_http_endpoint_confirms_with_the_token_it_is_sent(yard: eventyard.Yard) -> None:
    """Given an HTTP endpoint subscribed to a topic,
    when SNS posts it the SubscriptionConfirmation,
    then ConfirmSubscription with that token confirms it, and notifications start."""
    sns = yard.client("sns")
    endpoint = Endpoint(yard)
    arn = await topic(yard)
    answer = await sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://hooks.local/sns")
    assert answer == {"SubscriptionArn": "pending confirmation"}
    await yard.run_until_idle()
    [(url, headers, confirmation)] = endpoint.posts
    assert url == "http://hooks.local/sns" and headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert confirmation["Type"] == "SubscriptionConfirmation" and confirmation["TopicArn"] == arn
    assert f"Action=ConfirmSubscription&TopicArn={arn}&Token=" in confirmation["SubscribeURL"]
    listed = (await sns.list_subscriptions_by_topic(TopicArn=arn))["Subscriptions"]
    assert listed[0]["SubscriptionArn"] == "PendingConfirmation"
    await sns.publish(TopicArn=arn, Message="before")
    await yard.run_until_idle()
    assert len(endpoint.posts) == 1  # nothing goes to an unconfirmed endpoint

    confirmed = await sns.confirm_subscription(TopicArn=arn, Token=confirmation["Token"])
    attributes = (await sns.get_subscription_attributes(SubscriptionArn=confirmed["SubscriptionArn"]))["Attributes"]
    assert attributes["PendingConfirmation"] == "false" and attributes["ConfirmationWasAuthenticated"] == "false"
    assert json.loads(attributes["EffectiveDeliveryPolicy"])["healthyRetryPolicy"]["numRetries"] == 3
    await sns.publish(TopicArn=arn, Message="after")
    await yard.run_until_idle()
    _, headers, notification = endpoint.posts[-1]
    assert notification["Message"] == "after" and headers["x-amz-sns-subscription-arn"] == confirmed["SubscriptionArn"]
    assert headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert headers["Accept-Encoding"] == "gzip,deflate"  # as SNS sends it (AWS-recorded)


async def test_a_token_confirms_its_subscription_whichever_topic_the_call_names(yard: eventyard.Yard) -> None:
    """AWS-recorded: ConfirmSubscription with the right token and another topic's ARN (of the same
    region) confirms the subscription the token was sent for."""
    sns = yard.client("sns")
    endpoint = Endpoint(yard)
    arn = await topic(yard)
    await sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="http://hooks.local/sns")
    await yard.run_until_idle()
    [(_, _, confirmation)] = endpoint.posts
    confirmed = await sns.confirm_subscription(TopicArn=arn[:-1] + "x", Token=confirmation["Token"])
    attributes = (await sns.get_subscription_attributes(SubscriptionArn=confirmed["SubscriptionArn"]))["Attributes"]
    assert attributes["TopicArn"] == arn and attributes["PendingConfirmation"] == "false"
    await sns.publish(TopicArn=arn, Message="now")
    await yard.run_until_idle()
    assert endpoint.posts[-1][2]["Message"] == "now"


async def test_a_policy_that_is_not_json_is_refused_with_jacksons_reason_and_place(yard: eventyard.Yard) -> None:
    """AWS-recorded: SNS says why and where a policy is not JSON, leaving the source out."""
    sns = yard.client("sns")
    arn = await topic(yard)
    _, _, sub = await subscribed_queue(yard, arn, "q")
    redacted = "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: "
    for name in ("RedrivePolicy", "FilterPolicy"):
        error = await fails_with("InvalidParameter", sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName=name, AttributeValue="{invalidjson}"))  # fmt: skip
        assert error.message == (
            f"Invalid parameter: {name}: failed to parse JSON. Unexpected character ('i' (code 105)): was expecting "
            f"double-quote to start field name{redacted}2]"
        )
    policy = {"FilterPolicy": "invalid-json"}
    error = await fails_with("InvalidParameter", sns.subscribe(
        TopicArn=arn, Protocol="email", Endpoint="test@example.com", Attributes=policy))  # fmt: skip
    assert error.message == (
        "Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON. Unrecognized token 'invalid': was "
        f"expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false'){redacted}8]"
    )


async def test_sms_endpoints_are_phone_numbers_with_single_separators(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    for number in ("+12/34-567.890", "+1234567890", "+1 555 123 4567", "15551234567"):  # AWS takes the first
        answer = await sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint=number, ReturnSubscriptionArn=True)
        assert answer["SubscriptionArn"].startswith(arn + ":")
    for number in ("+15--551234567", "NAA+15551234567", "+15551234567.", "/+15551234567", "+1234567890123456"):
        error = await fails_with("InvalidParameter", sns.subscribe(TopicArn=arn, Protocol="sms", Endpoint=number))
        assert error.message == f"Invalid SMS endpoint: {number}"


async def test_confirm_subscription_refuses_bad_tokens_and_topics(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    error = await fails_with("InvalidParameter", sns.confirm_subscription(TopicArn=arn, Token="randomtoken"))
    assert error.message == "Invalid token"
    error = await fails_with("InvalidParameter", sns.confirm_subscription(TopicArn=arn, Token="ab" * 144))
    assert error.message == "Invalid parameter: Token"
    error = await fails_with("InvalidParameter", sns.confirm_subscription(TopicArn=arn, Token="abc123"))
    assert error.message == "Invalid parameter: Token"  # AWS-recorded: hexadecimal, however short
    error = await fails_with("InvalidParameter", sns.confirm_subscription(TopicArn="nonsense", Token="ab" * 144))
    assert error.message == "Invalid parameter: Topic"


async def test_unsubscribing_an_http_endpoint_tells_it_so(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    endpoint = Endpoint(yard)
    arn = await topic(yard)
    await sns.subscribe(TopicArn=arn, Protocol="https", Endpoint="https://hooks.local/sns")
    await yard.run_until_idle()
    token = endpoint.posts[0][2]["Token"]
    sub = (await sns.confirm_subscription(TopicArn=arn, Token=token))["SubscriptionArn"]
    await sns.unsubscribe(SubscriptionArn=sub)
    await yard.run_until_idle()
    assert endpoint.posts[-1][2]["Type"] == "UnsubscribeConfirmation"
    assert endpoint.posts[-1][2]["Message"].startswith(f"You have chosen to deactivate subscription {sub}.")
    await fails_with("NotFound", sns.get_subscription_attributes(SubscriptionArn=sub))
    await sns.unsubscribe(SubscriptionArn=sub)  # again: nothing to do, no error


async def test_unsubscribe_checks_the_arn_first(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    error = await fails_with("InvalidParameter", sns.unsubscribe(SubscriptionArn="randomstring"))
    assert error.message == "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1"
    error = await fails_with("InvalidParameter", sns.unsubscribe(SubscriptionArn="arn:aws:sns:us-east-1:1:random"))
    assert error.message == "Invalid parameter: SubscriptionId"


BAD_START = (  # Jackson's reason for "{bad", as SNS words it (see the test of policies that are not JSON)
    "Unexpected character ('b' (code 98)): was expecting double-quote to start field name\n at [Source: REDACTED "
    "(`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]"
)


async def test_subscription_attributes_are_checked_and_shown_as_aws_shows_them(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    _, _, sub = await subscribed_queue(yard, arn, "q")
    for name, value, message in [
        ("FakeAttribute", "x", "Invalid parameter: AttributeName"),
        ("RawMessageDelivery", "", "Invalid parameter: RawMessageDelivery: Invalid value []. Must be true or false."),
        ("RedrivePolicy", '{"deadLetterTargetArn": "fake-arn"}',
         "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"),
        ("RedrivePolicy", "{bad", f"Invalid parameter: RedrivePolicy: failed to parse JSON. {BAD_START}"),
        ("FilterPolicy", "{bad", f"Invalid parameter: FilterPolicy: failed to parse JSON. {BAD_START}"),
        ("FilterPolicyScope", "Elsewhere",
         "Invalid parameter: FilterPolicyScope: Invalid value [Elsewhere]. Please use either MessageBody or "
         "MessageAttributes"),
    ]:  # fmt: skip
        error = await fails_with("InvalidParameter", sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName=name, AttributeValue=value))  # fmt: skip
        assert error.message == message
    await sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope",
                                          AttributeValue="MessageBody")  # fmt: skip
    assert "FilterPolicyScope" not in (await sns.get_subscription_attributes(SubscriptionArn=sub))["Attributes"]
    await sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                          AttributeValue='{"a": {"b": ["c"]}}')  # fmt: skip
    attributes = (await sns.get_subscription_attributes(SubscriptionArn=sub))["Attributes"]
    assert attributes["FilterPolicyScope"] == "MessageBody" and json.loads(attributes["FilterPolicy"]) == {
        "a": {"b": ["c"]}
    }
    error = await fails_with("InvalidParameter", sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageAttributes"))  # fmt: skip
    assert "does not support nested filter policy" in error.message


async def test_list_subscriptions_pages_by_a_hundred(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    for n in range(120):
        await sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=f"{QUEUE}-{n}")
    first = await sns.list_subscriptions_by_topic(TopicArn=arn)
    second = await sns.list_subscriptions_by_topic(TopicArn=arn, NextToken=first["NextToken"])
    assert len(first["Subscriptions"]) == 100 and len(second["Subscriptions"]) == 20 and "NextToken" not in second
    assert len({s["SubscriptionArn"] for s in first["Subscriptions"] + second["Subscriptions"]}) == 120
