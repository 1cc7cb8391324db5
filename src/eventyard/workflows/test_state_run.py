"""One TestState run: a single state through the interpreter's state handlers, observed.

The state runs in a throwaway Express-like execution (``$$.Execution.Id`` is an ``express:`` ARN, as
AWS's is) on a virtual clock, so a Wait state does not wait. Its own handler from ``states/`` does
the work; what TestState reports besides the outcome is observed around it:

- ``inspectionData``: the raw input, each step of the data flow (afterInputPath, afterParameters or
  afterArguments, result, afterResultSelector, afterResultPath) as AWS-recorded answers show them
  per state type, the Map settings, the variables after the state, and ``errorDetails``;
- the status: SUCCEEDED (with ``nextState`` when the state has one), FAILED, RETRIABLE (a retrier
  takes the error and has attempts left, given ``retrierRetryCount``: nothing is retried, the
  answer says how long the back-off would be) or CAUGHT_ERROR (a catcher takes it: its ``Next``
  and the error output it builds).

A mocked Map or Parallel state does not run its branches: the mock is its result (Map iterations
that failed, ``mapIterationFailureCount``, count against the state's tolerated failures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from eventyard.clock import Clock
from eventyard.workflows import dataflow
from eventyard.workflows.errors import StatesError
from eventyard.workflows.history import entered_details
from eventyard.workflows.interpreter import RETRYABLE_TYPES, Interpreter, caught_outcome
from eventyard.workflows.model import ABSENT, State, StateMachine
from eventyard.workflows.retry import error_matches, reported_cause, reported_error, retry_delay
from eventyard.workflows.runtime import ExecutionInfo, Outcome, StateRun, Thread
from eventyard.workflows.states import HANDLERS
from eventyard.workflows.tasks import TaskInvoker, TaskRequest
from eventyard.workflows.test_state_mocks import Mock
from eventyard.workflows.variables import Scope

THRESHOLD_EXCEEDED = "The specified tolerated failure threshold was exceeded"
MAX_SECONDS = 99_999_999  # AWS's cap on waits and back-offs


@dataclass
class Trial:
    """What to run: the state, its input and variables, and the request's mock and configuration."""

    state: State
    input: Any
    info: ExecutionInfo
    variables: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] | None = None
    mock: Mock | None = None
    retry_count: int = 0
    map_failures: int | None = None


@dataclass
class TrialResult:
    status: str
    output: Any = ABSENT
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    inspection: dict[str, Any] = field(default_factory=dict)


class _Recording:
    """Keeps what the task was sent and what it answered, for afterParameters / result."""

    def __init__(self, inner: TaskInvoker) -> None:
        self.inner = inner
        self.parameters: Any = ABSENT
        self.result: Any = ABSENT

    async def invoke(self, request: TaskRequest) -> Any:
        self.parameters = request.parameters
        self.result = await self.inner.invoke(request)
        return self.result


class MockTasks:
    """The task invoker of a mocked Task: the mocked result, or the mocked error raised."""

    def __init__(self, mock: Mock) -> None:
        self.mock = mock

    async def invoke(self, request: TaskRequest) -> Any:
        if self.mock.failure is not None:
            raise StatesError(*self.mock.failure)
        return self.mock.result


class _TrialRun(StateRun):
    """A state run whose context object is TestState's: the one given, verbatim, or AWS's shape for
    a tested state (no RedriveCount; RetryCount only where a retrier can count)."""

    __slots__ = ("given", "shown")
    given: dict[str, Any] | None
    shown: tuple[dict[str, Any], dict[str, Any]] | None

    def context(self) -> dict[str, Any]:
        if self.given is not None:
            return self.given
        built = super().context()
        if self.shown is None or self.shown[0] is not built:
            context = dict(built)
            context["Execution"] = {k: v for k, v in built["Execution"].items() if k != "RedriveCount"}
            if self.state.type not in RETRYABLE_TYPES:
                context["State"] = {k: v for k, v in built["State"].items() if k != "RetryCount"}
            self.shown = (built, context)
        return self.shown[1]


async def run_trial(trial: Trial, tasks: TaskInvoker, clock: Clock) -> TrialResult:
    """Run the trial's state once (see the module doc)."""
    state = trial.state
    recorder = _Recording(MockTasks(trial.mock) if trial.mock is not None else tasks)
    machine = StateMachine(start_at=state.name, states={state.name: state}, query_language=state.query_language)
    execution = Interpreter(machine, tasks=recorder, clock=clock).execution(trial.info)
    thread = Thread(machine, Scope(trial.variables), last_event=0)
    execution.root = thread
    entered = execution.history.add(f"{state.type}StateEntered", 0, entered_details(state.name, trial.input))
    thread.last_event = entered
    run = _TrialRun(execution, thread, state, trial.input, entered, clock.now(), retry_count=trial.retry_count)
    run.given, run.shown = trial.context, None
    inspection: dict[str, Any] = {"input": trial.input}
    try:
        if not state.jsonata and state.type not in ("Parallel",):
            inspection["afterInputPath"] = dataflow.effective_input(run)
        if trial.mock is not None and state.type in ("Map", "Parallel"):
            outcome = _mocked_composite(run, trial, inspection)
        else:
            outcome = await HANDLERS[state.type](run)
            _observe(run, recorder, inspection)
        thread.scope.assign(outcome.assigned or {})
    except StatesError as exc:
        _observe(run, recorder, inspection, failed=True)
        result = _handle_error(run, trial, exc, inspection)
    except (TypeError, ValueError, ArithmeticError, KeyError, IndexError, AttributeError) as exc:
        # A definition the validator let through but a handler cannot run is the state's failure, not the API's.
        result = TrialResult(
            "FAILED", error="States.Runtime", cause=f"The state could not be run: {exc}", inspection=inspection
        )
    else:
        result = TrialResult("SUCCEEDED", output=outcome.output, next_state=outcome.next, inspection=inspection)
    if thread.scope.values:
        inspection["variables"] = dict(thread.scope.values)
    return result


def _observe(run: StateRun, recorder: _Recording, inspection: dict[str, Any], *, failed: bool = False) -> None:
    """The data-flow steps of a Pass or Task state, as AWS reports them."""
    state = run.state
    if state.type == "Task":
        if recorder.parameters is not ABSENT:
            inspection["afterArguments" if state.jsonata else "afterParameters"] = recorder.parameters
        if recorder.result is not ABSENT:
            inspection["result"] = recorder.result
            if not state.jsonata and not failed:
                _after_result(run, recorder.result, inspection)
    elif state.type == "Pass" and not state.jsonata and not failed:
        if "Result" in state.raw:
            inspection.pop("afterInputPath", None)
            inspection["result"] = state.raw["Result"]
            _after_result(run, state.raw["Result"], inspection, selector=False)
        else:
            effective = inspection.get("afterInputPath", run.raw_input)
            parameters = state.parameters
            produced = dataflow.resolve(run, parameters, effective) if parameters is not ABSENT else effective
            inspection["afterParameters"] = produced
            _after_result(run, produced, inspection, selector=False)


def _after_result(run: StateRun, result: Any, inspection: dict[str, Any], *, selector: bool = True) -> None:
    state = run.state
    if selector and state.result_selector is not ABSENT:
        result = dataflow.resolve(run, state.result_selector, result)
    inspection["afterResultSelector"] = result
    inspection["afterResultPath"] = dataflow.place_result(run, result)


def _mocked_composite(run: StateRun, trial: Trial, inspection: dict[str, Any]) -> Outcome:
    """A Map or Parallel state whose result is the mock (or whose error the mock is)."""
    state = run.state
    assert trial.mock is not None
    if state.type == "Map":
        _map_settings(run, trial, inspection)
    if trial.mock.failure is not None:
        raise StatesError(*trial.mock.failure)
    result = trial.mock.result
    if state.type == "Map":
        _check_tolerance(run, len(result) if isinstance(result, list) else 0, trial.map_failures or 0)
    if state.jsonata:
        output, assigned = dataflow.finish_jsonata(run, result)
    else:
        _after_result(run, result, inspection)
        output, assigned = dataflow.finish_jsonpath(run, result)
    return Outcome(output, state.next, assigned)


def _map_settings(run: StateRun, trial: Trial, inspection: dict[str, Any]) -> None:
    state = run.state
    raw = state.raw
    effective = inspection.get("afterInputPath", run.raw_input)
    if not state.jsonata and "ItemReader" not in raw:
        path = raw.get("ItemsPath", "$")
        items = dataflow.select(run, path, effective)
        if not isinstance(items, list):
            shown = path[1:] if path.startswith("$$") else path
            raise StatesError("States.Runtime", f'Reference path "{shown}" must point to array.')
        inspection["afterItemsPath"] = items
    inspection["maxConcurrency"] = _number(run, "MaxConcurrency", _setting(run, "MaxConcurrency", effective, 0))
    for name in ("ToleratedFailureCount", "ToleratedFailurePercentage"):
        if name in raw or f"{name}Path" in raw:
            value = _number(run, name, _setting(run, name, effective, 0))
            key = name[0].lower() + name[1:]
            inspection[key] = float(value) if name.endswith("Percentage") else int(value)


def _setting(run: StateRun, name: str, effective: Any, default: Any) -> Any:
    raw = run.state.raw
    if run.state.jsonata:
        value = raw.get(name, default)
        return dataflow.evaluate(run, value, name) if isinstance(value, str) else value
    if f"{name}Path" in raw:
        return dataflow.select(run, raw[f"{name}Path"], effective)
    return raw.get(name, default)


def _number(run: StateRun, name: str, value: Any) -> float:
    """A Map setting's number (a path may have produced a numeric string), else States.Runtime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise StatesError("States.Runtime", run.runtime_prefix() + f"The {name} value {value} is not valid.")


def _check_tolerance(run: StateRun, iterations: int, failures: int) -> None:
    """A Map that tolerates some failures fails once more than that many iterations failed."""
    raw = run.state.raw
    keys = ("ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage")
    if not any(key in raw for key in (*keys, "ToleratedFailurePercentagePath")):
        return
    count = int(_number(run, "ToleratedFailureCount", _setting(run, "ToleratedFailureCount", run.raw_input, 0)))
    percentage = _setting(run, "ToleratedFailurePercentage", run.raw_input, None)
    allowed = count
    if percentage is not None and iterations:
        share = _number(run, "ToleratedFailurePercentage", percentage)
        allowed = max(allowed, math.floor(iterations * share / 100))
    if failures > allowed:
        raise StatesError("States.ExceedToleratedFailureThreshold", THRESHOLD_EXCEEDED)


def _handle_error(run: StateRun, trial: Trial, exc: StatesError, inspection: dict[str, Any]) -> TrialResult:
    """RETRIABLE, CAUGHT_ERROR or FAILED, as the state's retriers and catchers decide."""
    state = run.state
    error, cause = reported_error(exc), reported_cause(exc)
    if state.type in RETRYABLE_TYPES:
        for index, retrier in enumerate(state.retry):
            if not error_matches(retrier.error_equals, exc.error):
                continue
            details: dict[str, Any] = {"retryIndex": index}
            inspection["errorDetails"] = details
            if trial.retry_count < int(retrier.max_attempts):
                try:
                    back_off = min(retry_delay(retrier, trial.retry_count), MAX_SECONDS)
                except OverflowError:
                    back_off = MAX_SECONDS
                details["retryBackoffIntervalSeconds"] = int(back_off)
                return TrialResult("RETRIABLE", error=error, cause=cause, inspection=inspection)
            break
        for index, catcher in enumerate(state.catch):
            if not error_matches(catcher.error_equals, exc.error):
                continue
            try:
                outcome = caught_outcome(run, catcher, exc)
                run.thread.scope.assign(outcome.assigned or {})
            except StatesError as failure:
                return TrialResult(
                    "FAILED", error=reported_error(failure), cause=reported_cause(failure), inspection=inspection
                )
            inspection["errorDetails"] = {**inspection.get("errorDetails", {}), "catchIndex": index}
            return TrialResult(
                "CAUGHT_ERROR", output=outcome.output, error=error, cause=cause, next_state=catcher.next,
                inspection=inspection,
            )  # fmt: skip
    return TrialResult("FAILED", error=error, cause=cause, inspection=inspection)
