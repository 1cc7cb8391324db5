"""What EventBridge's API answers, field by field and error by error, as AWS-recorded runs show it."""

from __future__ import annotations

import json
import re

import eventyard
from eventyard.bus import store
from eventyard.clock import VirtualClock
from tests.bus.bus_helpers import bodies, drain, entry, fails_with, queue

ACCOUNT, REGION = "000000000000", "us-east-1"
OAUTH = {
    "OAuthParameters": {
        "AuthorizationEndpoint": "https://auth.example/token",
        "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"},
        "HttpMethod": "POST",
    }
}
BASIC = {"BasicAuthParameters": {"Username": "u", "Password": "p"}}


async def test_default_bus_has_creation_and_modification_times(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    described = await events.describe_event_bus()
    assert {"CreationTime", "LastModifiedTime"} <= described.keys()
    [listed] = (await events.list_event_buses())["EventBuses"]
    assert (listed["CreationTime"], listed["LastModifiedTime"]) == (
        described["CreationTime"],
        described["LastModifiedTime"],
    )
    await events.put_permission(Action="events:PutEvents", Principal="111122223333", StatementId="partner")
    assert (await events.describe_event_bus())["CreationTime"] == described["CreationTime"]


async def test_create_event_bus_answers_only_the_modelled_members(yard: eventyard.Yard) -> None:
    created = await yard.client("events").create_event_bus(Name="orders", Description="order stream")
    assert created == {
        "EventBusArn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders",
        "Description": "order stream",
    }


async def test_tagging_a_missing_rule_names_the_rule_and_its_bus(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    on_default = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/ghost"
    on_custom = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/ghost"
    for call in (
        events.tag_resource(ResourceARN=on_default, Tags=[{"Key": "team", "Value": "a"}]),
        events.untag_resource(ResourceARN=on_default, TagKeys=["team"]),
        events.list_tags_for_resource(ResourceARN=on_default),
    ):
        error = await fails_with("ResourceNotFoundException", call)
        assert error.message == "Rule ghost does not exist on EventBus default."
    error = await fails_with("ResourceNotFoundException", events.list_tags_for_resource(ResourceARN=on_custom))
    assert error.message == "Rule ghost does not exist on EventBus orders."


async def test_oauth_connection_answers_authorizing_while_others_are_authorized(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    oauth = await events.create_connection(
        Name="idp", AuthorizationType="OAUTH_CLIENT_CREDENTIALS", AuthParameters=OAUTH
    )
    basic = await events.create_connection(Name="plain", AuthorizationType="BASIC", AuthParameters=BASIC)
    assert (oauth["ConnectionState"], basic["ConnectionState"]) == ("AUTHORIZING", "AUTHORIZED")
    described = await events.describe_connection(Name="idp")
    assert re.fullmatch(
        rf"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:events!connection/idp/[0-9a-f-]{{36}}-[A-Za-z0-9]{{6}}",
        described["SecretArn"],
    )


async def test_connection_changes_answer_with_the_last_authorization_time(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    await events.create_connection(Name="partner", AuthorizationType="BASIC", AuthParameters=BASIC)
    authorized = (await events.describe_connection(Name="partner"))["LastAuthorizedTime"]
    updated = await events.update_connection(Name="partner", Description="rotated")
    assert updated["LastAuthorizedTime"] == authorized
    deleted = await events.delete_connection(Name="partner")
    assert deleted["ConnectionState"] == "DELETING"
    assert deleted["LastAuthorizedTime"] == authorized


async def test_describing_missing_connections_and_destinations_says_what_failed(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    error = await fails_with("ResourceNotFoundException", events.describe_connection(Name="gone"))
    assert error.message == "Failed to describe the connection(s). Connection 'gone' does not exist."
    error = await fails_with("ResourceNotFoundException", events.describe_api_destination(Name="gone"))
    assert error.message == "Failed to describe the api-destination(s). An api-destination 'gone' does not exist."


async def test_api_destination_listing_leaves_the_description_out(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    connection = await events.create_connection(Name="c", AuthorizationType="BASIC", AuthParameters=BASIC)
    await events.create_api_destination(
        Name="hook", Description="order webhook", ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint="https://hooks.example/orders", HttpMethod="POST",
    )  # fmt: skip
    assert (await events.describe_api_destination(Name="hook"))["Description"] == "order webhook"
    [listed] = (await events.list_api_destinations())["ApiDestinations"]
    assert "Description" not in listed
    assert (listed["Name"], listed["HttpMethod"], listed["InvocationRateLimitPerSecond"]) == ("hook", "POST", 300)


async def test_archive_listing_counts_the_archived_events(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    bus_arn = (await events.create_event_bus(Name="orders"))["EventBusArn"]
    await events.create_archive(ArchiveName="kept", EventSourceArn=bus_arn)
    await events.put_events(Entries=[entry(EventBusName="orders"), entry(EventBusName="orders")])
    described = await events.describe_archive(ArchiveName="kept")
    [listed] = (await events.list_archives(NamePrefix="kept"))["Archives"]
    assert described["EventCount"] == listed["EventCount"] == 2
    assert described["SizeBytes"] == listed["SizeBytes"] > 0


async def test_archive_listing_by_an_unknown_bus_is_an_error(yard: eventyard.Yard) -> None:
    missing = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/nowhere"
    error = await fails_with("ResourceNotFoundException", yard.client("events").list_archives(EventSourceArn=missing))
    assert error.message == "Event bus nowhere does not exist."


async def test_replay_of_an_unknown_archive_or_to_an_unknown_bus(yard: eventyard.Yard, clock: VirtualClock) -> None:
    events = yard.client("events")
    bus_arn = (await events.create_event_bus(Name="orders"))["EventBusArn"]
    archive_arn = (await events.create_archive(ArchiveName="kept", EventSourceArn=bus_arn))["ArchiveArn"]
    window = {"EventStartTime": clock.now() - 60, "EventEndTime": clock.now()}
    error = await fails_with(
        "ValidationException",
        events.start_replay(
            ReplayName="r", EventSourceArn=f"arn:aws:events:{REGION}:{ACCOUNT}:archive/gone",
            Destination={"Arn": bus_arn}, **window,
        ),
    )  # fmt: skip
    assert error.message == "Parameter EventSourceArn is not valid. Reason: Archive gone does not exist."
    elsewhere = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/elsewhere"
    error = await fails_with(
        "ResourceNotFoundException",
        events.start_replay(ReplayName="r", EventSourceArn=archive_arn, Destination={"Arn": elsewhere}, **window),
    )
    assert error.message == "Event bus elsewhere does not exist."
    await events.create_event_bus(Name="elsewhere")
    error = await fails_with(
        "ValidationException",
        events.start_replay(ReplayName="r", EventSourceArn=archive_arn, Destination={"Arn": elsewhere}, **window),
    )
    assert "Cross event bus replay is not permitted." in error.message


async def test_at_most_ten_replays_run_at_once(yard: eventyard.Yard, clock: VirtualClock) -> None:
    events = yard.client("events")
    bus_arn = (await events.describe_event_bus())["Arn"]
    archive_arn = (await events.create_archive(ArchiveName="kept", EventSourceArn=bus_arn))["ArchiveArn"]

    def running(name: str, state: str = "RUNNING") -> dict[str, object]:
        return {"ReplayName": name, "State": state, "EventSourceArn": archive_arn, "Destination": {"Arn": bus_arn}}

    # Given ten replays still running (AWS replays take minutes; ours would finish before the next call)
    await yard.db.write(
        lambda c: [store.put(c, ACCOUNT, REGION, "replay", "", f"busy-{n}", running(f"busy-{n}")) for n in range(10)]
    )
    request = {
        "ReplayName": "one-more", "EventSourceArn": archive_arn, "Destination": {"Arn": bus_arn},
        "EventStartTime": clock.now() - 60, "EventEndTime": clock.now(),
    }  # fmt: skip
    error = await fails_with("LimitExceededException", events.start_replay(**request))
    assert error.message == "The requested resource exceeds the maximum number allowed."
    # When one of them completes, there is room again
    await yard.db.write(lambda c: store.put(c, ACCOUNT, REGION, "replay", "", "busy-0", running("busy-0", "COMPLETED")))
    assert (await events.start_replay(**request))["State"] == "STARTING"


async def test_missing_bus_entries_do_not_disturb_the_archive_of_the_default_bus(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    bus_arn = (await events.describe_event_bus())["Arn"]
    await events.create_archive(ArchiveName="all", EventSourceArn=bus_arn, EventPattern=json.dumps({"source": ["x"]}))
    result = await events.put_events(Entries=[entry(source="x"), entry(source="x", EventBusName="nowhere")])
    assert result["FailedEntryCount"] == 0
    assert (await events.describe_archive(ArchiveName="all"))["EventCount"] == 1


async def test_bus_target_in_another_region_receives_the_event_under_a_new_id(yard: eventyard.Yard) -> None:
    home, away = yard.client("events"), yard.client("events", region="eu-west-1")
    sqs_away = yard.client("sqs", region="eu-west-1")
    url, queue_arn = await queue(sqs_away, "landing")
    away_bus = (await away.create_event_bus(Name="partner"))["EventBusArn"]
    await away.put_rule(Name="land", EventBusName="partner", EventPattern='{"source": ["shop.orders"]}')
    await away.put_targets(Rule="land", EventBusName="partner", Targets=[{"Id": "q", "Arn": queue_arn}])
    await home.put_rule(Name="fwd", EventPattern='{"source": ["shop.orders"]}')
    await home.put_targets(Rule="fwd", Targets=[{"Id": "away", "Arn": away_bus}])
    sent = await home.put_events(Entries=[entry(detail={"n": 7})])
    [event] = bodies(await drain(sqs_away, url, expect=1))
    assert event["id"] != sent["Entries"][0]["EventId"]
    assert (event["region"], event["detail"]) == (REGION, {"n": 7})


async def test_deleting_a_rule_of_a_bus_that_does_not_exist_is_an_error(yard: eventyard.Yard) -> None:
    """Given no custom bus "nowhere", when DeleteRule names a rule on it, then ResourceNotFoundException
    (a missing rule on an existing bus still deletes fine).

    Evidence: EventBridge API reference, DeleteRule: "When you call delete rule for a non-existent
    custom eventbus, ResourceNotFoundException is returned"; the message is the one AWS-recorded runs
    show for a missing bus (localstack test_events.snapshot.json, test_describe_delete_not_existing_event_bus).
    """
    events = yard.client("events")
    error = await fails_with("ResourceNotFoundException", events.delete_rule(Name="ghost", EventBusName="nowhere"))
    assert error.message == "Event bus nowhere does not exist."
    assert await events.delete_rule(Name="ghost") == {}
    await events.create_event_bus(Name="orders")
    assert await events.delete_rule(Name="ghost", EventBusName="orders") == {}
