"""State transitions per second of the in-process ASL interpreter, and what dominates its time.

Three workloads, each run on a VirtualClock (no waiting) with the full history recorded:

(a) a chain of 100 Pass states (JSONPath, Parameters with a path and an intrinsic);
(b) a Map over 1,000 items whose iteration is a Choice and two Pass states;
(c) a JSONata workflow: Arguments/Output/Assign expressions on every state, a loop of 50 rounds.

``run(quick=True)`` uses smaller sizes. The "what dominates" line comes from cProfile over (b).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import time
from typing import Any

from eventyard.clock import VirtualClock
from eventyard.workflows.interpreter import ExecutionResult, Interpreter


def pass_chain(length: int) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for index in range(length):
        state: dict[str, Any] = {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)", "tag": "t"}}
        if index + 1 < length:
            state["Next"] = f"S{index + 1}"
        else:
            state["End"] = True
        states[f"S{index}"] = state
    return {"StartAt": "S0", "States": states}


def map_with_choice() -> dict[str, Any]:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 0,
                "ItemProcessor": {
                    "StartAt": "Route",
                    "States": {
                        "Route": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$.v", "NumericGreaterThan": 500, "Next": "Big"}],
                            "Default": "Small",
                        },
                        "Big": {"Type": "Pass", "Parameters": {"size": "big", "v.$": "$.v"}, "End": True},
                        "Small": {"Type": "Pass", "Parameters": {"size": "small", "v.$": "$.v"}, "End": True},
                    },
                },
                "End": True,
            }
        },
    }


def jsonata_loop(rounds: int) -> dict[str, Any]:
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"i": 0, "total": 0}, "Next": "Step"},
            "Step": {
                "Type": "Pass",
                "Assign": {"i": "{% $i + 1 %}", "total": "{% $total + $sum($states.input.values) %}"},
                "Output": {"values": "{% $states.input.values.($ * 2 % 97) %}"},
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Condition": f"{{% $i < {rounds} %}}", "Next": "Step"}],
                "Default": "Done",
            },
            "Done": {"Type": "Pass", "Output": {"total": "{% $total %}", "rounds": "{% $i %}"}, "End": True},
        },
    }


async def _execute(definition: dict[str, Any], value: Any) -> ExecutionResult:
    return await Interpreter(definition, clock=VirtualClock(start=0.0, auto_advance=True)).run(value)


def _measure(definition: dict[str, Any], value: Any, repeat: int) -> tuple[float, int]:
    """Best transitions/second over ``repeat`` runs, and the transitions of one run."""
    best = 0.0
    transitions = 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = asyncio.run(_execute(definition, value))
        elapsed = time.perf_counter() - started
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        transitions = sum(1 for event in result.history if event["type"].endswith("StateEntered"))
        best = max(best, transitions / elapsed)
    return best, transitions


def _dominating(definition: dict[str, Any], value: Any) -> str:
    profiler = cProfile.Profile()

    async def profiled() -> None:
        # enabled inside the loop: asyncio.run's own start-up and shutdown are not the interpreter's cost
        profiler.enable()
        await _execute(definition, value)
        profiler.disable()

    asyncio.run(profiled())
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    rows = []
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((own, f"{filename.rsplit('/', 2)[-1]}:{function}"))
    rows.sort(reverse=True)
    total = sum(own for own, _ in rows) or 1.0
    return ", ".join(f"{name} {own / total:.0%}" for own, name in rows[:5])


def run(quick: bool = False) -> str:
    """Run the three workloads and return a markdown table plus a "what dominates" line."""
    repeat = 1 if quick else 3
    items = [{"v": index} for index in range(200 if quick else 1000)]
    workloads = [
        ("(a) 100-state Pass chain", pass_chain(100), {"n": 0}),
        (f"(b) Map over {len(items)} items, Choice inside", map_with_choice(), {"items": items}),
        ("(c) JSONata loop (Assign/Output/Condition)", jsonata_loop(20 if quick else 50), {"values": list(range(20))}),
    ]
    lines = ["| workload | transitions per run | transitions/s |", "|---|---:|---:|"]
    for name, definition, value in workloads:
        rate, transitions = _measure(definition, value, repeat)
        lines.append(f"| {name} | {transitions} | {rate:,.0f} |")
    lines.append("")
    lines.append(f"What dominates (b), by own time: {_dominating(map_with_choice(), {'items': items})}")
    lines.append(f"What dominates (c), by own time: {_dominating(workloads[2][1], workloads[2][2])}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
