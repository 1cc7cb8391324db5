"""Versions and aliases of a state machine, on every store."""

from __future__ import annotations

import eventyard
from tests.workflows.service.helpers import create, definition, fails_with, machine_arn


async def test_versions_number_from_one_list_newest_first_and_never_reuse_a_number(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    created = await create(sfn, "numbered", publish=True, versionDescription="first")
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    second = await sfn.update_state_machine(stateMachineArn=arn, definition=definition(2), publish=True)
    assert second["stateMachineVersionArn"] == f"{arn}:2"
    listed = await sfn.list_state_machine_versions(stateMachineArn=arn)
    assert [v["stateMachineVersionArn"] for v in listed["stateMachineVersions"]] == [f"{arn}:2", f"{arn}:1"]
    await sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    await sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")  # gone already: fine
    await sfn.update_state_machine(stateMachineArn=arn, definition=definition(3))
    third = await sfn.publish_state_machine_version(stateMachineArn=arn)
    assert third["stateMachineVersionArn"] == f"{arn}:3"


async def test_a_version_freezes_its_revision_and_describes_with_its_description(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "frozen", definition(1)))["stateMachineArn"]
    revised = await sfn.update_state_machine(stateMachineArn=arn, definition=definition(2))
    version = (await sfn.publish_state_machine_version(stateMachineArn=arn, description="two"))[
        "stateMachineVersionArn"
    ]
    await sfn.update_state_machine(stateMachineArn=arn, definition=definition(3))
    described = await sfn.describe_state_machine(stateMachineArn=version)
    assert described["stateMachineArn"] == version
    assert described["definition"] == definition(2)
    assert described["revisionId"] == revised["revisionId"]
    assert described["description"] == "two"
    assert described["name"] == "frozen" and described["status"] == "ACTIVE"
    await fails_with("StateMachineDoesNotExist", sfn.describe_state_machine(stateMachineArn=f"{arn}:9"))


async def test_publishing_an_unchanged_revision_answers_its_version(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "same"))["stateMachineArn"]
    first = await sfn.publish_state_machine_version(stateMachineArn=arn)
    again = await sfn.publish_state_machine_version(stateMachineArn=arn)
    assert again == first and first["stateMachineVersionArn"] == f"{arn}:1"
    unchanged = await sfn.update_state_machine(stateMachineArn=arn, definition=definition(), publish=True)
    assert unchanged["stateMachineVersionArn"] == f"{arn}:1" and "revisionId" not in unchanged


async def test_publish_with_a_stale_revision_is_a_conflict(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "stale"))["stateMachineArn"]
    old = (await sfn.update_state_machine(stateMachineArn=arn, definition=definition(2)))["revisionId"]
    new = (await sfn.update_state_machine(stateMachineArn=arn, definition=definition(3)))["revisionId"]
    await fails_with(
        "ConflictException",
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=old),
        f"Failed to publish the State Machine version for revision {old}. The current State Machine revision is {new}.",
    )
    published = await sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=new)
    assert published["stateMachineVersionArn"] == f"{arn}:1"
    await fails_with(
        "StateMachineDoesNotExist",
        sfn.publish_state_machine_version(stateMachineArn=machine_arn("ghost")),
        f"State Machine Does Not Exist: '{machine_arn('ghost')}'",
    )


async def test_versions_page_with_tokens(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "paged", definition(0), publish=True))["stateMachineArn"]
    for n in range(1, 5):
        await sfn.update_state_machine(stateMachineArn=arn, definition=definition(n), publish=True)
    page = await sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=2)
    rest = await sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=10, nextToken=page["nextToken"])
    numbers = [int(v["stateMachineVersionArn"].rsplit(":", 1)[1]) for v in page["stateMachineVersions"]]
    numbers += [int(v["stateMachineVersionArn"].rsplit(":", 1)[1]) for v in rest["stateMachineVersions"]]
    assert numbers == [5, 4, 3, 2, 1] and "nextToken" not in rest
    other = (await create(sfn, "other"))["stateMachineArn"]
    await fails_with(
        "InvalidToken", sfn.list_state_machine_versions(stateMachineArn=other, nextToken=page["nextToken"])
    )


async def test_alias_routes_to_one_or_two_versions_of_its_machine(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "routed", definition(1), publish=True))["stateMachineArn"]
    await sfn.update_state_machine(stateMachineArn=arn, definition=definition(2), publish=True)
    routing = [
        {"stateMachineVersionArn": f"{arn}:1", "weight": 80},
        {"stateMachineVersionArn": f"{arn}:2", "weight": 20},
    ]
    created = await sfn.create_state_machine_alias(name="canary", description="split", routingConfiguration=routing)
    assert created["stateMachineAliasArn"] == f"{arn}:canary"
    again = await sfn.create_state_machine_alias(name="canary", description="split", routingConfiguration=routing)
    assert again == created
    described = await sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:canary")
    assert described == {
        "stateMachineAliasArn": f"{arn}:canary",
        "name": "canary",
        "description": "split",
        "routingConfiguration": routing,
        "creationDate": created["creationDate"],
        "updateDate": created["creationDate"],
    }
    await fails_with(
        "ConflictException",
        sfn.create_state_machine_alias(name="canary", routingConfiguration=routing),
        "Failed to create alias because an alias with the same name and a different routing configuration "
        "already exists.",
    )


async def test_alias_routing_is_checked_with_aws_texts(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "checked", definition(1), publish=True))["stateMachineArn"]
    await sfn.update_state_machine(stateMachineArn=arn, definition=definition(2), publish=True)

    async def alias(*routes: tuple[str, int]) -> None:
        await sfn.create_state_machine_alias(
            name="a", routingConfiguration=[{"stateMachineVersionArn": v, "weight": w} for v, w in routes]
        )

    await fails_with(
        "ValidationException",
        alias((arn, 100)),
        f"Routing configuration must contain state machine version ARNs. Received: [{arn}]",
    )
    await fails_with(
        "ValidationException",
        alias((f"{arn}:1", 50), (f"{arn}:1", 50)),
        f"Routing configuration must contain distinct state machine version ARNs. Received: [{arn}:1, {arn}:1]",
    )
    await fails_with(
        "ValidationException",
        alias((f"{arn}:1", 70), (f"{arn}:2", 29)),
        "Sum of routing configuration weights must equal 100. Received: [70, 29]",
    )
    await fails_with(
        "ValidationException",
        alias((f"{arn}:1", 101)),
        "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy "
        "constraint: Member must have value less than or equal to 100",
    )
    await fails_with("ResourceNotFound", alias((f"{arn}:7", 100)))
    await fails_with(
        "ValidationException",
        sfn.create_state_machine_alias(
            name="123", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
        ),
    )


async def test_a_version_routed_to_by_an_alias_cannot_be_deleted(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "guarded", definition(1), publish=True))["stateMachineArn"]
    await sfn.update_state_machine(stateMachineArn=arn, definition=definition(2), publish=True)
    alias = (
        await sfn.create_state_machine_alias(
            name="prod", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
        )
    )["stateMachineAliasArn"]
    await fails_with(
        "ConflictException",
        sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1"),
        "Version to be deleted must not be referenced by an alias. "
        "Current list of aliases referencing this version: [prod]",
    )
    updated = await sfn.update_state_machine_alias(
        stateMachineAliasArn=alias, routingConfiguration=[{"stateMachineVersionArn": f"{arn}:2", "weight": 100}]
    )
    described = await sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert described["updateDate"] == updated["updateDate"]
    assert described["routingConfiguration"] == [{"stateMachineVersionArn": f"{arn}:2", "weight": 100}]
    await sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")


async def test_alias_listing_deleting_and_missing_aliases(yard: eventyard.Yard) -> None:
    sfn = yard.client("stepfunctions")
    arn = (await create(sfn, "listed", definition(1), publish=True))["stateMachineArn"]
    await sfn.update_state_machine(stateMachineArn=arn, definition=definition(2), publish=True)
    assert (await sfn.list_state_machine_aliases(stateMachineArn=arn))["stateMachineAliases"] == []
    for name, version in (("one", 1), ("two", 2), ("three", 1)):
        await yard.advance(1)
        await sfn.create_state_machine_alias(
            name=name, routingConfiguration=[{"stateMachineVersionArn": f"{arn}:{version}", "weight": 100}]
        )
    listed = await sfn.list_state_machine_aliases(stateMachineArn=arn)
    assert [a["stateMachineAliasArn"] for a in listed["stateMachineAliases"]] == [
        f"{arn}:one",
        f"{arn}:two",
        f"{arn}:three",
    ]
    of_version = await sfn.list_state_machine_aliases(stateMachineArn=f"{arn}:1")
    assert [a["stateMachineAliasArn"] for a in of_version["stateMachineAliases"]] == [f"{arn}:one", f"{arn}:three"]
    page = await sfn.list_state_machine_aliases(stateMachineArn=arn, maxResults=1)
    rest = await sfn.list_state_machine_aliases(stateMachineArn=arn, nextToken=page["nextToken"])
    assert [a["stateMachineAliasArn"] for a in rest["stateMachineAliases"]] == [f"{arn}:two", f"{arn}:three"]
    await sfn.delete_state_machine_alias(stateMachineAliasArn=f"{arn}:one")
    await sfn.delete_state_machine_alias(stateMachineAliasArn=f"{arn}:one")
    await fails_with(
        "ResourceNotFound",
        sfn.update_state_machine_alias(stateMachineAliasArn=f"{arn}:one", description="x"),
        "Request references a resource that does not exist.",
    )
    await fails_with("StateMachineDoesNotExist", sfn.list_state_machine_aliases(stateMachineArn=machine_arn("nope")))
    await fails_with("InvalidToken", sfn.list_state_machine_aliases(stateMachineArn=arn, nextToken="InvalidToken"))
