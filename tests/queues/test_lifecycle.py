"""Queue lifecycle: create (idempotent, conflicts, names), URLs, listing, attributes, tags, purge."""

from __future__ import annotations

import json

from tests.queues.conftest import attributes_of, fails_with, make_queue


async def test_create_returns_url_of_endpoint_account_and_name(sqs):
    url = await make_queue(sqs, "orders")
    assert url == "http://127.0.0.1:4566/000000000000/orders"
    assert (await sqs.get_queue_url(QueueName="orders"))["QueueUrl"] == url


async def test_create_with_same_attributes_is_idempotent(sqs):
    first = await make_queue(sqs, "orders", VisibilityTimeout="40")
    again = await make_queue(sqs, "orders", VisibilityTimeout="40")
    assert again == first


async def test_create_with_a_different_attribute_conflicts(sqs):
    await make_queue(sqs, "orders", DelaySeconds="1")
    error = await fails_with(
        "QueueAlreadyExists", sqs.create_queue(QueueName="orders", Attributes={"DelaySeconds": "2"})
    )
    assert "different value for attribute DelaySeconds" in error.message
    assert error.shape == "QueueNameExists"


async def test_queue_names_follow_aws_rules(sqs):
    for bad in ("bad!name", "has space", "n" * 81, ""):
        await fails_with("InvalidParameterValue", sqs.create_queue(QueueName=bad))
    await make_queue(sqs, "n" * 80)
    await make_queue(sqs, "with-dash_and_underscore")


async def test_fifo_queues_need_the_suffix_and_the_attribute(sqs):
    await fails_with("InvalidParameterValue", sqs.create_queue(QueueName="jobs", Attributes={"FifoQueue": "true"}))
    await fails_with("InvalidParameterValue", sqs.create_queue(QueueName="jobs.fifo"))
    url = await make_queue(sqs, "jobs.fifo", FifoQueue="true")
    assert url.endswith("/jobs.fifo")


async def test_delete_queue_makes_it_unknown(sqs):
    url = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody="left behind")
    await sqs.delete_queue(QueueUrl=url)
    error = await fails_with("AWS.SimpleQueueService.NonExistentQueue", sqs.get_queue_url(QueueName="orders"))
    assert error.shape == "QueueDoesNotExist"
    await fails_with("AWS.SimpleQueueService.NonExistentQueue", sqs.send_message(QueueUrl=url, MessageBody="x"))
    again = await make_queue(sqs)
    assert await sqs.receive_message(QueueUrl=again) == {}


async def test_queue_url_with_any_host_names_the_same_queue(sqs):
    await make_queue(sqs, "orders")
    await sqs.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/000000000000/orders", MessageBody="x")
    got = await sqs.receive_message(QueueUrl="http://localhost:9999/000000000000/orders")
    assert got["Messages"][0]["Body"] == "x"


async def test_get_queue_url_of_another_owner_account(yard):
    other = yard.client("sqs", account="111111111111")
    await make_queue(other, "shared")
    mine = yard.client("sqs")
    await fails_with("AWS.SimpleQueueService.NonExistentQueue", mine.get_queue_url(QueueName="shared"))
    found = await mine.get_queue_url(QueueName="shared", QueueOwnerAWSAccountId="111111111111")
    assert found["QueueUrl"].endswith("/111111111111/shared")


async def test_queues_live_in_their_region(yard):
    east, west = yard.client("sqs"), yard.client("sqs", region="eu-west-1")
    await make_queue(east, "orders")
    assert await west.list_queues() == {}
    url = await make_queue(west, "orders")
    assert (await attributes_of(west, url, "QueueArn"))["QueueArn"] == "arn:aws:sqs:eu-west-1:000000000000:orders"


async def test_list_queues_by_prefix(sqs):
    a = await make_queue(sqs, "lp-a")
    b = await make_queue(sqs, "lp-b")
    c = await make_queue(sqs, "lpx")
    assert sorted((await sqs.list_queues(QueueNamePrefix="lp-"))["QueueUrls"]) == [a, b]
    assert (await sqs.list_queues(QueueNamePrefix="lpx"))["QueueUrls"] == [c]
    assert len((await sqs.list_queues())["QueueUrls"]) == 3


async def test_list_queues_pages_with_max_results_and_next_token(sqs):
    urls = [await make_queue(sqs, f"q{i}") for i in range(5)]
    first = await sqs.list_queues(MaxResults=2)
    second = await sqs.list_queues(MaxResults=2, NextToken=first["NextToken"])
    third = await sqs.list_queues(MaxResults=2, NextToken=second["NextToken"])
    assert first["QueueUrls"] + second["QueueUrls"] + third["QueueUrls"] == sorted(urls)
    assert "NextToken" not in third
    await fails_with("InvalidParameterValue", sqs.list_queues(MaxResults=1001))


async def test_default_attributes_of_a_standard_queue(sqs, clock):
    url = await make_queue(sqs, "defaults")
    found = await attributes_of(sqs, url)
    assert found == {
        "VisibilityTimeout": "30",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "CreatedTimestamp": str(int(clock.now())),
        "LastModifiedTimestamp": str(int(clock.now())),
        "QueueArn": "arn:aws:sqs:us-east-1:000000000000:defaults",
        "ApproximateNumberOfMessagesDelayed": "0",
        "DelaySeconds": "0",
        "ReceiveMessageWaitTimeSeconds": "0",
        "SqsManagedSseEnabled": "true",
    }


async def test_default_attributes_of_a_fifo_queue(sqs):
    url = await make_queue(sqs, "f.fifo", FifoQueue="true")
    found = await attributes_of(sqs, url)
    assert found["FifoQueue"] == "true"
    assert found["ContentBasedDeduplication"] == "false"
    assert found["DeduplicationScope"] == "queue"
    assert found["FifoThroughputLimit"] == "perQueue"


async def test_get_only_the_requested_attributes(sqs):
    url = await make_queue(sqs, "some")
    found = await attributes_of(sqs, url, "VisibilityTimeout", "QueueArn")
    assert found == {"VisibilityTimeout": "30", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:some"}


async def test_set_queue_attributes_changes_them_and_the_modified_time(sqs, clock):
    url = await make_queue(sqs)
    clock.advance(100)
    await sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "60", "DelaySeconds": "5"})
    found = await attributes_of(sqs, url, "VisibilityTimeout", "DelaySeconds", "LastModifiedTimestamp")
    assert found == {"VisibilityTimeout": "60", "DelaySeconds": "5", "LastModifiedTimestamp": str(int(clock.now()))}


async def test_attribute_values_out_of_range_are_rejected(sqs):
    url = await make_queue(sqs)
    for name, value in [
        ("VisibilityTimeout", "43201"),
        ("MessageRetentionPeriod", "59"),
        ("MaximumMessageSize", "1048577"),
        ("DelaySeconds", "901"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "soon"),
    ]:
        error = await fails_with(
            "InvalidAttributeValue", sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})
        )
        assert error.message == f"Invalid value for the parameter {name}."


async def test_unknown_and_misplaced_attribute_names_are_rejected(sqs, service):
    url = await make_queue(sqs)
    unknown = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Nope"])
    error = await fails_with("InvalidAttributeName", unknown)
    assert error.message == "Unknown Attribute Nope."
    await fails_with(
        "InvalidAttributeName", sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "true"})
    )
    await fails_with("InvalidAttributeName", sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"}))


async def test_tags_are_added_listed_and_removed(sqs):
    url = (await sqs.create_queue(QueueName="tagged", tags={"team": "core"}))["QueueUrl"]
    assert (await sqs.list_queue_tags(QueueUrl=url))["Tags"] == {"team": "core"}
    await sqs.tag_queue(QueueUrl=url, Tags={"env": "dev", "cost": ""})
    assert (await sqs.list_queue_tags(QueueUrl=url))["Tags"] == {"team": "core", "env": "dev", "cost": ""}
    await sqs.untag_queue(QueueUrl=url, TagKeys=["team", "env", "cost"])
    assert await sqs.list_queue_tags(QueueUrl=url) == {}


async def test_purge_deletes_every_message_once_a_minute(sqs, clock):
    url = await make_queue(sqs)
    for body in ("one", "two", "three"):
        await sqs.send_message(QueueUrl=url, MessageBody=body)
    await sqs.purge_queue(QueueUrl=url)
    assert (await attributes_of(sqs, url, "ApproximateNumberOfMessages")) == {"ApproximateNumberOfMessages": "0"}
    error = await fails_with("AWS.SimpleQueueService.PurgeQueueInProgress", sqs.purge_queue(QueueUrl=url))
    assert error.message == "Only one PurgeQueue operation on orders is allowed every 60 seconds."
    clock.advance(60)
    await sqs.purge_queue(QueueUrl=url)


async def test_permissions_are_kept_in_the_policy_attribute(sqs):
    url = await make_queue(sqs)
    await sqs.add_permission(QueueUrl=url, Label="send", AWSAccountIds=["123456789012"], Actions=["SendMessage"])
    policy = json.loads((await attributes_of(sqs, url, "Policy"))["Policy"])
    assert policy["Statement"] == [
        {
            "Sid": "send",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "SQS:SendMessage",
            "Resource": "arn:aws:sqs:us-east-1:000000000000:orders",
        }
    ]
    await fails_with(
        "InvalidParameterValue",
        sqs.add_permission(QueueUrl=url, Label="send", AWSAccountIds=["123456789012"], Actions=["SendMessage"]),
    )
    await sqs.remove_permission(QueueUrl=url, Label="send")
    assert "Policy" not in await attributes_of(sqs, url)
    await fails_with("InvalidParameterValue", sqs.remove_permission(QueueUrl=url, Label="send"))
