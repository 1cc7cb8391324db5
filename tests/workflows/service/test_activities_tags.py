"""Activities' catalogue and tags, on every store."""

from __future__ import annotations

import eventyard
from tests.workflows.service.helpers import ACCOUNT, REGION, create, fails_with

ACTIVITY = f"arn:aws:states:{REGION}:{ACCOUNT}:activity"


async def test_create_activity_is_idempotent_on_its_name(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    created = await sfn.create_activity(name="approve", tags=[{"key": "team", "value": "ops"}])
    assert created == {"activityArn": f"{ACTIVITY}:approve", "creationDate": created["creationDate"]}
    await yard.advance(5)
    assert await sfn.create_activity(name="approve", tags=[{"key": "other", "value": "x"}]) == created
    assert (await sfn.list_tags_for_resource(resourceArn=created["activityArn"]))["tags"] == [
        {"key": "team", "value": "ops"}
    ]
    assert await sfn.describe_activity(activityArn=created["activityArn"]) == {
        "activityArn": f"{ACTIVITY}:approve",
        "name": "approve",
        "creationDate": created["creationDate"],
        "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
    }
    await fails_with(
        "ActivityAlreadyExists",
        sfn.create_activity(
            name="approve", encryptionConfiguration={"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/k"}
        ),
    )


async def test_activity_refusals_and_deletion_as_aws(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    await fails_with("InvalidName", sfn.create_activity(name="a b"), "Invalid Name: 'a b'")
    await fails_with("InvalidName", sfn.create_activity(name="a\x7f"))
    await fails_with(
        "InvalidArn",
        sfn.describe_activity(activityArn="no_an_activity_arn"),
        "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'",
    )
    arn = (await sfn.create_activity(name="gone"))["activityArn"]
    await sfn.delete_activity(activityArn=arn)
    await sfn.delete_activity(activityArn=arn)
    await fails_with(
        "ActivityDoesNotExist", sfn.describe_activity(activityArn=arn), f"Activity Does Not Exist: '{arn}'"
    )


async def test_activities_list_in_name_order_with_pages(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    for name in ("c", "a", "b"):
        await sfn.create_activity(name=name)
    first = await sfn.list_activities(maxResults=2)
    assert [a["name"] for a in first["activities"]] == ["a", "b"]
    rest = await sfn.list_activities(maxResults=2, nextToken=first["nextToken"])
    assert [a["name"] for a in rest["activities"]] == ["c"] and "nextToken" not in rest
    assert set(rest["activities"][0]) == {"activityArn", "name", "creationDate"}
    await fails_with("InvalidToken", sfn.list_activities(nextToken=first["nextToken"] + "x"))


async def test_tags_on_a_state_machine_set_replace_and_remove(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "tagged", tags=[{"key": "team", "value": "core"}]))["stateMachineArn"]
    await sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": ""}, {"key": "team", "value": "edge"}])
    assert (await sfn.list_tags_for_resource(resourceArn=arn))["tags"] == [
        {"key": "team", "value": "edge"},
        {"key": "env", "value": ""},
    ]
    await sfn.untag_resource(resourceArn=arn, tagKeys=["team", "team", "absent"])
    assert (await sfn.list_tags_for_resource(resourceArn=arn))["tags"] == [{"key": "env", "value": ""}]


async def test_tags_refuse_versions_missing_resources_and_more_than_fifty(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    created = await create(sfn, "limits", publish=True)
    version = created["stateMachineVersionArn"]
    await fails_with(
        "ResourceNotFound",
        sfn.tag_resource(resourceArn=version, tags=[{"key": "a", "value": "b"}]),
        f"Resource not found: '{version}'",
    )
    missing = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:missing"
    await fails_with("ResourceNotFound", sfn.list_tags_for_resource(resourceArn=missing))
    await fails_with("InvalidArn", sfn.untag_resource(resourceArn="arn:aws:sqs:us-east-1:1:q", tagKeys=["a"]))
    many = [{"key": f"k{i}", "value": "v"} for i in range(50)]
    await sfn.tag_resource(resourceArn=created["stateMachineArn"], tags=many)
    await fails_with(
        "TooManyTags", sfn.tag_resource(resourceArn=created["stateMachineArn"], tags=[{"key": "one", "value": "more"}])
    )
    await fails_with("TooManyTags", sfn.create_activity(name="crowded", tags=[*many, {"key": "x", "value": "y"}]))
