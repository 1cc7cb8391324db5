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
    """test_base_scenarios.snapshot.json test_map_state_nested, MaxConcurrency 1 (and service_history's
    inline map case): the first state links to nothing; MapIterationStarted links to the previous
    iteration's last state event, not to its MapIterationSucceeded; MapStateExited links where
    MapStateSucceeded does. Iterations at once all follow MapStateStarted (test_timeouts
    test_service_lambda_map_timeout)."""
    definition = machine(
        {"Each": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": _pass_processor(), "End": True}}
    )
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
    concurrent = machine({"Each": {"Type": "Map", "ItemProcessor": _pass_processor(), "End": True}})
    result = await run(concurrent, ["a", "b"])
    assert [link for link in links(result) if link[2] == "MapIterationStarted"] == [
        (4, 3, "MapIterationStarted"),
        (8, 3, "MapIterationStarted"),
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


async def test_an_item_reader_the_service_does_not_serve_fails_the_same_way() -> None:
    """The durable service answers an S3 resource with States.Runtime ("does not serve"): the Map
    still reports States.ItemReaderFailed, and a ResultWriter States.ResultWriterFailed."""
    from eventyard.workflows.validate import validate_definition

    def not_served(parameters: Any) -> Any:
        raise StatesError("States.Runtime", "Eventyard does not serve the integration s3:getObject.")

    tasks = CallableTasks({"arn:aws:states:::s3:getObject": not_served, "arn:aws:states:::s3:putObject": not_served})
    reader = _reader_map({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {}}})
    result = await run(reader, {}, tasks)
    assert result.error == "States.ItemReaderFailed"
    assert result.cause is not None and result.cause.startswith("Eventyard serves no S3")
    writer = _reader_map({"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b"}}})
    validate_definition(writer)
    result = await run(writer, [1], tasks)
    assert result.error == "States.ResultWriterFailed"


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


# --- JSONata failures: EvaluationFailed and the field they name ------------------------------------------


async def test_a_failed_jsonata_evaluation_records_evaluation_failed_naming_the_field() -> None:
    """test_assign_reference_variables.snapshot.json test_undefined_reference[BASE_UNDEFINED_ASSIGN]:
    EvaluationFailed {error, cause, location, state} comes before ExecutionFailed, linked to the event
    the state's entry follows, and the field is named from the state field down (``Assign/result``)."""
    definition = machine(
        {
            "First": {"Type": "Pass", "Next": "Broken"},
            "Broken": {"Type": "Pass", "Assign": {"result": "{% $doesNotExist %}"}, "End": True},
        },
        QueryLanguage="JSONata",
    )
    result = await run(definition)
    cause = (
        "An error occurred while executing the state 'Broken' (entered at the event id #4). The JSONata "
        "expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined)."
    )
    assert (result.error, result.cause) == ("States.QueryEvaluationError", cause)
    assert links(result)[3:] == [(4, 3, "PassStateEntered"), (5, 3, "EvaluationFailed"), (6, 5, "ExecutionFailed")]
    assert result.history[4]["evaluationFailedEventDetails"] == {
        "error": "States.QueryEvaluationError",
        "cause": cause,
        "location": "Assign/result",
        "state": "Broken",
    }


async def test_arguments_and_output_failures_name_their_own_field() -> None:
    """test_undefined_reference[BASE_UNDEFINED_ARGUMENTS_FIELD] and [BASE_UNDEFINED_OUTPUT]: the
    field is ``Arguments/FunctionName`` and ``Output``, nothing put before it."""
    task = machine(
        {"Call": {"Type": "Task", "Resource": FUNCTION, "Arguments": {"FunctionName": "{% $nope %}"}, "End": True}},
        QueryLanguage="JSONata",
    )
    result = await run(task)
    assert result.cause is not None and "specified for the field 'Arguments/FunctionName' returned" in result.cause
    output = machine({"Out": {"Type": "Pass", "Output": "{% $nope %}", "End": True}}, QueryLanguage="JSONata")
    result = await run(output)
    assert result.cause is not None and "specified for the field 'Output' returned nothing" in result.cause
    assert result.history[2]["evaluationFailedEventDetails"]["location"] == "Output"


async def test_map_items_that_are_not_an_array_fail_with_aws_wording_and_map_state_failed() -> None:
    """test_base_scenarios.snapshot.json test_map_state_items_eval_jsonata_fail[object] and
    test_map_state_items_input_types[number]: the expression is quoted without its braces, the value
    rendered as JSON; without Items the input itself is blamed and no location is given; both record
    EvaluationFailed and then MapStateFailed."""
    processor = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
    items = machine(
        {"Each": {"Type": "Map", "Items": "{% {'foo': 'bar'} %}", "ItemProcessor": processor, "End": True}},
        QueryLanguage="JSONata",
    )
    result = await run(items)
    assert result.cause == (
        "An error occurred while executing the state 'Each' (entered at the event id #2). The JSONata expression "
        "'{'foo': 'bar'}' specified for the field 'Items' returned an unexpected result type. Expected 'array', "
        'but was \'object\' for value: {"foo":"bar"}'
    )
    assert links(result)[2:] == [(3, 0, "EvaluationFailed"), (4, 3, "MapStateFailed"), (5, 4, "ExecutionFailed")]
    plain = machine({"Each": {"Type": "Map", "ItemProcessor": processor, "End": True}}, QueryLanguage="JSONata")
    result = await run(plain, 1)
    assert result.cause == (
        "An error occurred while executing the state 'Each' (entered at the event id #2). "
        "Map state input must be an array but was: 1"
    )
    assert "location" not in result.history[2]["evaluationFailedEventDetails"]


async def test_a_jsonata_wait_timestamp_that_does_not_parse_is_a_query_evaluation_error() -> None:
    """test_base_scenarios.snapshot.json test_wait_timestamp_jsonata[NO_T]: States.QueryEvaluationError,
    location Timestamp, and this EvaluationFailed follows the Wait's entry itself."""
    definition = machine(
        {"Hold": {"Type": "Wait", "Timestamp": "{% $states.input.at %}", "End": True}}, QueryLanguage="JSONata"
    )
    result = await run(definition, {"at": "2016-12-05 21:29:29Z"})
    assert (result.error, result.cause) == (
        "States.QueryEvaluationError",
        "An error occurred while executing the state 'Hold' (entered at the event id #2). The Timestamp field "
        "cannot be parsed as an ISO-8601 extended offset date-time format string: 2016-12-05 21:29:29Z",
    )
    assert links(result)[2] == (3, 2, "EvaluationFailed")
    assert result.history[2]["evaluationFailedEventDetails"]["location"] == "Timestamp"


# --- Wait and Map paths: AWS's causes ---------------------------------------------------------------------


async def test_wait_seconds_path_causes() -> None:
    """test_wait.snapshot.json test_base_wait_seconds_path[1.5] and test_logs wait_seconds_path.json5
    (input {}): a fraction cannot be parsed as a long; a missing value is not an input value."""
    definition = machine({"Hold": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": True}})
    result = await run(definition, {"input": {"waitSeconds": 1.5}})
    assert result.cause == (
        "An error occurred while executing the state 'Hold' (entered at the event id #2). The SecondsPath "
        "parameter cannot be parsed as a long value: $.input.waitSeconds == 1.5"
    )
    result = await run(definition, {})
    assert (result.error, result.cause) == (
        "States.Runtime",
        "An error occurred while executing the state 'Hold' (entered at the event id #2). The SecondsPath "
        "parameter does not reference an input value: $.input.waitSeconds",
    )


def _limits_map(extra: dict[str, Any], mode: str = "INLINE") -> dict[str, Any]:
    processor = {
        "ProcessorConfig": {"Mode": mode},
        "StartAt": "Echo",
        "States": {"Echo": {"Type": "Pass", "End": True}},
    }
    return machine({"Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor, "End": True, **extra}})


async def test_max_concurrency_path_reads_the_value_as_text() -> None:
    """test_base_scenarios.snapshot.json test_max_concurrency_path[NoNumber] (the cause, before
    MapStateStarted) and test_assign_reference_variables test_reference_in_map_state
    [MAP_STATE_REFERENCE_IN_MAX_CONCURRENCY_PATH] (a variable holding "1" will do)."""
    definition = _limits_map({"MaxConcurrencyPath": "$.limit"})
    result = await run(definition, {"items": [1], "limit": "NoNumber"})
    assert result.cause == (
        "An error occurred while executing the state 'Each' (entered at the event id #2). The MaxConcurrencyPath "
        'field refers to value "NoNumber" which is not a valid integer: $.limit'
    )
    assert [event["type"] for event in result.history] == ["ExecutionStarted", "MapStateEntered", "ExecutionFailed"]
    result = await run(definition, {"items": [1, 2], "limit": "1"})
    assert (result.status, result.output) == ("SUCCEEDED", [1, 2])


async def test_tolerated_failure_paths_fail_a_distributed_map_after_it_starts() -> None:
    """test_base_scenarios.snapshot.json test_map_state_tolerated_failure_count_path[NoNumber] and [-1],
    test_map_state_tolerated_failure_percentage_path[{}] and [100.1]: MapStateStarted, then ExecutionFailed
    (no map run) with these causes."""
    prefix = "An error occurred while executing the state 'Each' (entered at the event id #2). "
    cases = [
        (
            "ToleratedFailureCountPath",
            "NoNumber",
            'The ToleratedFailureCountPath field refers to value "NoNumber" which is not a valid integer: $.tolerated',
        ),
        ("ToleratedFailureCountPath", -1, "ToleratedFailureCount cannot be negative."),
        (
            "ToleratedFailurePercentagePath",
            {},
            'The ToleratedFailurePercentagePath field refers to value "{}" which is not a valid float: $.tolerated',
        ),
        ("ToleratedFailurePercentagePath", 100.1, "ToleratedFailurePercentage must be between 0 and 100."),
    ]
    for field, value, cause in cases:
        result = await run(_limits_map({field: "$.tolerated"}, "DISTRIBUTED"), {"items": [0], "tolerated": value})
        assert (result.error, result.cause) == ("States.Runtime", prefix + cause), field
        assert [event["type"] for event in result.history][2:] == ["MapStateStarted", "ExecutionFailed"]


# --- timeouts ----------------------------------------------------------------------------------------------


async def test_a_heartbeat_timeout_is_reported_as_states_timeout_but_caught_by_its_own_name() -> None:
    """test_heartbeats.snapshot.json test_heartbeat_timeout (TaskTimedOut and ExecutionFailed say
    States.Timeout, no cause); AWS's error-handling guide keeps States.HeartbeatTimeout for Catch/Retry."""
    import asyncio

    async def silent(parameters: Any) -> Any:
        await asyncio.Event().wait()

    definition = machine(
        {
            "Ask": {
                "Type": "Task",
                "Resource": FUNCTION,
                "HeartbeatSeconds": 5,
                "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Expired"}],
                "End": True,
            },
            "Expired": {"Type": "Pass", "End": True},
        }
    )
    result = await run(definition, {}, CallableTasks({FUNCTION: silent}))
    assert result.output == {"Error": "States.Timeout", "Cause": ""}
    timed_out = next(event for event in result.history if event["type"] == "LambdaFunctionTimedOut")
    assert timed_out["lambdaFunctionTimedOutEventDetails"] == {"error": "States.Timeout"}


# --- task results over the payload limit ----------------------------------------------------------------


async def test_a_task_result_over_256_kib_fails_the_task_and_states_all_catches_it() -> None:
    """test_states_errors.snapshot.json
    test_service_task_lambada_catch_state_all_data_limit_exceeded_on_large_utf8_response and
    test_task_lambda_catch_state_all_...: TaskFailed/LambdaFunctionFailed with States.DataLimitExceeded,
    naming the resource type ('lambda') or the function ARN, caught by a States.ALL catcher."""
    big = "ü" * 140_000  # 280 000 bytes of UTF-8
    service = "arn:aws:states:::lambda:invoke"
    definition = machine(
        {
            "Invoke": {
                "Type": "Task",
                "Resource": service,
                "Parameters": {"FunctionName": "big"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}],
                "End": True,
            },
            "Handle": {"Type": "Pass", "End": True},
        }
    )
    result = await run(definition, {}, CallableTasks({service: lambda parameters: {"Payload": big}}))
    cause = "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit."
    assert result.output == {"Error": "States.DataLimitExceeded", "Cause": cause}
    failed = next(event for event in result.history if event["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"]["error"] == "States.DataLimitExceeded"
    direct = machine(
        {"Invoke": {"Type": "Task", "Resource": FUNCTION, "End": True}},
    )
    result = await run(direct, {}, CallableTasks({FUNCTION: lambda payload: big}))
    assert result.error == "States.DataLimitExceeded"
    assert result.cause is not None and result.cause.startswith(f"The state/task '{FUNCTION}' returned")
    assert "LambdaFunctionFailed" in [event["type"] for event in result.history]


async def test_a_state_output_over_the_limit_is_still_terminal() -> None:
    """test_states_errors.snapshot.json test_start_large_input: a Pass state's too large output fails
    the execution, naming the state; States.ALL does not catch it."""
    definition = machine(
        {
            "State_1": {
                "Type": "Pass",
                "Parameters": {"copy.$": "$.blob", "again.$": "$.blob"},
                "End": True,
            },
        }
    )
    result = await run(definition, {"blob": "x" * 140_000})
    assert (result.error, result.cause) == (
        "States.DataLimitExceeded",
        "The state/task 'State_1' returned a result with a size exceeding the maximum number of bytes service limit.",
    )


# --- Wait limits -------------------------------------------------------------------------------------------


async def test_a_wait_of_2_to_the_31_seconds_or_more_is_too_long() -> None:
    """test_wait.snapshot.json test_timestamp_too_far_in_future_boundary[24856] (24855 days still waits)."""
    definition = machine({"Hold": {"Type": "Wait", "SecondsPath": "$.s", "End": True}})
    result = await run(definition, {"s": 24856 * 86400})
    assert (result.error, result.cause) == (
        "States.Runtime",
        "An error occurred while executing the state 'Hold' (entered at the event id #2). "
        "Wait state delay is too long.",
    )
    result = await run(definition, {"s": 24855 * 86400})
    assert result.status == "SUCCEEDED"


# --- Fail paths, quoted names, task tokens, aborted tasks ----------------------------------------------------


async def test_a_fail_state_error_path_that_selects_nothing_names_the_field_and_the_input() -> None:
    """test_base_scenarios.snapshot.json test_invalid_jsonpath[INVALID_JSONPATH_IN_ERRORPATH] and
    [ST.INVALID_JSONPATH_IN_CAUSEPATH]."""
    definition = machine({"fail": {"Type": "Fail", "ErrorPath": "$.ErrorX", "CausePath": "$.Cause"}})
    result = await run(definition, {"Error": "error-value"})
    assert (result.error, result.cause) == (
        "States.Runtime",
        "An error occurred while executing the state 'fail' (entered at the event id #2). The JSONPath '$.ErrorX' "
        """specified for the field 'ErrorPath' could not be found in the input '{"Error":"error-value"}'""",
    )


async def test_a_backslash_in_a_quoted_name_stays_unless_it_escapes_the_quote() -> None:
    """test_base_scenarios.snapshot.json test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH]:
    ``$['Test\\\\""Name"']`` reads the key ``Test\\""Name"``."""
    definition = machine({"Read": {"Type": "Pass", "Parameters": {"value.$": '$[\'Test\\""Name"\']'}, "End": True}})
    result = await run(definition, {'Test\\""Name"': 'Value"\\'})
    assert result.output == {"value": 'Value"\\'}
    quoted = machine({"Read": {"Type": "Pass", "Parameters": {"value.$": "$['it\\'s']"}, "End": True}})
    assert (await run(quoted, {"it's": 1})).output == {"value": 1}


async def test_a_sync_task_sees_a_task_token_in_its_context() -> None:
    """test_callback.snapshot.json test_sync_with_task_token: a startExecution.sync task passes
    ``$$.Task.Token`` on."""
    resource = "arn:aws:states:::states:startExecution.sync"
    definition = machine(
        {"Start": {"Type": "Task", "Resource": resource, "Parameters": {"Token.$": "$$.Task.Token"}, "End": True}}
    )
    result = await run(definition, {}, CallableTasks({resource: lambda parameters: parameters}))
    assert result.status == "SUCCEEDED"
    assert isinstance(result.output["Token"], str) and result.output["Token"]


async def test_a_task_that_fails_a_parallel_branch_is_reported_aborted_too() -> None:
    """test_callback.snapshot.json test_sqs_failure_in_wait_for_task_tok_no_error_field
    [SQS_PARALLEL_WAIT_FOR_TASK_TOKEN]: TaskFailed, TaskStateAborted, then ParallelStateFailed
    (which, like TaskStateAborted, follows TaskFailed)."""

    def refuse(parameters: Any) -> Any:
        raise StatesError("Refused", "no")

    branch = {"StartAt": "Send", "States": {"Send": {"Type": "Task", "Resource": FUNCTION, "End": True}}}
    definition = machine(
        {
            "Job": {
                "Type": "Parallel",
                "Branches": [branch],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    result = await run(definition, {}, CallableTasks({FUNCTION: refuse}))
    assert links(result)[6:10] == [
        (7, 6, "LambdaFunctionFailed"),
        (8, 7, "TaskStateAborted"),
        (9, 7, "ParallelStateFailed"),
        (10, 9, "ParallelStateExited"),
    ]


async def test_the_service_accepts_an_s3_map_and_fails_its_run_with_item_reader_failed(yard: Any) -> None:
    """Through CreateStateMachine and StartExecution: the definition is accepted; the run fails with
    States.ItemReaderFailed (MapRunFailed, MapStateFailed) saying that Eventyard serves no S3."""
    import json

    definition = _reader_map(
        {
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                "Parameters": {"Bucket": "inbox", "Key": "orders.csv"},
            },
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out"}},
        }
    )
    client = yard.client("stepfunctions")
    created = await client.create_state_machine(
        name="s3-map", definition=json.dumps(definition), roleArn="arn:aws:iam::000000000000:role/r"
    )
    started = await client.start_execution(stateMachineArn=created["stateMachineArn"], input="{}")
    await yard.run_until_idle()
    described = await client.describe_execution(executionArn=started["executionArn"])
    assert (described["status"], described["error"]) == ("FAILED", "States.ItemReaderFailed")
    assert described["cause"].startswith("Eventyard serves no S3")
    events = (await client.get_execution_history(executionArn=started["executionArn"]))["events"]
    assert [event["type"] for event in events][-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]
