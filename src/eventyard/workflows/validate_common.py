"""Checks every state type shares: its fields, its query language, Next/End, data flow, Retry/Catch, Assign.

AWS refuses a field a state type does not have with ``Field 'X' is not supported`` located at the
state, and a field of the other query language with ``The QueryLanguage is set to 'JSONPath', but
field 'Output' is only supported for the 'JSONata' QueryLanguage``, also at the state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from eventyard.workflows.validate_jsonata import check_expressions
from eventyard.workflows.validate_paths import (
    check_path,
    check_payload_template,
    check_reference_path,
    is_path_or_intrinsic,
)
from eventyard.workflows.validate_report import (
    INVALID_VARIABLE_NAME,
    MAX_SECONDS,
    RESERVED_VARIABLE_NAME,
    Report,
    StateContext,
    check_fields,
    check_integer,
    check_object,
    check_required,
    is_number,
)

_COMMON = frozenset({"Type", "Comment", "QueryLanguage"})
_FLOW = frozenset({"Next", "End"})
_IO = frozenset({"InputPath", "OutputPath", "Output", "Assign"})

# The fields each state type may carry, measured against AWS (ValidateStateMachineDefinition).
STATE_FIELDS: dict[str, frozenset[str]] = {
    "Pass": _COMMON | _FLOW | _IO | {"Parameters", "Result", "ResultPath"},
    "Task": _COMMON
    | _FLOW
    | _IO
    | {"Parameters", "Arguments", "ResultPath", "ResultSelector", "Resource", "Credentials", "Retry", "Catch"}
    | {"TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"},
    "Choice": _COMMON | _IO | {"Choices", "Default"},
    "Wait": _COMMON | _FLOW | _IO | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
    "Succeed": _COMMON | {"InputPath", "OutputPath", "Output"},
    "Fail": _COMMON | {"Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": _COMMON
    | _FLOW
    | _IO
    | {"Parameters", "Arguments", "ResultPath", "ResultSelector", "Retry", "Catch", "Branches"},
    "Map": _COMMON
    | _FLOW
    | _IO
    | {"Parameters", "ItemSelector", "ResultPath", "ResultSelector", "Retry", "Catch", "Label"}
    | {"ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemReader", "ItemBatcher", "ResultWriter"}
    | {"MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath"}
    | {"ToleratedFailureCount", "ToleratedFailureCountPath"},
}
STATE_TYPES = ["Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map"]

JSONPATH_ONLY = (
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Result",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
    "ErrorPath",
    "CausePath",
)
JSONATA_ONLY = ("Output", "Arguments", "Items")

_TERMINAL_TYPES = frozenset({"Succeed", "Fail", "Choice"})


def language_mismatch(report: Report, jsonata: bool, field_name: str, location: str) -> None:
    own, other = ("JSONata", "JSONPath") if jsonata else ("JSONPath", "JSONata")
    report.schema(
        f"The QueryLanguage is set to '{own}', but field '{field_name}' is only supported "
        f"for the '{other}' QueryLanguage",
        location,
    )


def check_language_fields(context: StateContext, obj: Mapping[str, Any], location: str) -> None:
    """Fields of the other query language, reported in the order of AWS's own field lists."""
    for name in JSONPATH_ONLY if context.jsonata else JSONATA_ONLY:
        if name in obj:
            language_mismatch(context.report, context.jsonata, name, location)


def check_transition(context: StateContext) -> None:
    """Pass, Task, Wait, Parallel and Map need exactly one of Next (a state name) or End (true)."""
    state = context.state
    if state.get("Type") in _TERMINAL_TYPES:
        return
    has_next = "Next" in state
    ends = state.get("End") is True
    if "End" in state and not isinstance(state["End"], bool):
        context.report.wrong_type("BOOLEAN", context.at("End"))
    if has_next and "End" in state:
        context.report.only_one(["Next", "End"], context.location)
    elif not has_next and not ends:
        context.report.exactly_one(["Next", "End"], context.location)
    if has_next and not isinstance(state["Next"], str):
        context.report.wrong_type("STRING", context.at("Next"))


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_assign(context: StateContext, assign: Any, location: str, *, in_catcher: bool = False) -> None:
    """``Assign``: variable names are identifiers; values are paths (``"x.$"``) or JSONata by language."""
    report = context.report
    if not check_object(report, assign, location):
        return
    for key, value in assign.items():
        name = key[:-2] if key.endswith(".$") and not context.jsonata else key
        if name == "states":
            report.add(RESERVED_VARIABLE_NAME, "Cannot assign to reserved variable '$states'.", f"{location}/{key}")
        elif not _VARIABLE_NAME.fullmatch(name) or len(name) > 80:
            report.add(
                INVALID_VARIABLE_NAME,
                f"Invalid variable name '{name}': the variable name contains invalid characters.",
                f"{location}/{key}",
            )
        if context.jsonata:
            check_expressions(report, value, f"{location}/{key}", in_catcher=in_catcher)
        elif key.endswith(".$"):
            if not is_path_or_intrinsic(value):
                report.schema(
                    f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call",
                    f"{location}/{key}",
                )
        else:
            check_payload_template(report, value, f"{location}/{key}")


def check_data_flow(context: StateContext) -> None:
    """InputPath/Parameters/ResultSelector/ResultPath/OutputPath, or Arguments/Output, and Assign."""
    state, report = context.state, context.report
    if context.jsonata:
        for name in ("Arguments", "Output"):
            if name in state:
                check_expressions(report, state[name], context.at(name))
    else:
        for name in ("InputPath", "OutputPath"):
            if name in state:
                check_path(report, state[name], name, context.at(name))
        if "ResultPath" in state:
            check_reference_path(report, state["ResultPath"], "ResultPath", context.at("ResultPath"), nullable=True)
        # Any JSON value is accepted here (an array of templates too), as AWS accepts it.
        for name in ("Parameters", "ResultSelector"):
            if name in state:
                check_payload_template(report, state[name], context.at(name))
    if "Assign" in state:
        check_assign(context, state["Assign"], context.at("Assign"))


_RETRIER_FIELDS = frozenset(
    {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"}
)
_CATCHER_FIELDS = frozenset({"ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"})


def _check_error_equals(report: Report, errors: Any, location: str, *, last: bool) -> None:
    """A non-empty list of error names; ``States.ALL`` only alone, in the last retrier or catcher."""
    if not isinstance(errors, list):
        report.wrong_type("ARRAY", location)
        return
    if not errors:
        report.schema("Value cannot be empty", location)
        return
    for index, name in enumerate(errors):
        if not isinstance(name, str):
            report.wrong_type("STRING", f"{location}[{index}]")
    if "States.ALL" in errors and (len(errors) > 1 or not last):
        report.schema("States.ALL must appear alone and at end of list", location)


def _check_retrier(report: Report, retrier: Mapping[str, Any], location: str, *, last: bool) -> None:
    check_fields(report, retrier, _RETRIER_FIELDS, location)
    if check_required(report, retrier, ("ErrorEquals",), location):
        _check_error_equals(report, retrier["ErrorEquals"], f"{location}/ErrorEquals", last=last)
    if "IntervalSeconds" in retrier:
        check_integer(report, retrier["IntervalSeconds"], f"{location}/IntervalSeconds", 1, MAX_SECONDS)
    if "MaxAttempts" in retrier:
        check_integer(report, retrier["MaxAttempts"], f"{location}/MaxAttempts", 0, MAX_SECONDS)
    if "MaxDelaySeconds" in retrier:
        check_integer(report, retrier["MaxDelaySeconds"], f"{location}/MaxDelaySeconds", 1, 31_622_400)
    if "BackoffRate" in retrier:
        rate = retrier["BackoffRate"]
        if not is_number(rate):
            report.wrong_type("NUMBER", f"{location}/BackoffRate")
        elif rate < 1.0:
            report.schema("Minimum value is 1.0", f"{location}/BackoffRate")
    if "JitterStrategy" in retrier and retrier["JitterStrategy"] not in ("NONE", "FULL"):
        report.one_of(["NONE", "FULL"], f"{location}/JitterStrategy")


def _check_catcher(context: StateContext, catcher: Mapping[str, Any], location: str, *, last: bool) -> None:
    report = context.report
    check_fields(report, catcher, _CATCHER_FIELDS, location)
    if check_required(report, catcher, ("ErrorEquals", "Next"), location):
        _check_error_equals(report, catcher["ErrorEquals"], f"{location}/ErrorEquals", last=last)
    if "Next" in catcher and not isinstance(catcher["Next"], str):
        report.wrong_type("STRING", f"{location}/Next")
    if context.jsonata:
        if "ResultPath" in catcher:
            language_mismatch(report, True, "ResultPath", location)
        if "Output" in catcher:
            check_expressions(report, catcher["Output"], f"{location}/Output", in_catcher=True)
    else:
        if "Output" in catcher:
            language_mismatch(report, False, "Output", location)
        if "ResultPath" in catcher:
            check_reference_path(report, catcher["ResultPath"], "ResultPath", f"{location}/ResultPath", nullable=True)
    if "Assign" in catcher:
        check_assign(context, catcher["Assign"], f"{location}/Assign", in_catcher=True)


def check_error_handling(context: StateContext) -> None:
    """``Retry`` and ``Catch`` (on Task, Parallel and Map only: other types refuse the fields)."""
    report, state = context.report, context.state
    for field_name in ("Retry", "Catch"):
        if field_name not in state:
            continue
        entries = state[field_name]
        if not isinstance(entries, list):
            report.wrong_type("ARRAY", context.at(field_name))
            continue
        for index, entry in enumerate(entries):
            location = context.at(f"{field_name}[{index}]")
            if not check_object(report, entry, location):
                continue
            last = index == len(entries) - 1
            if field_name == "Retry":
                _check_retrier(report, entry, location, last=last)
            else:
                _check_catcher(context, entry, location, last=last)
