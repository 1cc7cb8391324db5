"""Pass, Succeed and Fail: the states that do no work of their own.

ASL (states-language.net, AWS "Pass workflow state"): a Pass state passes its input to its
output, or injects ``Result``; with JSONPath, ``Parameters`` builds the result from the input and
``ResultPath`` places it. "Succeed" stops its thread successfully (its output is its filtered
input); it has no Next and no End. "Fail" stops the execution (or the enclosing branch) with
``Error``/``Cause``, taken from ``ErrorPath``/``CausePath`` (a path or an intrinsic function) or,
with JSONata, from expressions; it has no output, so no ``FailStateExited`` event.
"""

from __future__ import annotations

from typing import Any

from eventyard.workflows import dataflow, intrinsics, paths
from eventyard.workflows.errors import StatesError
from eventyard.workflows.model import ABSENT
from eventyard.workflows.runtime import Outcome, StateRun


async def run_pass(run: StateRun) -> Outcome:
    state = run.state
    if state.jsonata:
        output, assigned = dataflow.finish_jsonata(run, None, has_result=False)
        return Outcome(output, state.next, assigned)
    effective = dataflow.effective_input(run)
    if state.parameters is not ABSENT:
        result = dataflow.resolve(run, state.parameters, effective)
    elif "Result" in state.raw:
        result = state.raw["Result"]
    else:
        result = effective
    output, assigned = dataflow.finish_jsonpath(run, result, selector=False)
    return Outcome(output, state.next, assigned)


async def run_succeed(run: StateRun) -> Outcome:
    if run.state.jsonata:
        output, _ = dataflow.finish_jsonata(run, None, has_result=False)
        return Outcome(output, None)
    return Outcome(dataflow.filter_output(run, dataflow.effective_input(run)), None)


class FailStateError(StatesError):
    """The error a Fail state raises; AWS reports an absent Error or Cause as absent, not empty."""

    def __init__(self, error: str | None, cause: str | None) -> None:
        super().__init__(error or "", cause or "")
        self.reported_error = error
        self.reported_cause = cause


async def run_fail(run: StateRun) -> Outcome:
    raw = run.state.raw
    if run.state.jsonata:
        error = dataflow.evaluate(run, raw["Error"], "Error") if "Error" in raw else None
        cause = dataflow.evaluate(run, raw["Cause"], "Cause") if "Cause" in raw else None
    else:
        error = _static_or_path(run, raw, "Error")
        cause = _static_or_path(run, raw, "Cause")
    raise FailStateError(_text(error), _text(cause))


def _static_or_path(run: StateRun, raw: dict[str, Any], field: str) -> Any:
    if field in raw:
        return raw[field]
    path = raw.get(field + "Path")
    if not isinstance(path, str):
        return None
    if intrinsics.is_intrinsic(path):
        return dataflow.located(
            run,
            lambda: intrinsics.evaluate_intrinsic(path, run.raw_input, context=run.context(), variables=run.variables),
        )
    try:
        return paths.evaluate_path(path, run.raw_input, context=run.context(), variables=run.variables)
    except (paths.JsonPathMiss, paths.JsonPathSyntaxError):  # AWS-recorded: test_invalid_jsonpath[...ERRORPATH]
        raise StatesError(
            "States.Runtime",
            run.runtime_prefix() + f"The JSONPath '{path}' specified for the field '{field}Path' could not be found "
            f"in the input '{paths.to_json(run.raw_input)}'",
        ) from None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(value)
