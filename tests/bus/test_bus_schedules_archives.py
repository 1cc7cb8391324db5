"""Scheduled rules on the Clock, archives that keep events, and replays that send them again."""

from __future__ import annotations

import json
from pathlib import Path

import eventyard
from eventyard.clock import VirtualClock
from tests.bus.bus_helpers import bodies, drain, entry, fails_with, queue


async def test_rate_schedule_fires_scheduled_events_as_the_clock_moves(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "ticks")
    rule_arn = (await events.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)"))["RuleArn"]
    await events.put_targets(Rule="every-minute", Targets=[{"Id": "q", "Arn": arn}])
    await yard.run_until_idle()
    await drain(sqs, url, expect=0)
    for _ in range(3):
        await yard.advance(60)
    fired = bodies(await drain(sqs, url, expect=3))
    assert {e["detail-type"] for e in fired} == {"Scheduled Event"}
    assert all(e["source"] == "aws.events" and e["resources"] == [rule_arn] and e["detail"] == {} for e in fired)
    assert len({e["time"] for e in fired}) == 3


async def test_schedule_neither_repeats_nor_skips_across_a_restart(tmp_path: Path) -> None:
    clock = VirtualClock(start=1_800_000_000.0)
    url_path = str(tmp_path / "yard.db")
    async with eventyard.open(url_path, clock=clock) as yard:
        events, sqs = yard.client("events"), yard.client("sqs")
        url, arn = await queue(sqs, "ticks")
        await events.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")
        await events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": arn}])
        await yard.run_until_idle()
        await yard.advance(60)
        assert len(await drain(sqs, url, expect=1)) == 1
    clock.advance(120)  # two firings come due while the server is down
    async with eventyard.open(url_path, clock=clock) as yard:
        await yard.run_until_idle()
        late = bodies(await drain(yard.client("sqs"), url, expect=2))
        assert len({e["time"] for e in late}) == 2


async def test_archive_keeps_matching_events_and_replay_sends_them_again(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "orders")
    bus_arn = (await events.describe_event_bus())["Arn"]
    archive = await events.create_archive(
        ArchiveName="orders", EventSourceArn=bus_arn, EventPattern=json.dumps({"source": ["shop.orders"]})
    )
    await events.put_events(Entries=[entry(detail={"n": 1}), entry(source="other"), entry(detail={"n": 2})])
    described = await events.describe_archive(ArchiveName="orders")
    assert (described["EventCount"], described["State"]) == (2, "ENABLED")

    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    rule_arn = (await events.describe_rule(Name="r"))["Arn"]
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    await events.start_replay(
        ReplayName="again",
        EventSourceArn=archive["ArchiveArn"],
        EventStartTime=clock.now() - 60,
        EventEndTime=clock.now() + 60,
        Destination={"Arn": bus_arn, "FilterArns": [rule_arn]},
    )
    replayed = bodies(await drain(sqs, url, expect=2))
    assert sorted(e["detail"]["n"] for e in replayed) == [1, 2]
    assert {e["replay-name"] for e in replayed} == {"again"}
    assert (await events.describe_replay(ReplayName="again"))["State"] == "COMPLETED"
    assert (await events.describe_archive(ArchiveName="orders"))["EventCount"] == 2, (
        "replayed events are not re-archived"
    )
    await fails_with("IllegalStatusException", events.cancel_replay(ReplayName="again"))


async def test_replay_window_must_be_ordered(yard: eventyard.Yard, clock: VirtualClock) -> None:
    events = yard.client("events")
    bus_arn = (await events.describe_event_bus())["Arn"]
    archive = await events.create_archive(ArchiveName="a", EventSourceArn=bus_arn)
    await fails_with(
        "ValidationException",
        events.start_replay(
            ReplayName="r", EventSourceArn=archive["ArchiveArn"], EventStartTime=clock.now(),
            EventEndTime=clock.now() - 10, Destination={"Arn": bus_arn},
        ),
    )  # fmt: skip


async def test_connections_and_api_destinations_hide_secrets(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    auth = {"BasicAuthParameters": {"Username": "u", "Password": "hunter2"}}
    connection = await events.create_connection(Name="partner", AuthorizationType="BASIC", AuthParameters=auth)
    assert connection["ConnectionState"] == "AUTHORIZED"
    described = await events.describe_connection(Name="partner")
    assert described["AuthParameters"] == {"BasicAuthParameters": {"Username": "u"}}
    destination = await events.create_api_destination(
        Name="hook", ConnectionArn=connection["ConnectionArn"], InvocationEndpoint="http://127.0.0.1:9/hook",
        HttpMethod="POST",
    )  # fmt: skip
    assert destination["ApiDestinationState"] == "ACTIVE"
    assert (await events.describe_api_destination(Name="hook"))["InvocationRateLimitPerSecond"] == 300
    assert [d["Name"] for d in (await events.list_api_destinations())["ApiDestinations"]] == ["hook"]


async def test_connection_and_destination_updates(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    auth = {"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "s3cret"}}
    arn = (await events.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters=auth))["ConnectionArn"]
    await events.update_connection(Name="c", Description="rotated")
    described = await events.describe_connection(Name="c")
    assert described["Description"] == "rotated"
    assert described["AuthParameters"] == {"ApiKeyAuthParameters": {"ApiKeyName": "x-key"}}
    assert (await events.deauthorize_connection(Name="c"))["ConnectionState"] == "DEAUTHORIZING"
    assert (await events.describe_connection(Name="c"))["ConnectionState"] == "DEAUTHORIZED"
    await events.create_api_destination(
        Name="d", ConnectionArn=arn, InvocationEndpoint="http://127.0.0.1:9/x", HttpMethod="POST"
    )
    await events.update_api_destination(Name="d", InvocationRateLimitPerSecond=5)
    assert (await events.describe_api_destination(Name="d"))["InvocationRateLimitPerSecond"] == 5
    await fails_with("ResourceNotFoundException", events.update_api_destination(Name="nope", HttpMethod="GET"))
    await fails_with("ResourceNotFoundException", events.update_connection(Name="nope"))
