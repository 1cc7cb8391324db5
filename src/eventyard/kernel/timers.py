"""Timers as handlers see them: a :class:`Timer`, a :class:`Job` that fires it, and the :class:`Firing`.

A job's ``fire(firing)`` gets the claimed timers of one firing. It does its work (deliver, step a
workflow, move a batch of messages) and says what becomes of each timer: by default it is done and
deleted; ``firing.rearm(timer, due)`` arms it again. Writes that must commit with that outcome go in
``firing.also(job)``: the kernel runs them and deletes or re-arms the timers in ONE transaction,
so a crash between the work and its record re-runs the firing (handlers are idempotent) and never
records half of it. A handler that commits along the way (a replay routing batch after batch)
calls ``firing.verify(connection)`` inside each of its own transactions: that renews the claim, and
raises :class:`ClaimLost` (rolling the transaction back) if another node took the timer over.

Handlers never sleep: to wait, they re-arm. That is what lets ``yard.advance`` jump over time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from eventyard.kernel import store

if TYPE_CHECKING:
    from eventyard.kernel.engine import Kernel


@dataclass(slots=True)
class Timer:
    owner: str
    key: str
    due: float  # when it was set to fire
    created: float  # when it was first set: a delivery's age
    attempts: int  # firings that failed so far: a delivery's retries
    payload: str

    @classmethod
    def from_row(cls, row: Any) -> Timer:
        return cls(str(row[0]), str(row[1]), float(row[2]), float(row[3]), int(row[4]), str(row[5]))


class ClaimLost(Exception):
    """Another node holds the timer now (its claim ran out while this node was slow, or it was cancelled)."""


class Job:
    """Base of the kernel's jobs: one per kind of timer, named by ``owner``.

    ``batch`` is how many timers one firing may take (deliveries go out a hundred at a time);
    ``concurrency`` how many firings of this job run at once on a node.
    """

    owner: ClassVar[str] = ""
    batch: ClassVar[int] = 1
    concurrency: ClassVar[int] = 8

    async def fire(self, firing: Firing) -> None:
        raise NotImplementedError


@dataclass(eq=False)
class Firing:
    """One firing of a job: its timers, the outcome of each, and the writes that go with them."""

    kernel: Kernel
    job: Job
    claim: str
    timers: list[Timer]
    _rearmed: dict[str, tuple[float, str | None, int]] = field(default_factory=dict)
    _also: list[Callable[[Any], None]] = field(default_factory=list)
    _after: list[Callable[[], None]] = field(default_factory=list)

    @property
    def timer(self) -> Timer:
        """The one timer of a job whose ``batch`` is 1."""
        return self.timers[0]

    @property
    def now(self) -> float:
        return self.kernel.clock.now()

    def rearm(self, timer: Timer, due: float, *, payload: str | None = None, attempts: int | None = None) -> None:
        """Fire ``timer`` again at ``due`` (with a new payload, and a new attempt count, if given)."""
        self._rearmed[timer.key] = (due, payload, timer.attempts if attempts is None else attempts)

    def retry(self, timer: Timer, delay: float) -> None:
        """A failed attempt: fire again after ``delay`` seconds, one attempt more."""
        self.rearm(timer, self.now + delay, attempts=timer.attempts + 1)

    def rearmed_keys(self) -> list[str]:
        """The keys of the timers this firing arms again (a delivery that will be retried)."""
        return list(self._rearmed)

    def also(self, job: Callable[[Any], None]) -> None:
        """Run ``job(connection)`` in the transaction that records this firing's outcome."""
        self._also.append(job)

    def after(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once that transaction committed (wake-ups, deliveries to start)."""
        self._after.append(callback)

    def committed(self) -> None:
        for callback in self._after:
            callback()

    def verify(self, connection: Any) -> None:
        """Inside a handler's own transaction: renew the claim, or raise :class:`ClaimLost`."""
        until = self.now + self.kernel.claim_seconds
        for timer in self.timers:
            if not store.holds(connection, timer.owner, timer.key, self.claim, until):
                raise ClaimLost(f"{timer.owner} {timer.key}")

    async def checkpoint(self, job: Callable[[Any], Any]) -> Any:
        """Commit ``job`` now, with the claim verified in the same transaction; returns its result."""

        def checked(connection: Any) -> Any:
            self.verify(connection)
            return job(connection)

        return await self.kernel.db.write(checked)

    def failed(self, now: float, backoff: Callable[[int], float]) -> Firing:
        """The handler raised: a firing that drops its writes and tries each timer again after ``backoff``."""
        again = Firing(self.kernel, self.job, self.claim, self.timers)
        for timer in self.timers:
            again.rearm(timer, now + backoff(timer.attempts), attempts=timer.attempts + 1)
        return again

    def earliest_rearm(self) -> float | None:
        return min((due for due, _, _ in self._rearmed.values()), default=None)

    def close(self, connection: Any) -> None:
        """The closing transaction: the handler's writes, then each timer deleted or re-armed."""
        if self._also:
            self.verify(connection)  # writes that go with the outcome must not land on a lost claim
            for job in self._also:
                job(connection)
        done = [t.key for t in self.timers if t.key not in self._rearmed]
        if done:
            store.finish_many(connection, self.job.owner, done, self.claim)
        for key, (due, payload, attempts) in self._rearmed.items():
            store.rearm(connection, self.job.owner, key, self.claim, due, payload, attempts)
