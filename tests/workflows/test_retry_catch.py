"""Retry and Catch: back-off timing on the clock, error-name wildcards, catcher outputs."""

from __future__ import annotations

import random
from typing import Any

import pytest

from eventyard.clock import VirtualClock
from eventyard.workflows.errors import StatesError
from eventyard.workflows.interpreter import Interpreter
from eventyard.workflows.model import Retrier
from eventyard.workflows.retry import error_matches, retry_delay
from eventyard.workflows.tasks import CallableTasks
from tests.workflows.conftest import machine, run

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:flaky"


CLOCK_START = 0.0


def _failing(times: int, error: str = "Flaky") -> tuple[CallableTasks, list[float], VirtualClock]:
    """A task that fails ``times`` times with ``error``, recording the clock at each call."""
    clock = VirtualClock(start=CLOCK_START, auto_advance=True)
    calls: list[float] = []

    def task(_: Any) -> str:
        calls.append(clock.now())
        if len(calls) <= times:
            raise StatesError(error, f"attempt {len(calls)}")
        return "done"

    return CallableTasks({FUNCTION: task}), calls, clock


async def _run_with_clock(
    definition: dict[str, Any], tasks: CallableTasks, clock: VirtualClock, input: Any = None
) -> Any:
    return await Interpreter(definition, tasks=tasks, clock=clock).run(input or {})


async def test_retry_waits_interval_times_backoff_capped_by_max_delay() -> None:
    tasks, calls, clock = _failing(3)
    retry = {"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3, "MaxDelaySeconds": 10}
    definition = machine({"T": {"Type": "Task", "Resource": FUNCTION, "Retry": [retry], "End": True}})
    result = await _run_with_clock(definition, tasks, clock)
    assert result.output == "done"
    assert calls == [0.0, 2.0, 8.0, 18.0]  # waits 2, 6, then min(18, 10)


async def test_retry_count_is_visible_in_the_context_object() -> None:
    counts: list[int] = []

    def task(parameters: Any) -> str:
        counts.append(parameters["n"])
        if len(counts) < 3:
            raise StatesError("Flaky", "")
        return "ok"

    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Parameters": {"n.$": "$$.State.RetryCount"},
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}],
                "End": True,
            }
        }
    )
    await run(definition, {}, CallableTasks({FUNCTION: task}))
    assert counts == [0, 1, 2]


async def test_exhausted_retrier_does_not_fall_through_to_a_later_retrier() -> None:
    tasks, calls, clock = _failing(5)
    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Retry": [
                    {"ErrorEquals": ["Flaky"], "MaxAttempts": 1},
                    {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5},
                ],
                "End": True,
            }
        }
    )
    result = await _run_with_clock(definition, tasks, clock)
    assert result.error == "Flaky"
    assert len(calls) == 2


def test_full_jitter_waits_between_zero_and_the_backoff_delay() -> None:
    retrier = Retrier(("E",), interval_seconds=4, backoff_rate=2.0, jitter_strategy="FULL")
    delays = [retry_delay(retrier, 2, random.Random(seed)) for seed in range(50)]
    assert all(0 <= delay <= 16 for delay in delays)
    assert len(set(delays)) > 1
    assert retry_delay(Retrier(("E",), interval_seconds=4), 2) == 16


@pytest.mark.parametrize(
    ("names", "error", "matches"),
    [
        (("States.ALL",), "Custom", True),
        (("States.ALL",), "States.Runtime", False),
        (("States.ALL",), "States.DataLimitExceeded", False),
        (("States.Runtime",), "States.Runtime", False),
        (("States.TaskFailed",), "Lambda.Unknown", True),
        (("States.TaskFailed",), "States.Timeout", False),
        (("States.Timeout",), "States.Timeout", True),
        (("A", "B"), "B", True),
        (("A",), "a", False),
    ],
)
def test_error_name_matching(names: tuple[str, ...], error: str, matches: bool) -> None:
    assert error_matches(names, error) is matches


async def test_catch_places_error_output_and_assigns_from_it() -> None:
    tasks, _, clock = _failing(9, "Broken")
    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Catch": [
                    {"ErrorEquals": ["Broken"], "ResultPath": "$.failure", "Assign": {"why.$": "$.Cause"}, "Next": "H"}
                ],
                "End": True,
            },
            "H": {"Type": "Pass", "Parameters": {"failure.$": "$.failure", "why.$": "$why"}, "End": True},
        }
    )
    result = await _run_with_clock(definition, tasks, clock)
    assert result.output == {"failure": {"Error": "Broken", "Cause": "attempt 1"}, "why": "attempt 1"}
    types = [event["type"] for event in result.history]
    assert types[:6] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionFailed",
        "TaskStateExited",
    ]


async def test_retry_then_catch_after_attempts_run_out() -> None:
    tasks, calls, clock = _failing(9)
    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 2, "IntervalSeconds": 1}],
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}],
                "End": True,
            },
            "H": {"Type": "Pass", "End": True},
        }
    )
    result = await _run_with_clock(definition, tasks, clock)
    assert len(calls) == 3
    assert result.output == {"Error": "Flaky", "Cause": "attempt 3"}


async def test_jsonata_catch_assign_sees_error_output() -> None:
    tasks, _, clock = _failing(9, "Broken")
    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Assign": {"err": "{% $states.errorOutput.Error %}"},
                        "Output": {"kept": "{% $states.input.k %}"},
                        "Next": "H",
                    }
                ],
                "End": True,
            },
            "H": {"Type": "Pass", "Output": {"err": "{% $err %}", "kept": "{% $states.input.kept %}"}, "End": True},
        },
        QueryLanguage="JSONata",
    )
    result = await _run_with_clock(definition, tasks, clock, {"k": 5})
    assert result.output == {"err": "Broken", "kept": 5}


async def test_timeout_is_not_matched_by_task_failed_but_by_its_own_name() -> None:
    clock = VirtualClock(start=0.0, auto_advance=True)

    async def slow(_: Any) -> None:
        raise StatesError("States.Timeout", "")

    definition = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Catch": [
                    {"ErrorEquals": ["States.TaskFailed"], "Next": "Wrong"},
                    {"ErrorEquals": ["States.Timeout"], "Next": "Right"},
                ],
                "End": True,
            },
            "Wrong": {"Type": "Pass", "Result": "wrong", "End": True},
            "Right": {"Type": "Pass", "Result": "right", "End": True},
        }
    )
    result = await Interpreter(definition, tasks=CallableTasks({FUNCTION: slow}), clock=clock).run({})
    assert result.output == "right"
