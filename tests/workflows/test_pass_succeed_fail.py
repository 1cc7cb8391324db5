"""Pass, Succeed and Fail: data flow through them and the history they leave."""

from __future__ import annotations

from tests.workflows.conftest import machine, run


async def test_pass_chain_emits_entered_and_exited_per_state_with_linked_ids() -> None:
    """The first state's entry links to no event (previousEventId 0), as every AWS-recorded history shows
    (localstack test_base.snapshot.json, TestSnfBase test_state_pass_result and the rest)."""
    result = await run(
        machine({"A": {"Type": "Pass", "Result": {"n": 1}, "Next": "B"}, "B": {"Type": "Succeed"}}), {"in": True}
    )
    assert result.status == "SUCCEEDED"
    assert result.output == {"n": 1}
    types = [event["type"] for event in result.history]
    assert types == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]
    assert [event["id"] for event in result.history] == [1, 2, 3, 4, 5, 6]
    assert [event["previousEventId"] for event in result.history] == [
        0,
        0,
        2,
        3,
        4,
        5,
    ]  # AWS: the first state follows 0
    entered = result.history[1]["stateEnteredEventDetails"]
    assert entered == {"name": "A", "input": '{"in":true}', "inputDetails": {"truncated": False}}
    exited = result.history[2]["stateExitedEventDetails"]
    assert exited["output"] == '{"n":1}'
    assert result.history[-1]["executionSucceededEventDetails"]["output"] == '{"n":1}'


async def test_pass_without_result_passes_input_through_input_and_output_paths() -> None:
    definition = machine(
        {"P": {"Type": "Pass", "InputPath": "$.a", "ResultPath": "$.copy", "OutputPath": "$.copy", "End": True}}
    )
    result = await run(definition, {"a": {"x": 1}})
    assert result.output == {"x": 1}


async def test_null_input_path_gives_the_state_an_empty_object() -> None:
    result = await run(machine({"P": {"Type": "Pass", "InputPath": None, "End": True}}), {"a": 1})
    assert result.output == {}


async def test_fail_state_ends_execution_with_error_and_cause_and_no_exit_event() -> None:
    result = await run(machine({"F": {"Type": "Fail", "Error": "Oops", "Cause": "it broke"}}))
    assert (result.status, result.error, result.cause) == ("FAILED", "Oops", "it broke")
    assert [event["type"] for event in result.history] == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert result.history[-1]["executionFailedEventDetails"] == {"error": "Oops", "cause": "it broke"}


async def test_fail_without_error_reports_neither_error_nor_cause() -> None:
    result = await run(machine({"F": {"Type": "Fail"}}))
    assert (result.status, result.error, result.cause) == ("FAILED", None, None)
    assert result.history[-1]["executionFailedEventDetails"] == {}


async def test_fail_error_path_reads_variables() -> None:
    definition = machine(
        {
            "Set": {"Type": "Pass", "Assign": {"code": "E1"}, "Next": "F"},
            "F": {"Type": "Fail", "ErrorPath": "$code", "CausePath": "$.why"},
        }
    )
    result = await run(definition, {"why": "because"})
    assert (result.error, result.cause) == ("E1", "because")


async def test_runtime_error_cause_names_the_state_and_its_entered_event() -> None:
    definition = machine(
        {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "OutputPath": "$.nope", "End": True}}
    )
    result = await run(definition, {"x": 1})
    assert result.error == "States.Runtime"
    assert result.cause is not None
    assert result.cause.startswith("An error occurred while executing the state 'B' (entered at the event id #4). ")
