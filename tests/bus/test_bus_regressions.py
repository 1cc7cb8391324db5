"""Regressions found by review: each test failed before its fix."""

from __future__ import annotations

import json

import eventyard
from eventyard.clock import VirtualClock
from eventyard.kernel import store as kernel_store
from tests.bus.bus_helpers import bodies, drain, entry, fails_with, queue


async def test_deliveries_are_written_claimed_so_no_node_claims_them_twice(yard: eventyard.Yard) -> None:
    now = yard.clock.now()
    kernel = yard.kernel
    await yard.db.write(lambda c: kernel.add_claimed(c, "events.delivery", [("arn:rule t 1", "{}")], now))
    claimed = await yard.db.write(
        lambda c: kernel_store.claim_ready(c, ["events.delivery"], now, "another-node", now + 30, 10)
    )
    assert claimed == [], "a delivery this node is making must not be claimed by another"


async def test_many_events_are_each_delivered_once(yard: eventyard.Yard) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "once")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    sent = []
    for n in range(20):
        result = await events.put_events(Entries=[entry(detail={"n": n * 10 + i}) for i in range(10)])
        sent += [e["EventId"] for e in result["Entries"]]
    received = [e["id"] for e in bodies(await drain(sqs, url, expect=200))]
    assert sorted(received) == sorted(sent)
    await drain(sqs, url, expect=0)


async def test_updating_a_scheduled_rule_does_not_fire_past_times_again(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "ticks")
    await events.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")
    await events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": arn}])
    for _ in range(3):
        await yard.advance(60)
    assert len(await drain(sqs, url, expect=3)) == 3
    await events.put_rule(Name="tick", ScheduleExpression="rate(1 minute)", Description="renamed")
    await yard.run_until_idle()
    await drain(sqs, url, expect=0)
    await yard.advance(60)
    assert len(await drain(sqs, url, expect=1)) == 1


async def test_disabled_schedule_does_not_fire_missed_times_when_enabled(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "paused")
    await events.put_rule(Name="tick", ScheduleExpression="cron(* * * * ? *)")
    await events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": arn}])
    await events.disable_rule(Name="tick")
    await yard.advance(600)
    await events.enable_rule(Name="tick")
    await yard.run_until_idle()
    await drain(sqs, url, expect=0)


async def test_out_of_range_event_time_fails_its_entry_not_the_request(yard: eventyard.Yard) -> None:
    result = await yard.client("events").put_events(
        Entries=[entry(Time=1e20), entry(Time=-1e12), entry(detail={"ok": True})]
    )
    assert result["FailedEntryCount"] == 2
    assert [e.get("ErrorCode") for e in result["Entries"]] == ["InvalidArgument", "InvalidArgument", None]
    assert json.dumps(result)


async def test_strings_a_c_library_cannot_read_as_addresses_are_just_not_addresses(yard: eventyard.Yard) -> None:
    # "cafe\u0000" starts like an address; reading it with inet_pton raised ValueError, which failed
    # the whole PutEvents (and TestEventPattern) instead of simply not matching an address rule.
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "addresses")
    await events.put_rule(Name="ip", EventPattern='{"detail": {"ip": ["10.0.0.1"]}}')
    await events.put_targets(Rule="ip", Targets=[{"Id": "q", "Arn": arn}])
    odd = [entry(detail={"ip": text}) for text in ("cafe\u0000", "10.0.0.1\u0000")]
    result = await events.put_events(Entries=[*odd, entry(detail={"ip": "10.0.0.1"})])
    assert result["FailedEntryCount"] == 0
    assert [event["detail"]["ip"] for event in bodies(await drain(sqs, url, expect=1))] == ["10.0.0.1"]
    answer = await events.test_event_pattern(
        EventPattern='{"detail": {"ip": ["10.0.0.1"]}}',
        Event=json.dumps({"id": "1", "account": "1", "source": "s", "time": "t", "region": "r",
                          "detail-type": "d", "detail": {"ip": "cafe\u0000"}}),
    )  # fmt: skip
    assert answer["Result"] is False


async def test_a_fifo_queue_target_needs_its_message_group(yard: eventyard.Yard) -> None:
    events = yard.client("events")
    await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}')
    fifo = "arn:aws:sqs:us-east-1:000000000000:orders.fifo"
    error = await fails_with("ValidationException", events.put_targets(Rule="r", Targets=[{"Id": "T0", "Arn": fifo}]))
    assert error.message == "Parameter(s) SqsParameters must be specified for target: T0."
    assert (await events.list_targets_by_rule(Rule="r"))["Targets"] == []
    target = {"Id": "T0", "Arn": fifo, "SqsParameters": {"MessageGroupId": "g"}}
    assert (await events.put_targets(Rule="r", Targets=[target]))["FailedEntryCount"] == 0
