"""Two nodes on one PostgreSQL: every move task and replay is run by one node at a time, and taken
over by the other when its node dies.

Both yards run in this process on one virtual clock, each with its own database connection and
kernel (its own node id). Every firing of the move-task and replay jobs is recorded with the node
that ran it and when (real time); the tests then check that no two firings of one task overlapped
on two nodes, that a task whose node died was finished by the other, and that every message and
every archived event arrived exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

import eventyard
from eventyard.bus import replays as replay_engine
from eventyard.bus.replays import Replays
from eventyard.clock import VirtualClock
from eventyard.queues.moves import MessageMoves

pytestmark = pytest.mark.parametrize("store", ["postgres"], indirect=True)


class Recorded(list[tuple[str, str, float, float]]):
    """(node, key, started, ended) of every firing, in real time; ``stall`` names a node whose
    firings do their work and then hang before recording their outcome (the node is dying)."""

    stall: str | None = None
    stalled: int = 0


@pytest.fixture
def firings(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    recorded = Recorded()
    for job in (MessageMoves, Replays):
        original = job.fire

        async def fire(self: Any, firing: Any, original: Any = original) -> None:
            started = time.monotonic()
            try:
                await original(self, firing)
                if firing.kernel.node == recorded.stall:
                    recorded.stalled += 1
                    await asyncio.Event().wait()
            finally:
                recorded.append((firing.kernel.node, firing.timer.key, started, time.monotonic()))

        monkeypatch.setattr(job, "fire", fire)
    return recorded


@pytest.fixture
async def nodes(store: str, clock: VirtualClock) -> AsyncIterator[list[eventyard.Yard]]:
    async with eventyard.open(store, clock=clock) as first, eventyard.open(store, clock=clock) as second:
        yield [first, second]


def crash(yard: eventyard.Yard) -> None:
    """The node dies: its loops and firings stop where they are, its claims are left to run out."""
    kernel = yard.kernel
    kernel._running = False
    for task in [*kernel._tasks, *kernel._firings]:
        task.cancel()


def assert_one_node_at_a_time(firings: Recorded) -> None:
    by_key: dict[str, list[tuple[str, float, float]]] = {}
    for node, key, started, ended in firings:
        by_key.setdefault(key, []).append((node, started, ended))
    for key, runs in by_key.items():
        runs.sort(key=lambda run: run[1])
        for (node, _, ended), (other, started, _) in itertools.pairwise(runs):
            assert node == other or started >= ended, f"{key} ran on two nodes at once"


async def test_move_tasks_run_on_one_node_at_a_time_and_the_other_takes_over(
    nodes: list[eventyard.Yard], clock: VirtualClock, firings: Recorded
) -> None:
    first, second = nodes
    sqs = first.client("sqs")
    tasks = []
    for n in range(6):
        dlq = (await sqs.create_queue(QueueName=f"dlq-{n}"))["QueueUrl"]
        dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
        target = (await sqs.create_queue(QueueName=f"back-{n}"))["QueueUrl"]
        target_arn = (await sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["QueueArn"]))["Attributes"][
            "QueueArn"
        ]
        policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
        await sqs.create_queue(QueueName=f"source-{n}", Attributes={"RedrivePolicy": policy})
        await sqs.send_message_batch(
            QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": f"{n}-{i}"} for i in range(10)]
        )
        await sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=target_arn, MaxNumberOfMessagesPerSecond=2)
        tasks.append((n, dlq_arn, target))
    await second.kernel.stop()  # (for a moment: so that the first node surely takes every task)
    await first.run_until_idle()  # the first second's messages, on the first node
    firings.stall = first.kernel.node
    dying = asyncio.create_task(first.advance(1))  # the first node takes the third second's and dies
    busy = min(len(tasks), MessageMoves.concurrency)  # the others wait for a free slot, claimed too
    for _ in range(5000):
        if firings.stalled == busy:
            break
        await asyncio.sleep(0.001)
    assert firings.stalled == busy
    crash(first)
    dying.cancel()
    await second.kernel.start()
    await second.advance(31)  # the dead node's claims run out; the live node carries its tasks on
    for _ in range(10):
        await second.advance(1)
    other = second.client("sqs")
    for n, dlq_arn, target in tasks:
        task = (await other.list_message_move_tasks(SourceArn=dlq_arn))["Results"][0]
        assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 10)
        bodies = []
        while received := (await other.receive_message(QueueUrl=target, MaxNumberOfMessages=10)).get("Messages"):
            bodies += [m["Body"] for m in received]
            for m in received:
                await other.delete_message(QueueUrl=target, ReceiptHandle=m["ReceiptHandle"])
        assert sorted(bodies) == sorted(f"{n}-{i}" for i in range(10)), "each message moved exactly once"
    assert {node for node, *_ in firings} == {first.kernel.node, second.kernel.node}
    assert_one_node_at_a_time(firings)


async def test_a_replay_whose_node_dies_is_finished_by_the_other_without_repeating_a_batch(
    nodes: list[eventyard.Yard], clock: VirtualClock, firings: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay_engine, "BATCH", 10)
    first, second = nodes
    events, sqs = first.client("events"), first.client("sqs")
    url = (await sqs.create_queue(QueueName="replayed"))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    bus_arn = (await events.describe_event_bus())["Arn"]
    archive_arn = (await events.create_archive(ArchiveName="kept", EventSourceArn=bus_arn))["ArchiveArn"]
    for start in range(0, 300, 10):
        entries = [
            {"Source": "shop", "DetailType": "t", "Detail": json.dumps({"n": n})} for n in range(start, start + 10)
        ]
        await events.put_events(Entries=entries)
    rule_arn = (await events.put_rule(Name="r", EventPattern='{"source": ["shop"]}'))["RuleArn"]
    await events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    await events.start_replay(
        ReplayName="again", EventSourceArn=archive_arn, EventStartTime=clock.now() - 60,
        EventEndTime=clock.now() + 60, Destination={"Arn": bus_arn, "FilterArns": [rule_arn]},
    )  # fmt: skip
    holder = None
    for _ in range(2000):  # wait (real time) until a node is part-way through the replay
        described = await events.describe_replay(ReplayName="again")
        if described["State"] == "RUNNING" and described.get("EventLastReplayedTime"):
            claims = await first.db.read(
                lambda c: c.execute("SELECT claim FROM kernel_timers WHERE owner = 'events.replay'").fetchall()
            )
            holder = claims[0][0] if claims else None
            if holder:
                break
        await asyncio.sleep(0.001)
    assert holder is not None, "the replay was never seen running"
    dying, living = (first, second) if holder == first.kernel.node else (second, first)
    crash(dying)
    await living.advance(31)
    await living.run_until_idle()
    assert (await living.client("events").describe_replay(ReplayName="again"))["State"] == "COMPLETED"
    receiver = living.client("sqs")
    seen: list[int] = []
    while received := (await receiver.receive_message(QueueUrl=url, MaxNumberOfMessages=10)).get("Messages"):
        seen += [json.loads(m["Body"])["detail"]["n"] for m in received]
        for m in received:
            await receiver.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(seen) == list(range(300)), "every archived event replayed exactly once"
    assert {node for node, key, *_ in firings if key.endswith("replay/again")} == {
        dying.kernel.node,
        living.kernel.node,
    }
    assert_one_node_at_a_time(firings)
