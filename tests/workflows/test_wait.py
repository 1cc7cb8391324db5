"""Wait: every wait goes through the Clock, so a VirtualClock jumps over it."""

from __future__ import annotations

import asyncio

from eventyard.clock import VirtualClock
from eventyard.workflows.interpreter import Interpreter
from tests.workflows.conftest import machine, run

START = 1_700_000_000.0


async def test_wait_seconds_advances_the_virtual_clock_and_records_entered_and_exited() -> None:
    clock = VirtualClock(start=START, auto_advance=True)
    result = await Interpreter(machine({"W": {"Type": "Wait", "Seconds": 86400, "End": True}}), clock=clock).run(
        {"a": 1}
    )
    assert result.output == {"a": 1}
    assert clock.now() == START + 86400
    types = [event["type"] for event in result.history]
    assert types == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]
    assert result.history[2]["timestamp"] - result.history[1]["timestamp"] == 86400


async def test_wait_blocks_until_a_manual_clock_reaches_the_timestamp() -> None:
    clock = VirtualClock(start=START)
    definition = machine({"W": {"Type": "Wait", "TimestampPath": "$.at", "End": True}})
    execution = asyncio.ensure_future(Interpreter(definition, clock=clock).run({"at": "2023-11-14T22:14:20Z"}))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not execution.done()
    clock.set(START + 60)
    result = await asyncio.wait_for(execution, 1)
    assert result.status == "SUCCEEDED"


async def test_wait_timestamp_path_that_is_not_a_timestamp_is_a_runtime_error() -> None:
    result = await run(machine({"W": {"Type": "Wait", "TimestampPath": "$.at", "End": True}}), {"at": "tomorrow"})
    assert result.error == "States.Runtime"
    assert result.cause is not None and "TimestampPath" in result.cause


async def test_wait_seconds_path_must_be_an_integer() -> None:
    result = await run(machine({"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}), {"s": "10"})
    assert result.error == "States.Runtime"


async def test_jsonata_wait_timestamp_expression() -> None:
    clock = VirtualClock(start=START, auto_advance=True)
    definition = machine(
        {"W": {"Type": "Wait", "Timestamp": "{% $states.input.at %}", "End": True}}, QueryLanguage="JSONata"
    )
    result = await Interpreter(definition, clock=clock).run({"at": "2023-11-15T00:00:00Z"})
    assert result.status == "SUCCEEDED"
    assert clock.now() == 1_700_006_400.0


async def test_execution_timeout_seconds_stops_a_long_wait_with_timed_out() -> None:
    clock = VirtualClock(start=0.0, auto_advance=True)
    definition = machine({"W": {"Type": "Wait", "Seconds": 10, "End": True}}, TimeoutSeconds=5)
    result = await Interpreter(definition, clock=clock).run({})
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert clock.now() == 5.0
    assert result.history[-1]["type"] == "ExecutionTimedOut"


async def test_execution_timeout_is_not_caught_by_a_catcher() -> None:
    clock = VirtualClock(start=0.0, auto_advance=True)
    branch = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [branch],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
                "End": True,
            },
            "H": {"Type": "Succeed"},
        },
        TimeoutSeconds=3,
    )
    result = await Interpreter(definition, clock=clock).run({})
    assert result.status == "TIMED_OUT"
