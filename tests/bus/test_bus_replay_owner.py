"""A replay runs on one node at a time, and a replay whose node stopped goes on where it left off.

A replay is a kernel timer (``replays`` module doc): whoever holds its claim runs it, and its
progress lives in the replay's document. These tests leave the timer as another node would have
left it (claimed, with its claim run out or not) and let this node's kernel find it.
"""

from __future__ import annotations

from typing import Any

import pytest

import eventyard
from eventyard.bus import store
from eventyard.clock import VirtualClock
from eventyard.kernel import store as kernel_store
from tests.bus.bus_helpers import bodies, drain, entry, queue

REPLAY_ARN = "arn:aws:events:us-east-1:000000000000:replay/again"


async def _archive_with_events(yard: eventyard.Yard, count: int) -> tuple[str, str, str, str]:
    """An archive of ``count`` events and a rule sending them to a queue; returns (bus, archive, rule ARNs, url)."""
    events, sqs = yard.client("events"), yard.client("sqs")
    url, arn = await queue(sqs, "replayed")
    bus_arn = (await events.describe_event_bus())["Arn"]
    archive_arn = (await events.create_archive(ArchiveName="kept", EventSourceArn=bus_arn))["ArchiveArn"]
    if count:
        await events.put_events(Entries=[entry(detail={"n": n}) for n in range(count)])
    rule_arn = (await events.put_rule(Name="r", EventPattern='{"source": ["shop.orders"]}'))["RuleArn"]
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    return bus_arn, archive_arn, rule_arn, url


async def _leave_replay(yard: eventyard.Yard, replay: dict[str, Any], node: str, claimed_until: float) -> None:
    """Store a replay, and its timer claimed by ``node`` until ``claimed_until``, as that node left them."""
    now = yard.clock.now()

    def job(c: Any) -> None:
        store.insert(c, "000000000000", "us-east-1", "replay", "", "again", replay)
        kernel_store.add_claimed(c, "events.replay", [(REPLAY_ARN, "")], now - 60, node, claimed_until)

    await yard.db.write(job)


def _replay(bus_arn: str, archive_arn: str, rule_arn: str, now: float, **state: Any) -> dict[str, Any]:
    return {
        "ReplayName": "again",
        "ReplayArn": REPLAY_ARN,
        "EventSourceArn": archive_arn,
        "Destination": {"Arn": bus_arn, "FilterArns": [rule_arn]},
        "EventStartTime": now - 60,
        "EventEndTime": now + 60,
        "ReplayStartTime": now,
        **state,
    }


async def _state(yard: eventyard.Yard) -> str:
    return str((await yard.client("events").describe_replay(ReplayName="again"))["State"])


async def test_a_replay_whose_node_stopped_goes_on_after_its_last_recorded_batch(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    bus_arn, archive_arn, rule_arn, url = await _archive_with_events(yard, 5)
    ids = await yard.db.read(lambda c: [row[0] for row in c.execute("SELECT id FROM bus_archive_events ORDER BY id")])
    replay = _replay(bus_arn, archive_arn, rule_arn, clock.now(), State="RUNNING", Position=ids[2])
    await _leave_replay(yard, replay, "a-node-that-stopped", claimed_until=clock.now() - 1)
    replayed = bodies(await drain(yard.client("sqs"), url, expect=2))
    assert sorted(event["detail"]["n"] for event in replayed) == [3, 4]
    assert await _state(yard) == "COMPLETED"


async def test_a_replay_another_live_node_holds_is_left_to_it_until_its_claim_runs_out(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    bus_arn, archive_arn, rule_arn, url = await _archive_with_events(yard, 3)
    replay = _replay(bus_arn, archive_arn, rule_arn, clock.now(), State="RUNNING")
    await _leave_replay(yard, replay, "a-node-still-running", claimed_until=clock.now() + 30)
    await drain(yard.client("sqs"), url, expect=0)
    assert await _state(yard) == "RUNNING"
    await yard.advance(31)  # that node stopped renewing: its claim runs out and this node takes over
    assert len(await drain(yard.client("sqs"), url, expect=3)) == 3
    assert await _state(yard) == "COMPLETED"


async def test_a_replay_cancelled_while_its_node_was_gone_ends_cancelled(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    bus_arn, archive_arn, rule_arn, url = await _archive_with_events(yard, 3)
    replay = _replay(bus_arn, archive_arn, rule_arn, clock.now(), State="CANCELLING")
    await _leave_replay(yard, replay, "a-node-that-stopped", claimed_until=clock.now() - 1)
    await yard.run_until_idle()
    assert await _state(yard) == "CANCELLED"
    await drain(yard.client("sqs"), url, expect=0)


async def test_a_replay_routes_archives_larger_than_one_batch_completely(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    bus_arn, archive_arn, rule_arn, url = await _archive_with_events(yard, 0)
    events = yard.client("events")
    for start in range(0, 250, 10):
        await events.put_events(Entries=[entry(detail={"n": n}) for n in range(start, start + 10)])
    await drain(yard.client("sqs"), url, expect=250)  # delivered once as they were put
    await events.start_replay(
        ReplayName="again", EventSourceArn=archive_arn, EventStartTime=clock.now() - 60,
        EventEndTime=clock.now() + 60, Destination={"Arn": bus_arn, "FilterArns": [rule_arn]},
    )  # fmt: skip
    replayed = bodies(await drain(yard.client("sqs"), url, expect=250))
    assert sorted(event["detail"]["n"] for event in replayed) == list(range(250))
    described = await events.describe_replay(ReplayName="again")
    assert described["State"] == "COMPLETED"
    assert not {"Position"} & set(described), "the engine's bookkeeping stays inside"


async def test_a_replay_interrupted_mid_way_goes_on_and_replays_no_event_twice(
    yard: eventyard.Yard, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus_arn, archive_arn, rule_arn, url = await _archive_with_events(yard, 0)
    events, sqs = yard.client("events"), yard.client("sqs")
    for start in range(0, 600, 10):
        await events.put_events(Entries=[entry(detail={"n": n}) for n in range(start, start + 10)])
    await drain(sqs, url, expect=600)
    reads = {"count": 0}
    read_window = store.archived_after

    def failing_on_the_fourth_read(*args: Any, **kwargs: Any) -> Any:
        reads["count"] += 1
        if reads["count"] == 4:
            raise RuntimeError("the node goes away in the middle of the replay")
        return read_window(*args, **kwargs)

    monkeypatch.setattr(store, "archived_after", failing_on_the_fourth_read)
    await events.start_replay(
        ReplayName="again", EventSourceArn=archive_arn, EventStartTime=clock.now() - 60,
        EventEndTime=clock.now() + 60, Destination={"Arn": bus_arn, "FilterArns": [rule_arn]},
    )  # fmt: skip
    first = bodies(await drain(sqs, url, expect=300))  # three batches were routed and recorded
    assert await _state(yard) == "RUNNING"
    await yard.advance(5)  # the failed firing is tried again after its back-off
    rest = bodies(await drain(sqs, url, expect=300))
    assert sorted(event["detail"]["n"] for event in first + rest) == list(range(600))
    assert await _state(yard) == "COMPLETED"
