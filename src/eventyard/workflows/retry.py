"""Retry, Catch and task deadlines: AWS's error-handling rules.

From AWS "Handling errors in Step Functions workflows":

- Retriers and catchers are scanned in order; the first whose ``ErrorEquals`` names the error
  applies. A retrier keeps its own attempt count; when its ``MaxAttempts`` is used up the error
  goes on to the catchers (it does not fall through to a later retrier).
- The wait before retry *n* (0-based) is ``IntervalSeconds * BackoffRate ** n``, capped by
  ``MaxDelaySeconds``; ``JitterStrategy: FULL`` waits a random time between 0 and that.
- ``States.ALL`` matches every error name except ``States.DataLimitExceeded`` and
  ``States.Runtime``, which are terminal: no retrier or catcher ever takes them. A task whose
  result is too large is the exception AWS records: it fails the task (``TaskFailed``) with
  ``States.DataLimitExceeded`` and ``States.ALL`` catches it (test_states_errors
  test_service_task_lambada_catch_state_all_data_limit_exceeded_on_large_utf8_response).
- ``States.TaskFailed`` matches every error except ``States.Timeout`` (and the terminal ones).
- A task that runs longer than ``TimeoutSeconds`` fails with ``States.Timeout``; one whose worker
  does not heartbeat within ``HeartbeatSeconds`` fails with ``States.HeartbeatTimeout``, a name
  "only available inside the Catch and Retry fields" (AWS docs): the execution reports it as
  ``States.Timeout`` (AWS-recorded), and a ``States.Timeout`` retrier or catcher takes it too.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable
from typing import Any

from eventyard.clock import Clock
from eventyard.workflows.errors import StatesError
from eventyard.workflows.model import Catcher, Retrier
from eventyard.workflows.runtime import ExecutionTimedOut

TERMINAL_ERRORS = frozenset({"States.DataLimitExceeded", "States.Runtime"})


PAYLOAD_LIMIT = 256 * 1024


class TaskResultTooLarge(StatesError):
    """A task result over 256 KiB: a task failure, so not terminal like other DataLimitExceeded errors."""

    terminal = False

    def __init__(self, resource: str) -> None:
        super().__init__(
            "States.DataLimitExceeded",
            f"The state/task '{resource}' returned a result with a size exceeding the maximum number of bytes "
            "service limit.",
        )


def error_matches(names: tuple[str, ...], error: str | StatesError) -> bool:
    """Whether an ``ErrorEquals`` list names ``error`` (with the States.ALL/TaskFailed wildcards)."""
    terminal: bool | None = None
    if isinstance(error, StatesError):
        terminal = getattr(error, "terminal", None)
        error = error.error
    if (error in TERMINAL_ERRORS) if terminal is None else terminal:
        return False
    for name in names:
        if name == error or name == "States.ALL":
            return True
        if name == "States.Timeout" and error == "States.HeartbeatTimeout":
            return True
        if name == "States.TaskFailed" and error not in ("States.Timeout", "States.HeartbeatTimeout"):
            return True
    return False


def heartbeat_timeout() -> StatesError:
    """A missed heartbeat: ``States.HeartbeatTimeout`` to Retry and Catch, ``States.Timeout`` as reported."""
    error = StatesError("States.HeartbeatTimeout", "")
    error.reported_error = "States.Timeout"  # type: ignore[attr-defined]
    error.reported_cause = None  # type: ignore[attr-defined]
    return error


def task_timeout() -> StatesError:
    """TimeoutSeconds ran out: ``States.Timeout``, reported without a cause (AWS-recorded)."""
    error = StatesError("States.Timeout", "")
    error.reported_cause = None  # type: ignore[attr-defined]
    return error


def retry_delay(retrier: Retrier, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry)."""
    delay = float(retrier.interval_seconds) * (retrier.backoff_rate**attempt)
    if retrier.max_delay_seconds is not None:
        delay = min(delay, float(retrier.max_delay_seconds))
    if retrier.jitter_strategy == "FULL":
        delay = (rng or random).uniform(0, delay)
    return delay


def choose_retry(retriers: list[Retrier], attempts: list[int], error: str | StatesError) -> int | None:
    """The index of the retrier that takes ``error`` and still has attempts left, else None."""
    for index, retrier in enumerate(retriers):
        if error_matches(retrier.error_equals, error):
            return index if attempts[index] < int(retrier.max_attempts) else None
    return None


def choose_catcher(catchers: list[Catcher], error: str | StatesError) -> Catcher | None:
    for catcher in catchers:
        if error_matches(catcher.error_equals, error):
            return catcher
    return None


def error_output(exc: StatesError) -> dict[str, Any]:
    """The error output a catcher hands on: ``{"Error": ..., "Cause": ...}``.

    A timeout has no cause in the history but ``"Cause": ""`` here (AWS-recorded: test_timeouts).
    """
    cause = reported_cause(exc)
    if cause is None and exc.error in ("States.Timeout", "States.HeartbeatTimeout"):
        cause = exc.cause
    return {"Error": reported_error(exc), "Cause": cause}


def reported_error(exc: StatesError) -> str | None:
    return getattr(exc, "reported_error", exc.error)


def reported_cause(exc: StatesError) -> str | None:
    return getattr(exc, "reported_cause", exc.cause)


def event_cause(exc: StatesError) -> str | None:
    """The cause a history event reports: none for a timeout (AWS-recorded: test_timeouts, test_heartbeats)."""
    cause = reported_cause(exc)
    return None if exc.error == "States.Timeout" and not cause else cause


class Deadline:
    """Races one task attempt against its TimeoutSeconds and HeartbeatSeconds.

    Every deadline is a ``clock.sleep_until``, so a VirtualClock decides when time passes.
    """

    def __init__(
        self,
        clock: Clock,
        timeout: float | None,
        heartbeat: float | None,
        execution_deadline: float | None = None,
        *,
        started: float | None = None,
    ) -> None:
        self.clock = clock
        self.started = clock.now() if started is None else started
        self.timeout_at = None if timeout is None else self.started + timeout
        self.execution_deadline = execution_deadline
        self.heartbeat = heartbeat
        self.last_beat = self.started

    def beat(self, at: float | None = None) -> None:
        self.last_beat = max(self.last_beat, self.clock.now() if at is None else at)

    async def run(self, work: Awaitable[Any]) -> Any:
        task = asyncio.ensure_future(work)
        if self.timeout_at is None and self.heartbeat is None and self.execution_deadline is None:
            return await task
        await asyncio.sleep(0)  # a task that answers at once never races its timer
        try:
            while not task.done():
                deadline = self._next_deadline()
                timer = asyncio.ensure_future(self.clock.sleep_until(deadline))
                done, _ = await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
                if task in done:
                    timer.cancel()
                    break
                now = self.clock.now()
                if self.execution_deadline is not None and now >= self.execution_deadline:
                    raise ExecutionTimedOut
                if self.timeout_at is not None and now >= self.timeout_at:
                    raise task_timeout()
                if self.heartbeat is not None and now >= self.last_beat + self.heartbeat:
                    raise heartbeat_timeout()
        except BaseException:
            task.cancel()
            raise
        return task.result()

    def _next_deadline(self) -> float:
        candidates = [] if self.execution_deadline is None else [self.execution_deadline]
        if self.timeout_at is not None:
            candidates.append(self.timeout_at)
        if self.heartbeat is not None:
            candidates.append(self.last_beat + self.heartbeat)
        return min(candidates)
