"""Parallel and Map: ordering, concurrency, failure, history, distributed mode."""

from __future__ import annotations

import asyncio
from typing import Any

from eventyard.clock import VirtualClock
from eventyard.workflows.errors import StatesError
from eventyard.workflows.interpreter import Interpreter
from eventyard.workflows.tasks import CallableTasks
from tests.workflows.conftest import machine, run

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:work"


def _pass_branch(result: Any) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}}


async def test_parallel_history_wraps_branch_events_and_links_them_to_started() -> None:
    definition = machine({"Par": {"Type": "Parallel", "Branches": [_pass_branch(1), _pass_branch(2)], "End": True}})
    result = await run(definition)
    assert result.output == [1, 2]
    types = [event["type"] for event in result.history]
    assert types[:3] == ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted"]
    assert types[-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]
    started_id = result.history[2]["id"]
    branch_entries = [event for event in result.history if event["type"] == "PassStateEntered"]
    assert [event["previousEventId"] for event in branch_entries] == [started_id, started_id]


async def test_parallel_branch_failure_aborts_siblings_and_fails_the_state() -> None:
    definition = machine(
        {
            "Par": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": True}}},
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "c"}}},
                ],
                "End": True,
            }
        }
    )
    clock = VirtualClock(start=0.0)
    result = await Interpreter(definition, clock=clock).run({})
    assert (result.error, result.cause) == ("Nope", "c")
    types = [event["type"] for event in result.history]
    assert "WaitStateAborted" in types
    assert types[-2:] == ["ParallelStateFailed", "ExecutionFailed"]
    assert clock.now() == 0.0


async def test_branches_read_outer_variables_but_their_assignments_stay_inside() -> None:
    branch = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"inner": "x"}, "Next": "Read"},
            "Read": {"Type": "Pass", "Parameters": {"outer.$": "$outer", "inner.$": "$inner"}, "End": True},
        },
    }
    definition = machine(
        {
            "Init": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "Par"},
            "Par": {"Type": "Parallel", "Branches": [branch], "Next": "After"},
            "After": {"Type": "Pass", "Parameters": {"inner.$": "$inner"}, "End": True},
        }
    )
    result = await run(definition)
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert "After" in (result.cause or "")


async def test_map_iteration_events_carry_state_name_and_index() -> None:
    definition = machine(
        {
            "M": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        }
    )
    result = await run(definition, ["a", "b"])
    assert result.output == ["a", "b"]
    started = [e for e in result.history if e["type"] == "MapStateStarted"]
    assert started[0]["mapStateStartedEventDetails"] == {"length": 2}
    iterations = [e["mapIterationStartedEventDetails"] for e in result.history if e["type"] == "MapIterationStarted"]
    assert iterations == [{"name": "M", "index": 0}, {"name": "M", "index": 1}]
    succeeded = [e for e in result.history if e["type"] == "MapIterationSucceeded"]
    assert len(succeeded) == 2
    assert [e["type"] for e in result.history][-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]


async def test_map_max_concurrency_bounds_running_iterations() -> None:
    running = 0
    peak = 0

    async def work(item: Any) -> Any:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        running -= 1
        return item * 2

    definition = machine(
        {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 2,
                "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FUNCTION, "End": True}}},
                "End": True,
            }
        }
    )
    result = await run(definition, [1, 2, 3, 4, 5], CallableTasks({FUNCTION: work}))
    assert result.output == [2, 4, 6, 8, 10]
    assert peak == 2


async def test_map_iteration_failure_records_iteration_failed_and_map_failed() -> None:
    def work(item: Any) -> Any:
        if item == 2:
            raise StatesError("Bad", "item 2")
        return item

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
    result = await run(definition, [1, 2, 3], CallableTasks({FUNCTION: work}))
    assert result.error == "Bad"
    types = [e["type"] for e in result.history]
    assert "MapIterationFailed" in types
    assert types.count("MapIterationStarted") == 2
    assert types[-2:] == ["MapStateFailed", "ExecutionFailed"]


def _distributed(extra: dict[str, Any], processor_state: dict[str, Any]) -> dict[str, Any]:
    return machine(
        {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Work",
                    "States": {"Work": processor_state},
                },
                "End": True,
                **extra,
            }
        }
    )


async def test_distributed_map_batches_items_with_batch_input() -> None:
    definition = _distributed(
        {"ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"tag.$": "$.tag"}}, "ItemsPath": "$.xs", "Label": "L"},
        {"Type": "Pass", "End": True},
    )
    result = await run(definition, {"xs": [1, 2, 3], "tag": "t"})
    assert result.output == [{"tag": "t", "Items": [1, 2]}, {"tag": "t", "Items": [3]}]
    types = [e["type"] for e in result.history]
    assert types[2:4] == ["MapStateStarted", "MapRunStarted"]
    assert "MapIterationStarted" not in types  # child workflows have their own histories
    assert ":mapRun:" in result.history[3]["mapRunStartedEventDetails"]["mapRunArn"]


async def test_distributed_map_tolerates_failures_up_to_the_threshold() -> None:
    def work(item: Any) -> Any:
        if item % 2:
            raise StatesError("Odd", str(item))
        return item

    processor = {"Type": "Task", "Resource": FUNCTION, "End": True}
    tolerant = _distributed({"ToleratedFailurePercentage": 50}, processor)
    result = await run(tolerant, [1, 2, 3, 4], CallableTasks({FUNCTION: work}))
    assert result.status == "SUCCEEDED"
    assert result.output[1] == 2
    strict = _distributed({"ToleratedFailureCount": 1}, processor)
    result = await run(strict, [1, 2, 3, 4], CallableTasks({FUNCTION: work}))
    assert result.error == "States.ExceedToleratedFailureThreshold"


async def test_distributed_children_do_not_see_outer_variables() -> None:
    definition = _distributed({}, {"Type": "Pass", "Parameters": {"v.$": "$outer"}, "End": True})
    definition["States"] = {"Init": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "M"}, **definition["States"]}
    definition["StartAt"] = "Init"
    result = await run(definition, [1])
    assert result.error == "States.ExceedToleratedFailureThreshold"


async def test_item_reader_items_come_from_the_task_invoker() -> None:
    listing = "arn:aws:states:::s3:listObjectsV2"
    tasks = CallableTasks({listing: lambda p: [{"Key": f"{p['Prefix']}{i}"} for i in range(3)]})
    definition = _distributed(
        {
            "ItemReader": {
                "Resource": listing,
                "Parameters": {"Bucket": "b", "Prefix": "in/"},
                "ReaderConfig": {"MaxItems": 2},
            },
            "ItemSelector": {"key.$": "$$.Map.Item.Value.Key"},
        },
        {"Type": "Pass", "End": True},
    )
    result = await run(definition, {}, tasks)
    assert result.output == [{"key": "in/0"}, {"key": "in/1"}]


async def test_map_items_path_must_select_an_array() -> None:
    definition = machine(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.x",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        }
    )
    result = await run(definition, {"x": {"not": "array"}})
    assert result.error == "States.Runtime"
