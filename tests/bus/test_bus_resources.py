"""Event buses, rules and targets: the lifecycle and AWS's errors, over every store."""

from __future__ import annotations

import json

import eventyard
from tests.bus.bus_helpers import fails_with, queue


async def test_default_bus_exists_in_every_namespace(yard: eventyard.Yard) -> None:
    events = yard.client("events", account="111122223333", region="eu-west-1")
    bus = await events.describe_event_bus()
    assert bus["Name"] == "default"
    assert bus["Arn"] == "arn:aws:events:eu-west-1:111122223333:event-bus/default"
    assert [b["Name"] for b in (await events.list_event_buses())["EventBuses"]] == ["default"]


async def test_custom_bus_create_describe_list_delete(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    created = await events.create_event_bus(Name="orders", Description="the order stream")
    assert created["EventBusArn"] == "arn:aws:events:us-east-1:000000000000:event-bus/orders"
    described = await events.describe_event_bus(Name="orders")
    assert (described["Name"], described["Description"]) == ("orders", "the order stream")
    assert "CreationTime" in described
    assert [b["Name"] for b in (await events.list_event_buses(NamePrefix="ord"))["EventBuses"]] == ["orders"]
    await fails_with("ResourceAlreadyExistsException", events.create_event_bus(Name="orders"))
    await events.delete_event_bus(Name="orders")
    error = await fails_with("ResourceNotFoundException", events.describe_event_bus(Name="orders"))
    assert error.message == "Event bus orders does not exist."


async def test_default_bus_cannot_be_deleted(yard: eventyard.Yard) -> None:
    await fails_with("ValidationException", yard.client("events").delete_event_bus(Name="default"))


async def test_rule_lifecycle_and_state(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    await events.create_event_bus(Name="billing")
    pattern = json.dumps({"source": ["billing"]})
    arn = (await events.put_rule(Name="paid", EventBusName="billing", EventPattern=pattern))["RuleArn"]
    assert arn == "arn:aws:events:us-east-1:000000000000:rule/billing/paid"
    rule = await events.describe_rule(Name="paid", EventBusName="billing")
    assert (rule["State"], rule["EventBusName"], json.loads(rule["EventPattern"])) == (
        "ENABLED",
        "billing",
        {"source": ["billing"]},
    )
    await events.disable_rule(Name="paid", EventBusName="billing")
    assert (await events.describe_rule(Name="paid", EventBusName="billing"))["State"] == "DISABLED"
    await events.enable_rule(Name="paid", EventBusName="billing")
    listed = await events.list_rules(EventBusName="billing")
    assert [(r["Name"], r["State"]) for r in listed["Rules"]] == [("paid", "ENABLED")]
    await events.delete_rule(Name="paid", EventBusName="billing")
    error = await fails_with("ResourceNotFoundException", events.describe_rule(Name="paid", EventBusName="billing"))
    assert error.message == "Rule paid does not exist on EventBus billing."


async def test_rule_needs_a_pattern_or_a_schedule_and_schedules_only_on_default(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    await fails_with("ValidationException", events.put_rule(Name="nothing"))
    await events.create_event_bus(Name="custom")
    error = await fails_with(
        "ValidationException", events.put_rule(Name="tick", EventBusName="custom", ScheduleExpression="rate(5 minutes)")
    )
    assert error.message == "ScheduleExpression is supported only on the default event bus."
    bad = await fails_with("ValidationException", events.put_rule(Name="tick", ScheduleExpression="rate(1 minutes)"))
    assert "Parameter ScheduleExpression is not valid." in bad.message


async def test_invalid_pattern_is_rejected_and_nothing_is_stored(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    error = await fails_with("InvalidEventPatternException", events.put_rule(Name="r", EventPattern='{"source": []}'))
    assert "Empty arrays are not allowed" in error.message
    assert (await events.list_rules())["Rules"] == []


async def test_targets_put_list_remove_and_rule_with_targets_cannot_be_deleted(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    _, arn = await queue(sqs, "audit")
    await events.put_rule(Name="all", EventPattern='{"source": [{"prefix": ""}]}')
    result = await events.put_targets(Rule="all", Targets=[{"Id": "q", "Arn": arn}])
    assert result == {"FailedEntryCount": 0, "FailedEntries": []}
    assert [t["Id"] for t in (await events.list_targets_by_rule(Rule="all"))["Targets"]] == ["q"]
    assert (await events.list_rule_names_by_target(TargetArn=arn))["RuleNames"] == ["all"]
    error = await fails_with("ValidationException", events.delete_rule(Name="all"))
    assert error.message == "Rule can't be deleted since it has targets."
    await events.remove_targets(Rule="all", Ids=["q"])
    await events.delete_rule(Name="all")


async def test_more_than_five_targets_exceed_the_limit(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    await events.put_rule(Name="wide", EventPattern='{"source": ["x"]}')
    targets = [{"Id": f"t{i}", "Arn": f"arn:aws:sqs:us-east-1:000000000000:q{i}"} for i in range(6)]
    await fails_with("LimitExceededException", events.put_targets(Rule="wide", Targets=targets))


async def test_targets_of_a_missing_rule_are_not_found(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    target = {"Id": "t", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}
    await fails_with("ResourceNotFoundException", events.put_targets(Rule="ghost", Targets=[target]))
    await fails_with("ResourceNotFoundException", events.list_targets_by_rule(Rule="ghost"))


async def test_tags_on_buses_and_rules(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    bus_arn = (await events.create_event_bus(Name="tagged", Tags=[{"Key": "team", "Value": "a"}]))["EventBusArn"]
    await events.tag_resource(ResourceARN=bus_arn, Tags=[{"Key": "env", "Value": "test"}])
    tags = (await events.list_tags_for_resource(ResourceARN=bus_arn))["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "test"), ("team", "a")]
    await events.untag_resource(ResourceARN=bus_arn, TagKeys=["team"])
    assert (await events.list_tags_for_resource(ResourceARN=bus_arn))["Tags"] == [{"Key": "env", "Value": "test"}]


async def test_permissions_are_kept_in_the_bus_policy(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    await events.put_permission(Action="events:PutEvents", Principal="111122223333", StatementId="partner")
    policy = json.loads((await events.describe_event_bus())["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["partner"]
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    await events.remove_permission(StatementId="partner")
    assert "Policy" not in await events.describe_event_bus()


async def test_test_event_pattern_uses_the_reference_matcher(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    event = {
        "id": "1", "account": "000000000000", "source": "shop", "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1", "detail-type": "x", "resources": [], "detail": {"total": 120},
    }  # fmt: skip
    pattern = json.dumps({"detail": {"total": [{"numeric": [">", 100]}]}})
    assert (await events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event)))["Result"] is True
    event["detail"] = {"total": 80}
    assert (await events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event)))["Result"] is False
    await fails_with("ValidationException", events.test_event_pattern(EventPattern=pattern, Event='{"source": "x"}'))


async def test_list_rules_pages_with_limit_and_next_token(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    for name in ("a", "b", "c"):
        await events.put_rule(Name=name, EventPattern='{"source": ["x"]}')
    first = await events.list_rules(Limit=2)
    assert [r["Name"] for r in first["Rules"]] == ["a", "b"]
    second = await events.list_rules(Limit=2, NextToken=first["NextToken"])
    assert [r["Name"] for r in second["Rules"]] == ["c"]
    assert "NextToken" not in second
    await fails_with("ValidationException", events.list_rules(NextToken="not-a-token"))
