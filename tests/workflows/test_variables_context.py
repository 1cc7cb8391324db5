"""Workflow variables (scope, evaluation order, limits) and the context object."""

from __future__ import annotations

from typing import Any

from eventyard.clock import VirtualClock
from eventyard.workflows.interpreter import Interpreter, new_execution_info
from tests.workflows.conftest import machine, run


async def test_assign_is_evaluated_with_entry_values_so_a_swap_works_in_jsonpath() -> None:
    definition = machine(
        {
            "Init": {"Type": "Pass", "Assign": {"a": 1, "b": 2}, "Next": "Swap"},
            "Swap": {"Type": "Pass", "Assign": {"a.$": "$b", "b.$": "$a"}, "Next": "Show"},
            "Show": {"Type": "Pass", "Parameters": {"a.$": "$a", "b.$": "$b"}, "End": True},
        }
    )
    assert (await run(definition)).output == {"a": 2, "b": 1}


async def test_assigned_variables_appear_in_the_exited_event_as_json_text() -> None:
    result = await run(machine({"S": {"Type": "Pass", "Assign": {"n": 1, "s": "x", "o": {"k": [1]}}, "End": True}}))
    exited = result.history[2]["stateExitedEventDetails"]
    assert exited["assignedVariables"] == {"n": "1", "s": '"x"', "o": '{"k":[1]}'}
    assert exited["assignedVariablesDetails"] == {"truncated": False}


async def test_map_iterations_read_outer_variables_and_their_own_assignments_do_not_leak() -> None:
    processor = {
        "StartAt": "Mine",
        "States": {
            "Mine": {"Type": "Pass", "Assign": {"mine.$": "$"}, "Next": "Read"},
            "Read": {"Type": "Pass", "Parameters": {"mine.$": "$mine", "base.$": "$base"}, "End": True},
        },
    }
    definition = machine(
        {
            "Init": {"Type": "Pass", "Assign": {"base": 10}, "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": processor, "End": True},
        }
    )
    result = await run(definition, [1, 2])
    assert result.output == [{"mine": 1, "base": 10}, {"mine": 2, "base": 10}]


async def test_variable_over_256_kib_fails_with_data_limit_exceeded() -> None:
    big = "x" * (256 * 1024)
    definition = machine({"S": {"Type": "Pass", "Assign": {"big.$": "$.big"}, "End": True}})
    result = await run(definition, {"big": big})
    assert result.error == "States.DataLimitExceeded"


async def test_data_limit_exceeded_is_not_caught_by_states_all() -> None:
    big = "x" * (256 * 1024)
    branch = {"StartAt": "S", "States": {"S": {"Type": "Pass", "Assign": {"big.$": "$.big"}, "End": True}}}
    definition = machine(
        {
            "Par": {
                "Type": "Parallel",
                "Branches": [branch],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
                "End": True,
            },
            "H": {"Type": "Succeed"},
        }
    )
    result = await run(definition, {"big": big})
    assert result.error == "States.DataLimitExceeded"


async def test_context_object_reports_execution_state_and_state_machine() -> None:
    """A Pass state's ``$$.State`` has no RetryCount; a Task's has (AWS-recorded: localstack
    test_base.snapshot.json test_query_context_object_values, test_base_scenarios.snapshot.json
    test_lambda_service_invoke_with_retry_extended_input)."""
    clock = VirtualClock(start=1_700_000_000.5, auto_advance=True)
    info = new_execution_info("orders", "run-1", input={"k": 1}, start_time=clock.now())
    definition = machine(
        {
            "W": {"Type": "Wait", "Seconds": 2, "Next": "Ctx"},
            "Ctx": {"Type": "Pass", "Parameters": {"ctx.$": "$$"}, "End": True},
        }
    )
    result = await Interpreter(definition, clock=clock).run({"k": 1}, info=info)
    context: dict[str, Any] = result.output["ctx"]
    assert context["Execution"] == {
        "Id": "arn:aws:states:us-east-1:000000000000:execution:orders:run-1",
        "Input": {"k": 1},
        "Name": "run-1",
        "RoleArn": "arn:aws:iam::000000000000:role/service-role/orders",
        "StartTime": "2023-11-14T22:13:20.500Z",
        "RedriveCount": 0,
    }
    assert context["State"] == {"EnteredTime": "2023-11-14T22:13:22.500Z", "Name": "Ctx"}
    assert context["StateMachine"] == {
        "Id": "arn:aws:states:us-east-1:000000000000:stateMachine:orders",
        "Name": "orders",
    }
    assert "Map" not in context and "Task" not in context


async def test_jsonata_states_context_and_input_in_a_map_item_selector() -> None:
    definition = machine(
        {
            "M": {
                "Type": "Map",
                "Items": "{% $states.input.xs %}",
                "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}", "base": "{% $states.input.base %}"},
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
        QueryLanguage="JSONata",
    )
    result = await run(definition, {"xs": ["a", "b"], "base": 7})
    assert result.output == [{"i": 0, "base": 7}, {"i": 1, "base": 7}]
