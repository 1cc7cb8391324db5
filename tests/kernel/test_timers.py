"""The kernel's timers: armed in a service's transaction, claimed by one node, fired on the Clock.

Given a yard on a virtual clock over each store and a job that records its firings, these tests
tell the stories the services rely on: a timer fires when time reaches it and not before, in order;
a timer re-armed while it fires is not lost; a failing handler is tried again after a back-off; a
claim another node took over ends this node's firing without its writes; a node that stops hands
its claims over; a restart of an embedded database releases the previous run's claims.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock
from eventyard.kernel import ClaimLost, Firing, Job
from eventyard.kernel import store as kernel_store

MINE = "WHERE owner = 'test.recorder'"


class Recorder(Job):
    """Records (key, clock time) of each firing; ``plan`` says what a firing of a key does."""

    owner = "test.recorder"
    batch = 10

    def __init__(self) -> None:
        self.fired: list[tuple[str, float]] = []
        self.plan: dict[str, Any] = {}

    async def fire(self, firing: Firing) -> None:
        for timer in firing.timers:
            self.fired.append((timer.key, firing.now))
            action = self.plan.get(timer.key)
            if action is not None:
                await action(firing, timer)


@pytest.fixture
async def recorder(store: str, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> Any:
    job = Recorder()
    original = eventyard.Yard.__init__

    def with_job(self: eventyard.Yard, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.kernel.register(job)

    monkeypatch.setattr(eventyard.Yard, "__init__", with_job)
    async with eventyard.open(store, clock=clock) as yard:
        yield yard, job


async def arm(yard: eventyard.Yard, key: str, due: float, payload: str = "") -> None:
    await yard.db.write(lambda c: yard.kernel.set(c, Recorder.owner, key, due, payload))


async def timers(yard: eventyard.Yard) -> int:
    return await yard.db.read(lambda c: kernel_store.count_timers(c, Recorder.owner))


async def test_a_timer_fires_when_the_clock_reaches_it_and_not_before(recorder: Any, clock: VirtualClock) -> None:
    yard, job = recorder
    start = clock.now()
    await arm(yard, "wake", start + 3600)
    await yard.advance(3599)
    assert job.fired == []
    await yard.advance(1)
    assert job.fired == [("wake", start + 3600)]
    assert await timers(yard) == 0, "a fired timer that is not re-armed is gone"


async def test_advance_fires_timers_in_due_order_each_at_its_own_time(recorder: Any, clock: VirtualClock) -> None:
    yard, job = recorder
    start = clock.now()
    for key, offset in (("c", 30), ("a", 10), ("b", 20)):
        await arm(yard, key, start + offset)
    await yard.advance(86_400)
    assert job.fired == [("a", start + 10), ("b", start + 20), ("c", start + 30)]
    assert clock.now() == start + 86_400


async def test_a_rearmed_timer_fires_again_and_hours_of_minutes_take_no_real_time(
    recorder: Any, clock: VirtualClock
) -> None:
    yard, job = recorder

    async def every_minute(firing: Firing, timer: Any) -> None:
        firing.rearm(timer, timer.due + 60)

    job.plan["tick"] = every_minute
    await arm(yard, "tick", clock.now() + 60)
    started = asyncio.get_running_loop().time()
    await yard.advance(6 * 3600)
    assert len(job.fired) == 360
    assert asyncio.get_running_loop().time() - started < 60


async def test_a_timer_set_again_while_it_fires_is_not_lost(recorder: Any, clock: VirtualClock) -> None:
    yard, job = recorder
    start = clock.now()

    async def set_again_meanwhile(firing: Firing, timer: Any) -> None:
        if len(job.fired) == 1:  # a callback arrives while the first firing runs
            await arm(yard, "execution", start + 5, payload="after the callback")

    job.plan["execution"] = set_again_meanwhile
    await arm(yard, "execution", start)
    await yard.run_until_idle()
    assert await timers(yard) == 1, "the firing ended without deleting the timer set meanwhile"
    await yard.advance(5)
    assert [key for key, _ in job.fired] == ["execution", "execution"]


async def test_writes_that_go_with_a_firing_commit_with_its_outcome(recorder: Any, clock: VirtualClock) -> None:
    yard, job = recorder

    async def record(firing: Firing, timer: Any) -> None:
        firing.also(lambda c: yard.kernel.set(c, Recorder.owner, "follow-up", firing.now + 1))

    job.plan["first"] = record
    await arm(yard, "first", clock.now())
    await yard.advance(1)
    assert [key for key, _ in job.fired] == ["first", "follow-up"]


async def test_a_failing_firing_is_tried_again_after_a_back_off(recorder: Any, clock: VirtualClock) -> None:
    yard, job = recorder
    failures = {"left": 2}

    async def flaky(firing: Firing, timer: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("the target is down")

    job.plan["flaky"] = flaky
    start = clock.now()
    await arm(yard, "flaky", start)
    await yard.run_until_idle()
    assert len(job.fired) == 1
    await yard.advance(60)
    assert [t - start for _, t in job.fired] == [0, 1, 3]  # backed off 1 s, then 2 s
    assert yard.kernel.metrics.get(Recorder.owner, "failed") == 2
    assert await timers(yard) == 0


async def test_a_claim_another_node_took_over_ends_the_firing_and_drops_its_writes(
    recorder: Any, clock: VirtualClock
) -> None:
    yard, job = recorder

    async def lose_the_claim(firing: Firing, timer: Any) -> None:
        # this node stalled past its claim; another node claimed the timer meanwhile
        await yard.db.write(
            lambda c: c.execute("UPDATE kernel_timers SET claim = 'another-node' WHERE key = ?", (timer.key,))
        )
        firing.also(lambda c: yard.kernel.set(c, Recorder.owner, "must-not-exist", firing.now))
        with pytest.raises(ClaimLost):
            await firing.checkpoint(lambda c: None)

    job.plan["slow"] = lose_the_claim
    await arm(yard, "slow", clock.now())
    await yard.run_until_idle()
    keys = await yard.db.read(
        lambda c: [r[0] for r in c.execute("SELECT key FROM kernel_timers WHERE owner = ?", (Recorder.owner,))]
    )
    assert keys == ["slow"], "the other node's timer stays; this node's writes were rolled back"
    assert yard.kernel.metrics.get(Recorder.owner, "claims_lost") == 1


async def test_timers_claimed_at_once_fire_without_a_claim_round_trip(recorder: Any, clock: VirtualClock) -> None:
    yard, job = recorder
    kernel = yard.kernel
    claimed = await yard.db.write(lambda c: kernel.add_claimed(c, Recorder.owner, [("now-1", ""), ("now-2", "")], 0))
    rows = await yard.db.read(lambda c: c.execute(f"SELECT claim FROM kernel_timers {MINE}").fetchall())
    assert {r[0] for r in rows} == {kernel.node}, "written claimed by this node: no other may take them"
    kernel.fire_now(claimed)
    await yard.run_until_idle()
    assert sorted(key for key, _ in job.fired) == ["now-1", "now-2"]


async def test_a_database_error_backs_the_loop_off_and_it_goes_on(
    recorder: Any, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    yard, job = recorder
    claim = kernel_store.claim_ready
    broken = {"times": 3}

    def sometimes_broken(*args: Any, **kwargs: Any) -> Any:
        if broken["times"]:
            broken["times"] -= 1
            raise RuntimeError("database is locked")
        return claim(*args, **kwargs)

    monkeypatch.setattr(kernel_store, "claim_ready", sometimes_broken)
    await arm(yard, "later", clock.now())
    for _ in range(200):  # the loop's back-off runs in real time (it is about the database, not the clock)
        if job.fired:
            break
        await asyncio.sleep(0.02)
    assert [key for key, _ in job.fired] == ["later"]
    assert yard.kernel.metrics.loop_errors == 3


async def test_a_clean_stop_hands_claims_over_and_a_restart_releases_a_crashed_runs(tmp_path: Path) -> None:
    clock = VirtualClock(start=1_800_000_000.0)
    path = str(tmp_path / "yard.db")
    async with eventyard.open(path, clock=clock) as yard:
        kernel = yard.kernel
        await yard.db.write(lambda c: kernel.add_claimed(c, Recorder.owner, [("held", "")], clock.now()))
    # (no job for the owner on that node: the timer stayed claimed until the stop handed it over)
    async with eventyard.open(path, clock=clock) as yard:
        rows = await yard.db.read(
            lambda c: c.execute(f"SELECT claim, ready_at, due_at FROM kernel_timers {MINE}").fetchall()
        )
        assert [tuple(r) for r in rows] == [(None, clock.now(), clock.now())]
        # a crash leaves a claim behind; the next start of an embedded database releases it at once
        await yard.db.write(
            lambda c: c.execute(f"UPDATE kernel_timers SET claim = 'crashed', ready_at = ? {MINE}", (1e12,))
        )
    async with eventyard.open(path, clock=clock) as yard:
        rows = await yard.db.read(lambda c: c.execute(f"SELECT claim, ready_at FROM kernel_timers {MINE}").fetchall())
        assert [tuple(r) for r in rows] == [(None, clock.now())]


async def test_advance_needs_a_virtual_clock() -> None:
    async with eventyard.open("memory://") as yard:
        with pytest.raises(RuntimeError, match="wall time"):
            await yard.advance(1)
