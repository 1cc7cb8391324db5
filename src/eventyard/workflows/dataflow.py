"""How data moves through a state: the JSONPath pipeline and its JSONata counterpart.

JSONPath states (AWS "Processing input and output"): the raw input goes through ``InputPath``,
then ``Parameters`` (or ``ItemSelector``); the task's result through ``ResultSelector``, is placed
into the *raw* input at ``ResultPath``, and the whole goes through ``OutputPath``. ``null`` for
InputPath/OutputPath means ``{}``; ``null`` for ResultPath discards the result.

JSONata states: ``Arguments`` and ``Output`` are templates over ``$states`` (``input``,
``context``, ``result`` once there is one, ``errorOutput`` in a Catch); without ``Output`` a state's
output is its result (or its input when it has none).

Expression errors (a path matching nothing, an intrinsic failing, a JSONata error) come from
the expression modules as a :class:`StatesError` whose cause is AWS's fragment; here they get the
prefix AWS puts before it, naming the state and the id of its ``*StateEntered`` event.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from eventyard.workflows import jsonata, paths
from eventyard.workflows.errors import StatesError
from eventyard.workflows.model import ABSENT
from eventyard.workflows.runtime import StateRun

T = TypeVar("T")

PREFIXED_ERRORS = frozenset({"States.Runtime", "States.QueryEvaluationError", "States.IntrinsicFailure"})


def located(run: StateRun, evaluate: Callable[[], T]) -> T:
    """Run an expression evaluation, giving its error the state-naming prefix AWS reports."""
    try:
        return evaluate()
    except StatesError as exc:
        raise locate_error(run, exc) from None


def locate_error(run: StateRun, exc: StatesError) -> StatesError:
    if exc.error in PREFIXED_ERRORS and not exc.cause.startswith("An error occurred while executing the state"):
        return StatesError(exc.error, run.runtime_prefix() + exc.cause, location=exc.location)
    return exc


_FIELD_IN_CAUSE = re.compile(r"specified for the field '([^']*)'")


def record_evaluation_failure(run: StateRun, exc: StatesError) -> None:
    """AWS's ``EvaluationFailed`` event for a JSONata failure (``States.QueryEvaluationError``).

    Recorded once per error, before Retry/Catch see it, with ``{error, cause, location, state}``.
    AWS links it to the event the state's entry follows (a Wait's Timestamp: to the entry itself),
    and the state's next event (``MapStateFailed``, ``ExecutionFailed``) follows it
    (test_assign_reference_variables test_undefined_reference, test_base_scenarios
    test_map_state_items_eval_jsonata_fail and test_wait_timestamp_jsonata).
    """
    if exc.error != jsonata.QUERY_EVALUATION_ERROR or exc.evaluation_recorded:
        return
    exc.evaluation_recorded = True
    details: dict[str, Any] = {"error": exc.error, "cause": exc.cause}
    found = _FIELD_IN_CAUSE.search(exc.cause)
    location = exc.location or (found.group(1) if found else None)
    if location:
        details["location"] = location
    details["state"] = run.state.name
    thread = run.thread
    previous = thread.last_event
    if thread.last_event == run.entered_id and run.entered_previous is not None and run.state.type != "Wait":
        previous = run.entered_previous
    thread.last_event = run.history.add("EvaluationFailed", previous, details)


# --- JSONPath ------------------------------------------------------------------------------------


def select(run: StateRun, path: str, data: Any) -> Any:
    return located(run, lambda: paths.select(path, data, context=run.context(), variables=run.variables))


def effective_input(run: StateRun) -> Any:
    """The raw input filtered by ``InputPath``."""
    path = run.state.input_path
    if path is ABSENT or path == "$":
        return run.raw_input
    if path is None:
        return {}
    return select(run, path, run.raw_input)


def resolve(run: StateRun, template: Any, data: Any, context: dict[str, Any] | None = None) -> Any:
    """A payload template (Parameters, ResultSelector, ItemSelector, Assign) resolved against ``data``."""
    ctx = run.context() if context is None else context
    return located(run, lambda: paths.resolve_payload(template, data, context=ctx, variables=run.variables))


def place_result(run: StateRun, result: Any, result_path: Any = ABSENT, state_input: Any = ABSENT) -> Any:
    """``result`` placed into the raw input at ``ResultPath`` (``$`` when absent, dropped when null)."""
    path = run.state.result_path if result_path is ABSENT else result_path
    raw = run.raw_input if state_input is ABSENT else state_input
    if path is ABSENT or path == "$":
        return result
    if path is None:
        return raw
    return located(run, lambda: paths.apply_result_path(path, raw, result))


def filter_output(run: StateRun, value: Any) -> Any:
    path = run.state.output_path
    if path is ABSENT or path == "$":
        return value
    if path is None:
        return {}
    return select(run, path, value)


def jsonpath_assign(run: StateRun, assign: Any, data: Any) -> dict[str, Any] | None:
    """A JSONPath ``Assign`` block evaluated against ``data`` (the state's result, or error output)."""
    if assign is ABSENT or assign is None:
        return None
    return resolve(run, assign, data)


def finish_jsonpath(run: StateRun, result: Any, *, selector: bool = True) -> tuple[Any, dict[str, Any] | None]:
    """ResultSelector -> Assign -> ResultPath -> OutputPath for a state that produced ``result``."""
    state = run.state
    if selector and state.result_selector is not ABSENT:
        result = resolve(run, state.result_selector, result)
    assigned = jsonpath_assign(run, state.assign, result)
    return filter_output(run, place_result(run, result)), assigned


# --- JSONata -------------------------------------------------------------------------------------


def states_binding(run: StateRun, **extra: Any) -> dict[str, Any]:
    binding: dict[str, Any] = {"input": run.raw_input, "context": run.context()}
    binding.update(extra)
    return binding


def evaluate(run: StateRun, template: Any, field: str, **extra: Any) -> Any:
    """A JSONata template (any JSON value with ``{% %}`` strings in it) evaluated for ``field``."""
    if not _has_expression(template):
        return template
    binding = states_binding(run, **extra)
    try:
        return jsonata.evaluate_template(template, states=binding, variables=run.variables, field=field)
    except StatesError as exc:
        raise locate_error(run, exc) from None


def finish_jsonata(run: StateRun, result: Any, *, has_result: bool = True) -> tuple[Any, dict[str, Any] | None]:
    """Assign and Output of a JSONata state, both seeing ``$states.result`` and the entry variables."""
    state = run.state
    extra = {"result": result} if has_result else {}
    assigned = None
    if state.assign is not ABSENT and state.assign is not None:
        assigned = evaluate(run, state.assign, "Assign", **extra)
    if state.output is ABSENT:
        output = result if has_result else run.raw_input
    else:
        output = evaluate(run, state.output, "Output", **extra)
    return output, assigned


def _has_expression(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("{%")
    if isinstance(value, dict):
        return any(_has_expression(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_expression(v) for v in value)
    return False
