"""Between two steps an execution is plain JSON; resuming from it finishes the same way."""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.clock import VirtualClock
from eventyard.workflows.interpreter import Interpreter
from eventyard.workflows.tasks import CallableTasks
from tests.workflows.conftest import machine

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:step"


def _counting() -> tuple[CallableTasks, list[Any]]:
    calls: list[Any] = []

    def step(value: Any) -> Any:
        calls.append(value)
        return value + 1

    return CallableTasks({FUNCTION: step}), calls


async def test_resume_from_a_mid_chain_snapshot_skips_finished_states() -> None:
    definition = machine(
        {
            "A": {"Type": "Task", "Resource": FUNCTION, "Assign": {"afterA.$": "$"}, "Next": "B"},
            "B": {"Type": "Task", "Resource": FUNCTION, "Next": "C"},
            "C": {"Type": "Pass", "Parameters": {"v.$": "$", "a.$": "$afterA"}, "End": True},
        }
    )
    snapshots: list[dict[str, Any]] = []
    tasks, calls = _counting()
    first = await Interpreter(definition, tasks=tasks, clock=VirtualClock(start=0.0)).run(
        0, checkpoint=lambda snap: snapshots.append(orjson.loads(orjson.dumps(snap)))
    )
    assert first.output == {"v": 2, "a": 1}
    at_b = next(s for s in snapshots if s["root"]["state"] == "B")
    assert at_b["root"]["variables"] == {"afterA": 1}

    tasks, calls = _counting()
    resumed = await Interpreter(definition, tasks=tasks, clock=VirtualClock(start=0.0)).resume(at_b)
    assert resumed.output == first.output
    assert calls == [1]  # only B ran again


async def test_resume_inside_a_map_reuses_finished_iterations() -> None:
    definition = machine(
        {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 1,
                "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FUNCTION, "End": True}}},
                "End": True,
            }
        }
    )
    snapshots: list[dict[str, Any]] = []
    tasks, _ = _counting()
    first = await Interpreter(definition, tasks=tasks, clock=VirtualClock(start=0.0)).run(
        [10, 20, 30], checkpoint=lambda snap: snapshots.append(orjson.loads(orjson.dumps(snap)))
    )
    assert first.output == [11, 21, 31]
    # the step where the third iteration has just entered its Task state
    mid = next(
        s for s in snapshots if s["root"]["children"].get("2", {}).get("state") == "T" and "1" in s["root"]["children"]
    )
    assert mid["root"]["children"]["0"] == {"output": 11}

    tasks, calls = _counting()
    resumed = await Interpreter(definition, tasks=tasks, clock=VirtualClock(start=0.0)).resume(mid)
    assert resumed.output == [11, 21, 31]
    assert calls == [30]
