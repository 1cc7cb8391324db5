"""Behaviour that AWS-recorded executions pin down, each test naming its evidence.

The evidence is LocalStack's snapshot files (``tests/aws/services/stepfunctions/v2/**.snapshot.json``),
recorded against real Step Functions; the definitions here are our own, shaped like the recorded ones.
"""

from __future__ import annotations

from typing import Any

from eventyard.workflows.errors import StatesError
from eventyard.workflows.tasks import CallableTasks
from tests.workflows.conftest import machine, run

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:work"


def links(result: Any) -> list[tuple[int, int, str]]:
    return [(event["id"], event["previousEventId"], event["type"]) for event in result.history]


def _pass_processor() -> dict[str, Any]:
    return {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}


# --- history links ---------------------------------------------------------------------------------


async def test_inline_map_iterations_chain_from_the_last_state_event_of_the_previous_one() -> None:
    """test_base_scenarios.snapshot.json test_map_state_nested (and service_history's inline map case):
    the first state links to nothing; MapIterationStarted links to the previous iteration's last state
    event, not to its MapIterationSucceeded; MapStateExited links where MapStateSucceeded does."""
    definition = machine({"Each": {"Type": "Map", "ItemProcessor": _pass_processor(), "End": True}})
    result = await run(definition, ["a", "b"])
    assert links(result) == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "MapStateEntered"),
        (3, 2, "MapStateStarted"),
        (4, 3, "MapIterationStarted"),
        (5, 4, "PassStateEntered"),
        (6, 5, "PassStateExited"),
        (7, 6, "MapIterationSucceeded"),
        (8, 6, "MapIterationStarted"),
        (9, 8, "PassStateEntered"),
        (10, 9, "PassStateExited"),
        (11, 10, "MapIterationSucceeded"),
        (12, 11, "MapStateSucceeded"),
        (13, 11, "MapStateExited"),
        (14, 13, "ExecutionSucceeded"),
    ]


async def test_a_failed_iteration_links_map_state_failed_to_its_last_state_event() -> None:
    """test_base_scenarios.snapshot.json test_map_state_catch: MapIterationFailed and MapStateFailed
    both follow the failing iteration's FailStateEntered; the caught MapStateExited follows MapStateFailed."""
    processor = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "E", "Cause": "C"}}}
    definition = machine(
        {
            "Each": {
                "Type": "Map",
                "ItemProcessor": processor,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        }
    )
    result = await run(definition, [1])
    assert links(result)[4:8] == [
        (5, 4, "FailStateEntered"),
        (6, 5, "MapIterationFailed"),
        (7, 5, "MapStateFailed"),
        (8, 7, "MapStateExited"),
    ]
    assert result.output == {"Error": "E", "Cause": "C"}


async def test_a_retried_map_starts_again_without_map_state_failed_in_between() -> None:
    """test_base_scenarios.snapshot.json test_map_state_retry: each retry is a new MapStateStarted
    (following the failed iteration's last state event); MapStateFailed comes once, when retries are spent."""
    processor = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "E", "Cause": "C"}}}
    definition = machine(
        {
            "Each": {
                "Type": "Map",
                "ItemProcessor": processor,
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                "End": True,
            }
        }
    )
    result = await run(definition, [1])
    assert links(result)[2:] == [
        (3, 2, "MapStateStarted"),
        (4, 3, "MapIterationStarted"),
        (5, 4, "FailStateEntered"),
        (6, 5, "MapIterationFailed"),
        (7, 5, "MapStateStarted"),
        (8, 7, "MapIterationStarted"),
        (9, 8, "FailStateEntered"),
        (10, 9, "MapIterationFailed"),
        (11, 9, "MapStateFailed"),
        (12, 11, "ExecutionFailed"),
    ]


async def test_a_retried_parallel_starts_again_without_parallel_state_failed_in_between() -> None:
    """test_base_scenarios.snapshot.json test_parallel_state_retry (and test_parallel_state for the
    success links: ParallelStateExited follows the event ParallelStateSucceeded follows)."""
    branch = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "E", "Cause": "C"}}}
    definition = machine(
        {
            "Both": {
                "Type": "Parallel",
                "Branches": [branch],
                "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1}],
                "End": True,
            }
        }
    )
    result = await run(definition)
    assert [event["type"] for event in result.history] == [
        "ExecutionStarted",
        "ParallelStateEntered",
        "ParallelStateStarted",
        "FailStateEntered",
        "ParallelStateStarted",
        "FailStateEntered",
        "ParallelStateFailed",
        "ExecutionFailed",
    ]
    passing = machine({"Both": {"Type": "Parallel", "Branches": [_pass_processor()], "End": True}})
    result = await run(passing)
    assert links(result)[-3:] == [
        (6, 5, "ParallelStateSucceeded"),
        (7, 5, "ParallelStateExited"),
        (8, 7, "ExecutionSucceeded"),
    ]


# --- ItemReader and ResultWriter without S3 ----------------------------------------------------------


def _reader_map(extra: dict[str, Any]) -> dict[str, Any]:
    processor = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **_pass_processor()}
    return machine({"Files": {"Type": "Map", "ItemProcessor": processor, "End": True, **extra}})


async def test_an_item_reader_fails_the_map_run_since_eventyard_serves_no_s3() -> None:
    """AWS reports a reader that cannot produce items as MapRunFailed/MapStateFailed with
    States.ItemReaderFailed, after MapStateStarted (length 0) and MapRunStarted
    (test_base_scenarios.snapshot.json test_map_item_reader_json_no_json_list_object)."""
    from eventyard.workflows.validate import validate_definition

    definition = _reader_map(
        {
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket.$": "$.bucket", "Key": "orders.json"},
            }
        }
    )
    validate_definition(definition)  # CreateStateMachine accepts it
    result = await run(definition, {"bucket": "inbox"})
    assert result.status == "FAILED"
    assert result.error == "States.ItemReaderFailed"
    assert result.cause is not None and result.cause.startswith("Eventyard serves no S3")
    assert "s3:getObject" in result.cause
    assert [event["type"] for event in result.history][2:] == [
        "MapStateStarted",
        "MapRunStarted",
        "MapRunFailed",
        "MapStateFailed",
        "ExecutionFailed",
    ]
    assert result.history[2]["mapStateStartedEventDetails"] == {"length": 0}
    assert result.history[4]["mapRunFailedEventDetails"]["error"] == "States.ItemReaderFailed"


async def test_an_item_reader_failure_is_caught_like_any_map_error() -> None:
    definition = _reader_map(
        {
            "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "inbox"}},
            "Catch": [{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Fallback"}],
        }
    )
    definition["States"]["Files"].pop("End")
    definition["States"]["Files"]["Next"] = "Fallback"
    definition["States"]["Fallback"] = {"Type": "Pass", "End": True}
    result = await run(definition)
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.ItemReaderFailed"


async def test_a_result_writer_fails_the_map_run_after_its_children_since_eventyard_serves_no_s3() -> None:
    definition = _reader_map(
        {
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "out", "Prefix": "r"},
            },
        }
    )
    result = await run(definition, [1, 2])
    assert (result.status, result.error) == ("FAILED", "States.ResultWriterFailed")
    assert result.cause is not None and "Eventyard serves no S3" in result.cause
    assert [event["type"] for event in result.history][-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]


async def test_an_item_reader_with_an_implementation_behind_it_still_reads() -> None:
    tasks = CallableTasks({"arn:aws:states:::s3:getObject": lambda parameters: [{"n": 1}, {"n": 2}]})
    definition = _reader_map({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {}}})
    result = await run(definition, {}, tasks)
    assert result.output == [{"n": 1}, {"n": 2}]


# --- JSONPath ------------------------------------------------------------------------------------------


async def test_a_wildcard_or_slice_over_a_missing_field_selects_an_empty_list() -> None:
    """test_base.snapshot.json test_json_path_array_wildcard_or_slice_with_no_input: with input {},
    ``$.items[*]``, ``$.item.items[1:5]``, ``$.items[*].itemValue`` all give ``[]``."""
    for path in ("$.items[*]", "$.item.items[1:5]", "$.items[:1].itemValue", "$[*]"):
        definition = machine({"Entry": {"Type": "Pass", "Parameters": {"item.$": path}, "End": True}})
        result = await run(definition, {})
        assert (result.status, result.output) == ("SUCCEEDED", {"item": []}), path


async def test_a_definite_path_over_a_missing_field_still_fails() -> None:
    definition = machine({"Entry": {"Type": "Pass", "Parameters": {"item.$": "$.items.first"}, "End": True}})
    result = await run(definition, {})
    assert result.error == "States.Runtime"


# --- the context object ----------------------------------------------------------------------------------


async def test_state_retry_count_is_in_a_task_context_but_not_in_a_pass_context() -> None:
    """test_base.snapshot.json test_query_context_object_values ($$.State of a Pass state: EnteredTime
    and Name only) and test_base_scenarios.snapshot.json test_lambda_service_invoke_with_retry_extended_input
    ($$.State.RetryCount counts a Task's retries)."""
    calls = 0

    def flaky(parameters: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise StatesError("Flaky", "first call")
        return parameters

    definition = machine(
        {
            "Look": {"Type": "Pass", "Parameters": {"state.$": "$$.State"}, "ResultPath": "$.pass", "Next": "Call"},
            "Call": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Parameters": {"state.$": "$$.State"},
                "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1}],
                "ResultPath": "$.task",
                "End": True,
            },
        }
    )
    result = await run(definition, {}, CallableTasks({FUNCTION: flaky}))
    assert set(result.output["pass"]["state"]) == {"EnteredTime", "Name"}
    assert result.output["task"]["state"]["RetryCount"] == 1
