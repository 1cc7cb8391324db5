"""Create-time checks of one state: the rules of its type, after the ones every type shares.

Each checker quotes the ASL rule it enforces; the Choice and Map rules, the largest, have modules
of their own.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from eventyard.workflows.validate_choice import check_choice
from eventyard.workflows.validate_common import (
    STATE_FIELDS,
    STATE_TYPES,
    check_data_flow,
    check_error_handling,
    check_language_fields,
    check_transition,
)
from eventyard.workflows.validate_jsonata import check_expressions
from eventyard.workflows.validate_map import check_map
from eventyard.workflows.validate_paths import check_reference_path, is_intrinsic_call, is_reference_path
from eventyard.workflows.validate_report import (
    MAX_SECONDS,
    StateContext,
    check_fields,
    check_integer,
    check_object,
    check_required,
    check_string,
    is_jsonata_string,
)

# RFC 3339 as AWS reads a Wait Timestamp: an uppercase T between date and time, and a zone.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_RESOURCE_ARN = re.compile(r"arn:[^:\s]+:[^:\s]+:[^:\s]*:[^:\s]*:\S+")


def _is_rfc3339(value: Any) -> bool:
    """The shape and a real date and time: month 13 or hour 25 are refused too (AWS-recorded:
    test_base_scenarios test_wait_timestamp_invalid[INVALID_DATE], [INVALID_TIME])."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return False
    return True


def check_seconds(context: StateContext, field_name: str, minimum: int) -> int | None:
    """An integer number of seconds (or a JSONata expression); returns the integer when it is one."""
    value = context.state[field_name]
    if context.jsonata and is_jsonata_string(value):
        check_expressions(context.report, value, context.at(field_name))
        return None
    if check_integer(context.report, value, context.at(field_name), minimum, MAX_SECONDS):
        return int(value)
    return None


def _check_pass(context: StateContext) -> None:
    """Pass: ``Result`` is any JSON value; nothing else beyond the shared data-flow fields."""


def _check_task(context: StateContext) -> None:
    """Task: ``Resource`` is required and is an ARN; a timeout and its Path twin are exclusive, and the
    heartbeat must be shorter than the timeout."""
    state, report = context.state, context.report
    if check_required(report, state, ("Resource",), context.location) and check_string(
        report, state["Resource"], context.at("Resource")
    ):
        resource = state["Resource"]
        if not _RESOURCE_ARN.fullmatch(resource):
            report.schema("Value is not a valid resource ARN", context.at("Resource"))
    timeout = heartbeat = None
    for field_name in ("TimeoutSeconds", "HeartbeatSeconds"):
        path_field = f"{field_name}Path"
        if field_name in state and path_field in state:
            report.only_one([field_name, path_field], context.location)
        if field_name in state:
            seconds = check_seconds(context, field_name, 1)
            if field_name == "TimeoutSeconds":
                timeout = seconds
            else:
                heartbeat = seconds
        if path_field in state and not context.jsonata:
            check_reference_path(report, state[path_field], path_field, context.at(path_field))
    if timeout is not None and heartbeat is not None and heartbeat >= timeout:
        report.schema("HeartbeatSeconds must be smaller than TimeoutSeconds", context.at("HeartbeatSeconds"))
    if "Credentials" in state and check_object(report, state["Credentials"], context.at("Credentials")):
        credentials = state["Credentials"]
        if "RoleArn" not in credentials and "RoleArn.$" not in credentials:
            report.schema("The field 'RoleArn' is required but was missing", context.at("Credentials"))
        if context.jsonata:
            check_expressions(report, credentials, context.at("Credentials"))


_WAIT_FIELDS = ["SecondsPath", "Seconds", "TimestampPath", "Timestamp"]


def _check_wait(context: StateContext) -> None:
    """Wait: exactly one of Seconds, SecondsPath, Timestamp, TimestampPath (JSONata: Seconds or
    Timestamp, either of which may be an expression)."""
    state, report = context.state, context.report
    present = [name for name in _WAIT_FIELDS if name in state]
    if len(present) > 1:
        report.only_one(_WAIT_FIELDS, context.location)
    elif not present:
        report.exactly_one(_WAIT_FIELDS, context.location)
    if "Seconds" in state:
        check_seconds(context, "Seconds", 0)
    if "Timestamp" in state:
        timestamp = state["Timestamp"]
        if context.jsonata and is_jsonata_string(timestamp):
            check_expressions(report, timestamp, context.at("Timestamp"))
        elif not _is_rfc3339(timestamp):
            report.schema("String does not match RFC3339 timestamp", context.at("Timestamp"))
    if not context.jsonata:
        for name in ("SecondsPath", "TimestampPath"):
            if name in state:
                check_reference_path(report, state[name], name, context.at(name))


def _check_fail(context: StateContext) -> None:
    """Fail: Error/ErrorPath and Cause/CausePath are each exclusive; the Paths are Reference Paths or
    intrinsic functions."""
    state, report = context.state, context.report
    for name in ("Error", "Cause"):
        path_field = f"{name}Path"
        if name in state and path_field in state:
            report.only_one([name, path_field], context.location)
        if name in state:
            if context.jsonata:
                check_expressions(report, state[name], context.at(name))
            else:
                check_string(report, state[name], context.at(name))
        if path_field in state and not context.jsonata:
            value = state[path_field]
            if not isinstance(value, str) or not (is_reference_path(value) or is_intrinsic_call(value)):
                report.schema(
                    f"The value for the field '{path_field}' must be a valid Reference Path or a valid intrinsic "
                    "function call",
                    context.at(path_field),
                )


def _check_succeed(context: StateContext) -> None:
    """Succeed: a terminal state with no fields beyond input, output and comment."""


def _check_parallel(context: StateContext) -> None:
    """Parallel: ``Branches`` is a non-empty array of state machines, each its own transition scope."""
    state, report = context.state, context.report
    if not check_required(report, state, ("Branches",), context.location):
        return
    branches = state["Branches"]
    if not isinstance(branches, list):
        report.wrong_type("ARRAY", context.at("Branches"))
        return
    if not branches:
        report.schema("Value cannot be empty", context.at("Branches"))
    for index, branch in enumerate(branches):
        context.check_scope(branch, context.at(f"Branches[{index}]"), frozenset())


_CHECKERS: dict[str, Callable[[StateContext], None]] = {
    "Pass": _check_pass,
    "Task": _check_task,
    "Choice": check_choice,
    "Wait": _check_wait,
    "Succeed": _check_succeed,
    "Fail": _check_fail,
    "Parallel": _check_parallel,
    "Map": check_map,
}


def check_state(context: StateContext, *, check_language: bool = True) -> None:
    """All rules for one state: its Type, its fields, its language, its transition and its own rules.

    ``check_language`` is off for a state that already failed for declaring JSONPath inside a
    JSONata machine: AWS reports that alone, not each JSONPath field on top of it.
    """
    state, report = context.state, context.report
    if "Type" not in state:
        report.required(["Type"], context.location)
        return
    state_type: Any = state["Type"]
    if state_type not in _CHECKERS:
        report.schema(
            f"The field 'Type' should have one of these values: [{', '.join(STATE_TYPES)}]", context.at("Type")
        )
        return
    allowed = STATE_FIELDS[state_type]
    check_fields(report, state, allowed, context.location)
    if check_language:
        check_language_fields(
            context, {name: value for name, value in state.items() if name in allowed}, context.location
        )
    if "Comment" in state:
        check_string(report, state["Comment"], context.at("Comment"))
    check_transition(context)
    check_data_flow(context)
    check_error_handling(context)
    _CHECKERS[state_type](context)


def state_is_terminal(state: Any) -> bool:
    """Whether a state can end the execution: Succeed, Fail, or ``"End": true``."""
    return isinstance(state, dict) and (state.get("Type") in ("Succeed", "Fail") or state.get("End") is True)
