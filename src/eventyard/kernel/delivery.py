"""Delivery policy: retry with back-off, a maximum age and number of attempts, then a dead-letter target.

One layer for every at-least-once delivery Eventyard makes: rule targets now, topic subscriptions,
event source mappings and asynchronous invokes as they come. A delivery is a kernel timer (its
``created`` time is the event's age, its ``attempts`` the retries so far). The deliverer makes one
attempt and hands the outcome to :meth:`Deliveries.settle`, which decides in one place:

- success: the timer is done;
- a failure the target may get over, within the policy: the timer fires again after an
  exponential back-off with full jitter;
- a refusal for good (a :class:`~eventyard.errors.ClientError`, such as a queue that does not
  exist), or the policy ran out: the event goes to the dead-letter target if there is one (with
  why: the error, the retries, which limit ran out), else it is dropped. Either way it is counted
  in ``/metrics`` (``delivered``, ``retried``, ``dead_lettered``, ``dropped``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from eventyard.errors import ClientError
from eventyard.kernel.metrics import KernelMetrics
from eventyard.kernel.timers import Firing, Timer

log = logging.getLogger("eventyard.delivery")

MAX_BACKOFF = 300.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long a failed delivery is tried again."""

    max_retries: int
    max_age: float  # seconds since the event was accepted
    first_delay: float = 1.0  # the back-off doubles from here, capped at five minutes

    def delay(self, retry: int) -> float:
        """Full jitter: a random wait up to ``first_delay * 2**retry`` (capped)."""
        return random.uniform(0, min(MAX_BACKOFF, self.first_delay * 2.0 ** min(retry, 16)))


@dataclass(frozen=True, slots=True)
class GaveUp:
    """Why a delivery ends undelivered: the last error, the retries made, the limit that ran out
    (``MaximumRetryAttempts`` or ``MaximumEventAgeInSeconds``; None when the target refused for good)."""

    error: Exception
    retries: int
    exhausted: str | None


#: ``async (gave_up) -> None``: send the undelivered event to the dead-letter target (raise if that fails).
DeadLetter = Callable[[GaveUp], Awaitable[None]]


class Deliveries:
    """The policy layer, one per job that delivers (it counts under that job's name)."""

    def __init__(self, job: str, metrics: KernelMetrics) -> None:
        self.job = job
        self.metrics = metrics

    async def settle(
        self,
        firing: Firing,
        timer: Timer,
        error: Exception | None,
        policy: RetryPolicy,
        dead_letter: DeadLetter | None,
    ) -> None:
        """Record the outcome of one attempt to deliver ``timer``: done, retried, dead-lettered or dropped."""
        if error is None:
            self.metrics.count(self.job, "delivered")
            return
        retries = timer.attempts
        refused = isinstance(error, ClientError)
        if not refused and retries < policy.max_retries and firing.now - timer.created < policy.max_age:
            firing.retry(timer, policy.delay(retries + 1))
            self.metrics.count(self.job, "retried")
            return
        exhausted = (
            None
            if refused
            else ("MaximumRetryAttempts" if retries >= policy.max_retries else "MaximumEventAgeInSeconds")
        )
        await self.give_up(GaveUp(error, retries, exhausted), dead_letter, timer.key)

    async def give_up(self, gave_up: GaveUp, dead_letter: DeadLetter | None, what: str) -> None:
        if dead_letter is not None:
            try:
                await dead_letter(gave_up)
                self.metrics.count(self.job, "dead_lettered")
                return
            except Exception as failure:  # AWS counts these as InvocationsFailedToBeSentToDlq and drops them
                log.warning("%s: could not dead-letter %s: %s", self.job, what, failure)
        else:
            log.warning("%s: dropping %s after %d retries: %s", self.job, what, gave_up.retries, gave_up.error)
        self.metrics.count(self.job, "dropped")
