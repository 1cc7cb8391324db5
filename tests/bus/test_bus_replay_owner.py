"""A replay runs on one node at a time, and a replay whose node stopped goes on where it left off.

The replay's lease and progress live in its stored document (``archives`` module doc); these tests
write that state as a stopped node would have left it and let the sweep find it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import eventyard
from eventyard.bus import store
from eventyard.bus.names import Where
from eventyard.clock import VirtualClock
from tests.bus.bus_helpers import bodies, drain, entry, queue


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


async def _leave_replay(yard: eventyard.Yard, replay: dict[str, Any]) -> None:
    """Store a replay as another node left it."""
    await yard.db.write(lambda c: store.insert(c, "000000000000", "us-east-1", "replay", "", "again", replay))


def _replay(bus_arn: str, archive_arn: str, rule_arn: str, now: float, **state: Any) -> dict[str, Any]:
    return {
        "ReplayName": "again",
        "ReplayArn": "arn:aws:events:us-east-1:000000000000:replay/again",
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
    gone = {"Runner": "a-node-that-stopped", "LeaseUntil": clock.now() - 1, "Position": ids[2]}
    await _leave_replay(yard, _replay(bus_arn, archive_arn, rule_arn, clock.now(), State="RUNNING", **gone))
    await yard.services["events"]._sweep_replays(ignore_leases=False)  # type: ignore[attr-defined]
    replayed = bodies(await drain(yard.client("sqs"), url, expect=2))
    assert sorted(event["detail"]["n"] for event in replayed) == [3, 4]
    for _ in range(50):
        if await _state(yard) == "COMPLETED":
            break
        await asyncio.sleep(0.02)
    assert await _state(yard) == "COMPLETED"


async def test_a_replay_another_live_node_holds_is_left_to_it(yard: eventyard.Yard, clock: VirtualClock) -> None:
    bus_arn, archive_arn, rule_arn, url = await _archive_with_events(yard, 3)
    held = {"Runner": "a-node-still-running", "LeaseUntil": clock.now() + 30}
    await _leave_replay(yard, _replay(bus_arn, archive_arn, rule_arn, clock.now(), State="RUNNING", **held))
    await yard.services["events"]._sweep_replays(ignore_leases=False)  # type: ignore[attr-defined]
    await drain(yard.client("sqs"), url, expect=0, within=0.2)
    assert await _state(yard) == "RUNNING"


async def test_a_replay_cancelled_while_its_node_was_gone_ends_cancelled(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    bus_arn, archive_arn, rule_arn, url = await _archive_with_events(yard, 3)
    gone = {"Runner": "a-node-that-stopped", "LeaseUntil": clock.now() - 1}
    await _leave_replay(yard, _replay(bus_arn, archive_arn, rule_arn, clock.now(), State="CANCELLING", **gone))
    await yard.services["events"]._sweep_replays(ignore_leases=False)  # type: ignore[attr-defined]
    for _ in range(50):
        if await _state(yard) == "CANCELLED":
            break
        await asyncio.sleep(0.02)
    assert await _state(yard) == "CANCELLED"
    await drain(yard.client("sqs"), url, expect=0, within=0.1)


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
    replayed = bodies(await drain(yard.client("sqs"), url, expect=250, within=10))
    assert sorted(event["detail"]["n"] for event in replayed) == list(range(250))
    described = await events.describe_replay(ReplayName="again")
    assert described["State"] in ("RUNNING", "COMPLETED")
    assert not {"Runner", "Position", "LeaseUntil"} & set(described), "the engine's bookkeeping stays inside"


async def test_a_node_that_stops_cleanly_hands_over_and_no_event_is_replayed_twice(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    bus_arn, archive_arn, rule_arn, url = await _archive_with_events(yard, 0)
    events, sqs = yard.client("events"), yard.client("sqs")
    for start in range(0, 600, 10):
        await events.put_events(Entries=[entry(detail={"n": n}) for n in range(start, start + 10)])
    await drain(sqs, url, expect=600, within=10)
    await _leave_replay(yard, _replay(bus_arn, archive_arn, rule_arn, clock.now(), State="STARTING"))
    service = yard.services["events"]
    service._launch(Where("000000000000", "us-east-1"), "again")  # type: ignore[attr-defined]
    stored = None
    for _ in range(500):  # stop this node once the first batches are recorded, before the last one
        stored = await yard.db.read(lambda c: store.get(c, "000000000000", "us-east-1", "replay", "", "again"))
        if stored and stored.get("Position"):
            break
        await asyncio.sleep(0)
    await service._stop_replays()  # type: ignore[attr-defined]
    stored = await yard.db.read(lambda c: store.get(c, "000000000000", "us-east-1", "replay", "", "again"))
    assert stored is not None and stored["State"] == "RUNNING" and stored["LeaseUntil"] == 0.0
    service._replay_node = "the next node"  # type: ignore[attr-defined]
    await service._sweep_replays(ignore_leases=False)  # type: ignore[attr-defined]
    replayed = bodies(await drain(sqs, url, expect=600, within=10))
    assert sorted(event["detail"]["n"] for event in replayed) == list(range(600))
    for _ in range(100):
        if await _state(yard) == "COMPLETED":
            break
        await asyncio.sleep(0.02)
    assert await _state(yard) == "COMPLETED"
