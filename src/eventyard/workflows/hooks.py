"""Where a durable engine plugs into a running execution.

The interpreter runs an execution as coroutines (one per thread: the top level, each Parallel
branch, each Map iteration). In-process (``eventyard workflow run``, the language's tests) that is
all there is: a Wait sleeps on the clock, a task's result comes back from its invoker.

The workflow service runs Standard executions durably: no execution lives in a coroutine across a
suspension. Its engine gives each execution :class:`ExecutionHooks` that

- count the threads that can make progress (``thread_started``/``thread_ended``, and
  ``waiting_on_children`` around a Parallel or Map waiting for its branches), so the engine knows
  when every thread is waiting;
- turn waits into parking (``sleep_until``): the thread waits on the clock, and when every thread
  waits, the engine commits the execution's state and history and ends the coroutines; a kernel
  timer continues the execution later, on any node, from what was committed;
- give each Task attempt an id (``new_attempt_id``), which is also the task token a callback
  sends back;
- set ``suspending`` while the coroutines are being ended, so that ending them is not mistaken
  for an abort (no ``*StateAborted`` events).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventyard.workflows.runtime import Execution


class ExecutionHooks:
    """The in-process default: nothing is counted, parked or committed."""

    suspending = False

    def thread_started(self) -> None:
        """A thread (top level, branch or iteration) starts running."""

    def thread_ended(self) -> None:
        """A thread ended (its last state finished, it failed, or it was cancelled)."""

    def waiting_on_children(self, waiting: bool) -> None:
        """A Parallel or Map state starts (True) or stops (False) waiting for its children."""

    async def sleep_until(self, execution: Execution, moment: float) -> None:
        """Wait until ``moment`` on the execution's clock."""
        await execution.clock.sleep_until(moment)

    def map_run(self, execution: Execution, map_run_arn: str, status: str, **counts: Any) -> None:
        """A Distributed Map's run started or ended (``counts``: its settings and item counts)."""

    def new_attempt_id(self, execution: Execution) -> str:
        """An id for one Task attempt; a ``.waitForTaskToken`` task hands it out as its token."""
        execution.token_counter += 1
        return f"{uuid.uuid4().hex}{execution.token_counter:04d}"
