"""Versions, aliases with routing, tags, permissions and account settings."""

from __future__ import annotations

import orjson
import pytest

from eventyard.functions.errors import InvalidParameterValue, ResourceConflict, ResourceNotFound
from tests.functions.helpers import create, zipped

VERSIONED = (
    "def handler(event, context):\n"
    "    return '{tag}|' + context.function_version + '|' + context.invoked_function_arn\n"
)
ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


async def test_published_versions_keep_their_code_and_are_invoked_by_qualifier(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "f", VERSIONED.format(tag="v1"))
    one = await lam.publish_version(FunctionName="f", Description="first")
    assert (one["Version"], one["FunctionArn"], one["Description"]) == ("1", f"{ARN}:1", "first")
    again = await lam.publish_version(FunctionName="f")
    assert again["Version"] == "1"  # nothing changed since: the same version
    await lam.update_function_code(FunctionName="f", ZipFile=zipped(app=VERSIONED.format(tag="v2")))
    two = await lam.publish_version(FunctionName="f")
    assert two["Version"] == "2"
    assert (await lam.invoke(FunctionName="f", Qualifier="1"))["Payload"] == f'"v1|1|{ARN}:1"'.encode()
    assert (await lam.invoke(FunctionName=f"{ARN}:2"))["ExecutedVersion"] == "2"
    versions = await lam.list_versions_by_function(FunctionName="f")
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", "1", "2"]
    await lam.delete_function(FunctionName="f", Qualifier="1")
    with pytest.raises(ResourceNotFound, match=r"function:f:1$"):
        await lam.invoke(FunctionName="f", Qualifier="1")


async def test_aliases_point_at_versions_and_route_by_weight(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "f", VERSIONED.format(tag="v1"))
    await lam.publish_version(FunctionName="f")
    await lam.update_function_code(FunctionName="f", ZipFile=zipped(app=VERSIONED.format(tag="v2")))
    await lam.publish_version(FunctionName="f")
    alias = await lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1", Description="d")
    assert alias["AliasArn"] == f"{ARN}:live" and alias["FunctionVersion"] == "1"
    answer = await lam.invoke(FunctionName="f", Qualifier="live")
    assert answer["ExecutedVersion"] == "1" and answer["Payload"] == f'"v1|1|{ARN}:live"'.encode()
    with pytest.raises(ResourceConflict, match="Alias already exists"):
        await lam.create_alias(FunctionName="f", Name="live", FunctionVersion="1")
    await lam.update_alias(FunctionName="f", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}})
    assert (await lam.invoke(FunctionName="f:live"))["ExecutedVersion"] == "2"
    assert [a["Name"] for a in (await lam.list_aliases(FunctionName="f"))["Aliases"]] == ["live"]
    await lam.delete_alias(FunctionName="f", Name="live")
    with pytest.raises(ResourceNotFound, match=f"Cannot find alias arn: {ARN}:live"):
        await lam.get_alias(FunctionName="f", Name="live")
    with pytest.raises(ResourceNotFound, match=r"function:f:9$"):
        await lam.create_alias(FunctionName="f", Name="x", FunctionVersion="9")


async def test_tags_and_permissions_are_kept(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "f", VERSIONED.format(tag="x"))
    await lam.tag_resource(Resource=ARN, Tags={"a": "1", "b": "2"})
    await lam.untag_resource(Resource=ARN, TagKeys=["a"])
    assert (await lam.list_tags(Resource=ARN))["Tags"] == {"b": "2"}
    with pytest.raises(InvalidParameterValue, match="Tags on function aliases and versions are not supported"):
        await lam.list_tags(Resource=f"{ARN}:1")
    added = await lam.add_permission(
        FunctionName="f",
        StatementId="rule",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn="arn:aws:events:us-east-1:000000000000:rule/r",
    )
    statement = orjson.loads(added["Statement"])
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Resource"] == ARN
    assert statement["Condition"] == {"ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:000000000000:rule/r"}}
    with pytest.raises(ResourceConflict, match=r"The statement id \(rule\) provided already exists"):
        await lam.add_permission(FunctionName="f", StatementId="rule", Action="lambda:InvokeFunction", Principal="*")
    policy = orjson.loads((await lam.get_policy(FunctionName="f"))["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["rule"]
    await lam.remove_permission(FunctionName="f", StatementId="rule")
    with pytest.raises(ResourceNotFound):
        await lam.get_policy(FunctionName="f")


async def test_account_settings_count_functions_code_and_reserved_concurrency(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "f", VERSIONED.format(tag="x"))
    await lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=100)
    settings = await lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 900
    assert settings["AccountUsage"]["FunctionCount"] == 1 and settings["AccountUsage"]["TotalCodeSize"] > 0
    with pytest.raises(InvalidParameterValue, match="below its minimum value of \\[100\\]"):
        await lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=901)
