"""Topics: create (idempotent), attributes, listing, deletion, tags and the topic policy, as AWS answers."""

from __future__ import annotations

import json

import eventyard
from tests.topics.helpers import fails_with, topic


async def test_create_topic_is_idempotent_while_the_attributes_agree(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard, "orders", DisplayName="Orders")
    assert arn == "arn:aws:sns:us-east-1:000000000000:orders"
    assert (await sns.create_topic(Name="orders"))["TopicArn"] == arn
    assert (await sns.create_topic(Name="orders", Attributes={"DisplayName": "Orders"}))["TopicArn"] == arn
    error = await fails_with("InvalidParameter", sns.create_topic(Name="orders", Attributes={"DisplayName": "Other"}))
    assert error.message == "Invalid parameter: Attributes Reason: Topic already exists with different attributes"


async def test_tags_given_again_must_be_a_subset_of_the_topics(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = (await sns.create_topic(Name="t", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]))["TopicArn"]
    assert (await sns.create_topic(Name="t", Tags=[{"Key": "a", "Value": "1"}]))["TopicArn"] == arn
    error = await fails_with("InvalidParameter", sns.create_topic(Name="t", Tags=[{"Key": "c", "Value": "3"}]))
    assert error.message == "Invalid parameter: Tags Reason: Topic already exists with different tags"


async def test_names_follow_sns_rules_and_fifo_names_end_in_fifo(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    for name, attributes in [("a" * 257, {}), ("bad name", {}), ("x.fifo", {}), ("x", {"FifoTopic": "true"}), ("", {})]:
        error = await fails_with("InvalidParameter", sns.create_topic(Name=name, Attributes=attributes))
        assert error.message == "Invalid parameter: Topic Name"
    assert (await sns.create_topic(Name="a" * 256))["TopicArn"].endswith("a" * 256)


async def test_a_fifo_topic_shows_its_fifo_attributes_and_a_standard_one_does_not(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    fifo = await topic(yard, "jobs.fifo", FifoTopic="true", ContentBasedDeduplication="true")
    standard = await topic(yard, "plain", FifoTopic="false")
    fifo_attributes = (await sns.get_topic_attributes(TopicArn=fifo))["Attributes"]
    assert fifo_attributes["FifoTopic"] == "true" and fifo_attributes["ContentBasedDeduplication"] == "true"
    plain = (await sns.get_topic_attributes(TopicArn=standard))["Attributes"]
    assert "FifoTopic" not in plain and "ContentBasedDeduplication" not in plain
    assert json.loads(plain["Policy"])["Statement"][0]["Resource"] == standard
    assert json.loads(plain["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    error = await fails_with("InvalidParameter", sns.set_topic_attributes(TopicArn=standard, AttributeName="FifoTopic",
                                                                          AttributeValue="true"))  # fmt: skip
    assert error.message == "Invalid parameter: AttributeName"


async def test_delivery_policy_is_kept_as_sns_normalises_it(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    policy = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 6, "numRetries": 1}}}
    await sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy))
    attributes = (await sns.get_topic_attributes(TopicArn=arn))["Attributes"]
    assert json.loads(attributes["DeliveryPolicy"])["http"]["disableSubscriptionOverrides"] is False
    effective = json.loads(attributes["EffectiveDeliveryPolicy"])["http"]
    assert effective["defaultHealthyRetryPolicy"]["numRetries"] == 1
    assert effective["defaultHealthyRetryPolicy"]["backoffFunction"] == "linear"
    await sns.set_topic_attributes(TopicArn=arn, AttributeName="DeliveryPolicy", AttributeValue="")
    assert "DeliveryPolicy" not in (await sns.get_topic_attributes(TopicArn=arn))["Attributes"]


async def test_missing_and_malformed_topics_are_told_apart(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    error = await fails_with("InvalidParameter", sns.get_topic_attributes(TopicArn="test-topic"))
    assert error.message == "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"
    error = await fails_with("NotFound", sns.get_topic_attributes(TopicArn="arn:aws:sns:us-east-1:000000000000:no"))
    assert (error.message, error.status) == ("Topic does not exist", 404)
    await sns.delete_topic(TopicArn="arn:aws:sns:us-east-1:000000000000:no")  # deleting nothing succeeds


async def test_list_topics_pages_by_a_hundred(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    for n in range(150):
        await sns.create_topic(Name=f"t-{n:03d}")
    first = await sns.list_topics()
    second = await sns.list_topics(NextToken=first["NextToken"])
    assert len(first["Topics"]) == 100 and len(second["Topics"]) == 50 and "NextToken" not in second
    arns = [t["TopicArn"] for t in first["Topics"] + second["Topics"]]
    assert len(set(arns)) == 150


async def test_deleting_a_topic_deletes_its_subscriptions_and_tags(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    await sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    sub = await sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:q",
                              ReturnSubscriptionArn=True)  # fmt: skip
    await sns.delete_topic(TopicArn=arn)
    await fails_with("NotFound", sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"]))
    arn = await topic(yard)
    assert (await sns.list_tags_for_resource(ResourceArn=arn))["Tags"] == []


async def test_tags_keep_their_order_and_refuse_repeated_keys(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    pairs = [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]
    error = await fails_with("InvalidParameter", sns.tag_resource(ResourceArn=arn, Tags=[*pairs, pairs[1]]))
    assert error.message == "Invalid parameter: Duplicated keys are not allowed."
    await sns.tag_resource(ResourceArn=arn, Tags=pairs)
    await sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k1", "Value": "v1b"}])
    assert (await sns.list_tags_for_resource(ResourceArn=arn))["Tags"] == [
        {"Key": "k1", "Value": "v1b"}, {"Key": "k2", "Value": "v2"},
    ]  # fmt: skip
    await sns.untag_resource(ResourceArn=arn, TagKeys=["k1"])
    assert (await sns.list_tags_for_resource(ResourceArn=arn))["Tags"] == [{"Key": "k2", "Value": "v2"}]
    await fails_with("ResourceNotFound", sns.list_tags_for_resource(ResourceArn=arn + "-gone"))


async def test_add_and_remove_permission_edit_the_topic_policy(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    await sns.add_permission(TopicArn=arn, Label="pub", AWSAccountId=["111122223333"], ActionName=["Publish"])
    statements = json.loads((await sns.get_topic_attributes(TopicArn=arn))["Attributes"]["Policy"])["Statement"]
    assert statements[1] == {
        "Sid": "pub", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "SNS:Publish", "Resource": arn,
    }  # fmt: skip
    error = await fails_with("InvalidParameter", sns.add_permission(TopicArn=arn, Label="pub", AWSAccountId=["1"],
                                                                    ActionName=["Publish"]))  # fmt: skip
    assert error.message == "Invalid parameter: Statement already exists"
    error = await fails_with("InvalidParameter", sns.add_permission(TopicArn=arn, Label="x", AWSAccountId=["1"],
                                                                    ActionName=["Fly"]))  # fmt: skip
    assert error.message == "Invalid parameter: Policy statement action out of service scope!"
    await sns.remove_permission(TopicArn=arn, Label="pub")
    statements = json.loads((await sns.get_topic_attributes(TopicArn=arn))["Attributes"]["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["__default_statement_ID"]
    await fails_with("NotFound", sns.remove_permission(TopicArn=arn + "-gone", Label="pub"))


async def test_a_data_protection_policy_is_kept(yard: eventyard.Yard) -> None:
    sns = yard.client("sns")
    arn = await topic(yard)
    policy = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []})
    await sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy=policy)
    assert (await sns.get_data_protection_policy(ResourceArn=arn))["DataProtectionPolicy"] == policy
    await fails_with("InvalidParameter", sns.put_data_protection_policy(ResourceArn=arn, DataProtectionPolicy="{"))


async def test_a_missing_required_member_is_named_as_sns_names_it(yard: eventyard.Yard) -> None:
    error = await fails_with("InvalidParameter", yard.api.dispatch("sns", "Unsubscribe", {}, _context()))
    assert error.message == "Invalid parameter: SubscriptionArn Reason: no value for required parameter"


def _context():  # type: ignore[no-untyped-def]
    from eventyard.service import RequestContext

    return RequestContext()
