"""Wait: hold the execution for a time, then pass the input on.

ASL (AWS "Wait workflow state"): exactly one of ``Seconds`` (a non-negative integer),
``Timestamp`` (RFC 3339, e.g. ``2026-03-14T01:59:00Z``), ``SecondsPath`` or ``TimestampPath``
(a reference path into the input, or a variable). With JSONata, ``Seconds`` and ``Timestamp``
may be expressions. A timestamp in the past continues at once. A SecondsPath value that is not a
non-negative integer, or a TimestampPath value that is not a timestamp, fails the state with
``States.Runtime``. The output is the (filtered) input. Every wait goes through the Clock, so a
VirtualClock jumps over it. A wait of 2^31 seconds or more fails with ``Wait state delay is too long.``
"""

from __future__ import annotations

from typing import Any

from eventyard.workflows import dataflow, paths
from eventyard.workflows.errors import StatesError
from eventyard.workflows.runtime import Outcome, StateRun
from eventyard.workflows.states.choice import parse_timestamp

MAX_DELAY = 2**31  # seconds: AWS refuses a wait this long (24856 days) and accepts 24855 days


async def run_wait(run: StateRun) -> Outcome:
    state = run.state
    deadline = _jsonata_deadline(run) if state.jsonata else _jsonpath_deadline(run, dataflow.effective_input(run))
    if deadline - run.entered_time >= MAX_DELAY:  # AWS-recorded: test_wait test_timestamp_too_far_in_future_boundary
        raise _runtime(run, "Wait state delay is too long.")
    await run.execution.sleep_until(deadline)
    if state.jsonata:
        output, assigned = dataflow.finish_jsonata(run, None, has_result=False)
        return Outcome(output, state.next, assigned)
    data = dataflow.effective_input(run)
    assigned = dataflow.jsonpath_assign(run, state.assign, data)
    return Outcome(dataflow.filter_output(run, data), state.next, assigned)


def _jsonpath_deadline(run: StateRun, data: Any) -> float:
    raw = run.state.raw
    if "Seconds" in raw:
        return run.entered_time + float(raw["Seconds"])
    if "Timestamp" in raw:
        return _timestamp_deadline(run, raw["Timestamp"], "Timestamp", None)
    if "SecondsPath" in raw:
        path = raw["SecondsPath"]
        value = _reference(run, path, data, "SecondsPath")
        if isinstance(value, float):  # AWS-recorded: test_wait test_base_wait_seconds_path[1.5]
            raise _runtime(run, f"The SecondsPath parameter cannot be parsed as a long value: {path} == {value}")
        if not isinstance(value, int) or isinstance(value, bool):
            raise _runtime(
                run, f"The SecondsPath parameter does not reference a valid integer value: {path} == {value}"
            )
        if value < 0:
            raise _runtime(run, f"The SecondsPath parameter references a negative value: {path} == {value}")
        return run.entered_time + value
    if "TimestampPath" in raw:
        path = raw["TimestampPath"]
        return _timestamp_deadline(run, _reference(run, path, data, "TimestampPath"), "TimestampPath", path)
    return run.entered_time


def _reference(run: StateRun, path: str, data: Any, field: str) -> Any:
    """The value at a SecondsPath/TimestampPath; a path that selects nothing fails as AWS words it
    (test_logs wait_seconds_path: ``The SecondsPath parameter does not reference an input value``)."""
    try:
        return paths.evaluate_path(path, data, context=run.context(), variables=run.variables)
    except (paths.JsonPathMiss, paths.JsonPathSyntaxError):
        raise _runtime(run, f"The {field} parameter does not reference an input value: {path}") from None


def _jsonata_deadline(run: StateRun) -> float:
    raw = run.state.raw
    if "Seconds" in raw:
        value = dataflow.evaluate(run, raw["Seconds"], "Seconds")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != int(value) or value < 0:
            raise StatesError(
                "States.QueryEvaluationError",
                run.runtime_prefix()
                + f"The JSONata expression '{raw['Seconds']}' specified for the field 'Seconds' returned an unexpected"
                " data type. Expected a non-negative integer.",
            )
        return run.entered_time + int(value)
    if "Timestamp" in raw:
        value = dataflow.evaluate(run, raw["Timestamp"], "Timestamp")
        moment = parse_timestamp(value)
        if moment is None:  # AWS-recorded: test_base_scenarios test_wait_timestamp_jsonata[NO_T]
            raise StatesError(
                "States.QueryEvaluationError",
                run.runtime_prefix() + "The Timestamp field cannot be parsed as an ISO-8601 extended offset "
                f"date-time format string: {value}",
                location="Timestamp",
            )
        return moment.timestamp()
    return run.entered_time


def _timestamp_deadline(run: StateRun, value: Any, field: str, path: str | None) -> float:
    moment = parse_timestamp(value)
    if moment is None:
        shown = f"{path} == {value}" if path else str(value)
        raise _runtime(
            run,
            f"The {field} parameter does not reference a valid ISO-8601 "
            f"extended offset date-time format string: {shown}",
        )
    return moment.timestamp()


def _runtime(run: StateRun, message: str) -> StatesError:
    return StatesError("States.Runtime", run.runtime_prefix() + message)
