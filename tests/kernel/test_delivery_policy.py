"""The delivery policy: retried with back-off within the limits, then dead-lettered or dropped, and counted."""

from __future__ import annotations

from typing import Any

import pytest

import eventyard
from eventyard.clock import VirtualClock
from eventyard.errors import ClientError
from eventyard.kernel import Firing, Job
from eventyard.kernel.delivery import Deliveries, GaveUp, RetryPolicy


class Flaky(Job):
    """Delivers by raising ``errors`` in turn; a dead letter is recorded in ``dead``."""

    owner = "test.deliveries"

    def __init__(self, kernel: Any) -> None:
        self.errors: list[Exception | None] = []
        self.attempts: list[float] = []
        self.dead: list[GaveUp] = []
        self.policy = RetryPolicy(max_retries=3, max_age=3600)
        self.with_dead_letter = True
        self.deliveries = Deliveries(self.owner, kernel.metrics)

    async def fire(self, firing: Firing) -> None:
        self.attempts.append(firing.now)
        error = self.errors.pop(0) if self.errors else None

        async def dead_letter(gave_up: GaveUp) -> None:
            self.dead.append(gave_up)

        await self.deliveries.settle(
            firing, firing.timer, error, self.policy, dead_letter if self.with_dead_letter else None
        )


@pytest.fixture
async def flaky(store: str, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> Any:
    original = eventyard.Yard.__init__
    jobs: list[Flaky] = []

    def with_job(self: eventyard.Yard, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        jobs.append(Flaky(self.kernel))
        self.kernel.register(jobs[-1])

    monkeypatch.setattr(eventyard.Yard, "__init__", with_job)
    async with eventyard.open(store, clock=clock) as yard:
        yield yard, jobs[0]


async def deliver_one(yard: eventyard.Yard) -> None:
    await yard.db.write(lambda c: yard.kernel.add(c, Flaky.owner, [("event-1", "{}")], yard.clock.now()))


async def test_a_delivery_that_fails_for_a_while_is_retried_until_it_gets_through(flaky: Any) -> None:
    yard, job = flaky
    job.errors = [RuntimeError("503"), RuntimeError("503")]
    await deliver_one(yard)
    await yard.advance(600)
    assert len(job.attempts) == 3 and job.dead == []
    assert all(later >= earlier for earlier, later in zip(job.attempts, job.attempts[1:], strict=False))
    metrics = yard.kernel.metrics
    assert (metrics.get(Flaky.owner, "retried"), metrics.get(Flaky.owner, "delivered")) == (2, 1)


async def test_retries_run_out_into_the_dead_letter_target_with_the_reason(flaky: Any) -> None:
    yard, job = flaky
    job.errors = [RuntimeError("503")] * 10
    await deliver_one(yard)
    await yard.advance(3600)
    assert len(job.attempts) == 4, "the first attempt and three retries"
    [gave_up] = job.dead
    assert (gave_up.retries, gave_up.exhausted, str(gave_up.error)) == (3, "MaximumRetryAttempts", "503")
    assert yard.kernel.metrics.get(Flaky.owner, "dead_lettered") == 1


async def test_a_refusal_for_good_is_not_retried(flaky: Any) -> None:
    yard, job = flaky
    job.errors = [ClientError("no such queue", code="AWS.SimpleQueueService.NonExistentQueue")]
    await deliver_one(yard)
    await yard.advance(3600)
    assert len(job.attempts) == 1
    assert job.dead[0].exhausted is None and job.dead[0].retries == 0


async def test_an_event_too_old_to_retry_ends_on_its_age(flaky: Any) -> None:
    yard, job = flaky
    job.policy = RetryPolicy(max_retries=100, max_age=60)
    job.errors = [RuntimeError("503")] * 100
    await deliver_one(yard)
    await yard.advance(3600)
    assert job.dead[-1].exhausted == "MaximumEventAgeInSeconds"
    assert job.attempts[-1] - job.attempts[0] >= 60 > job.attempts[-2] - job.attempts[0]


async def test_without_a_dead_letter_target_the_event_is_dropped_and_counted(flaky: Any) -> None:
    yard, job = flaky
    job.with_dead_letter = False
    job.errors = [ClientError("gone")]
    await deliver_one(yard)
    await yard.run_until_idle()
    assert yard.kernel.metrics.get(Flaky.owner, "dropped") == 1


def test_back_off_is_full_jitter_doubling_and_capped() -> None:
    policy = RetryPolicy(max_retries=10, max_age=60)
    for retry in range(1, 20):
        delays = [policy.delay(retry) for _ in range(50)]
        assert all(0 <= d <= min(300.0, 2.0**retry) for d in delays)
