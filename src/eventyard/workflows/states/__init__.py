"""One module per group of state types; each quotes the ASL rules it implements.

``HANDLERS`` maps a state's ``Type`` to the coroutine that runs one entry into it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from eventyard.workflows.runtime import Outcome, StateRun
from eventyard.workflows.states.choice import run_choice
from eventyard.workflows.states.parallel_map import run_map, run_parallel
from eventyard.workflows.states.pass_succeed_fail import run_fail, run_pass, run_succeed
from eventyard.workflows.states.task import run_task
from eventyard.workflows.states.wait import run_wait

Handler = Callable[[StateRun], Awaitable[Outcome]]

HANDLERS: dict[str, Handler] = {
    "Pass": run_pass,
    "Succeed": run_succeed,
    "Fail": run_fail,
    "Choice": run_choice,
    "Wait": run_wait,
    "Task": run_task,
    "Parallel": run_parallel,
    "Map": run_map,
}

__all__ = ["HANDLERS", "Handler"]
