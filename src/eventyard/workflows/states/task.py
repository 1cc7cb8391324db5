"""Task: one unit of work done by an integration, behind the TaskInvoker seam.

ASL (AWS "Task workflow state"):

- ``Resource`` names the work; ``Parameters`` (JSONPath) or ``Arguments`` (JSONata) build what is
  sent. With JSONPath the result goes through ResultSelector, ResultPath and OutputPath; with
  JSONata through ``Output`` (default: the result) and ``Assign``, both seeing ``$states.result``.
- ``TimeoutSeconds``/``TimeoutSecondsPath`` bound the run (``States.Timeout``);
  ``HeartbeatSeconds``/``HeartbeatSecondsPath`` bound the gap between heartbeats
  (``States.HeartbeatTimeout``). With JSONata both may be expressions.
- ``.waitForTaskToken`` puts a task token at ``$$.Task.Token``; the work ends when someone sends
  the token back, which the integration behind the invoker waits for.
- History: a function ARN gives ``LambdaFunctionScheduled/Started/Succeeded|Failed|TimedOut``,
  an activity ``Activity*``, every other resource ``TaskScheduled/Started/(Submitted)/Succeeded|
  Failed|TimedOut`` with ``resourceType``/``resource`` split from the ARN.
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.workflows import dataflow
from eventyard.workflows.errors import StatesError
from eventyard.workflows.history import error_details, payload
from eventyard.workflows.model import ABSENT
from eventyard.workflows.retry import PAYLOAD_LIMIT, Deadline, TaskResultTooLarge, reported_cause, reported_error
from eventyard.workflows.runtime import Outcome, StateRun
from eventyard.workflows.tasks import Resource, TaskRequest, parse_resource


async def run_task(run: StateRun) -> Outcome:
    state = run.state
    resource = parse_resource(str(state.raw.get("Resource", "")))
    attempt = run.thread.task
    resumed = attempt is not None and attempt.get("retry") == run.retry_count
    if not resumed:
        hooks = run.execution.hooks
        attempt = run.thread.task = {
            "id": hooks.new_attempt_id(run.execution),
            "retry": run.retry_count,
            "at": run.execution.clock.now(),
            "phase": "scheduled",
        }
    assert attempt is not None
    if (
        resource.pattern != "request-response"
    ):  # .sync tasks have $$.Task.Token too (test_callback test_sync_with_task_token)
        run.task_token = attempt["id"]
    if state.jsonata:
        parameters = (
            dataflow.evaluate(run, state.arguments, "Arguments") if state.arguments is not ABSENT else run.raw_input
        )
        timeout = _jsonata_seconds(run, "TimeoutSeconds")
        heartbeat = _jsonata_seconds(run, "HeartbeatSeconds")
    else:
        effective = dataflow.effective_input(run)
        parameters = dataflow.resolve(run, state.parameters, effective) if state.parameters is not ABSENT else effective
        timeout = _jsonpath_seconds(run, "TimeoutSeconds", effective)
        heartbeat = _jsonpath_seconds(run, "HeartbeatSeconds", effective)
    result = await _invoke(run, resource, parameters, timeout, heartbeat, attempt, resumed)
    if state.jsonata:
        output, assigned = dataflow.finish_jsonata(run, result)
    else:
        output, assigned = dataflow.finish_jsonpath(run, result)
    return Outcome(output, state.next, assigned)


async def _invoke(
    run: StateRun,
    resource: Resource,
    parameters: Any,
    timeout: float | None,
    heartbeat: float | None,
    attempt: dict[str, Any],
    resumed: bool,
) -> Any:
    """One attempt: its scheduled/started events (not again when resumed), the call, its outcome."""
    events = _Events(run, resource, attempt)
    if not resumed:
        events.scheduled(parameters, timeout, heartbeat)
    tasks = run.execution.tasks
    if getattr(tasks, "handles_deadlines", False):  # a durable invoker keeps them as timers itself
        deadline = Deadline(run.execution.clock, None, None, None, started=attempt["at"])
    else:
        deadline = Deadline(run.execution.clock, timeout, heartbeat, run.execution.deadline, started=attempt["at"])
    request = TaskRequest(
        resource=resource,
        parameters=parameters,
        state_name=run.state.name,
        execution_arn=run.execution.info.execution_arn,
        task_token=run.task_token if resource.pattern == "waitForTaskToken" else None,
        timeout_seconds=timeout,
        heartbeat_seconds=heartbeat,
        credentials=run.state.raw.get("Credentials"),
        on_heartbeat=deadline.beat,
        on_started=events.started,
        on_submitted=events.submitted,
        attempt=attempt,
        resumed=resumed,
    )
    if resource.kind != "activity":
        events.started(None)
    try:
        result = await deadline.run(tasks.invoke(request))
        if len(orjson.dumps(result)) > PAYLOAD_LIMIT:
            raise TaskResultTooLarge(resource.arn if resource.kind == "lambda" else resource.resource_type)
    except StatesError as exc:
        if exc.error in ("States.Timeout", "States.HeartbeatTimeout"):
            events.timed_out(exc)
        else:
            events.failed(exc)
        raise
    events.succeeded(result)
    return result


class _Events:
    """The history events of one task attempt, named for the kind of resource."""

    def __init__(self, run: StateRun, resource: Resource, attempt: dict[str, Any]) -> None:
        self.run = run
        self.resource = resource
        self.attempt = attempt
        self.prefix = {"lambda": "LambdaFunction", "activity": "Activity"}.get(resource.kind, "Task")
        self.has_started = attempt.get("phase") not in (None, "scheduled")

    def _ids(self) -> dict[str, Any]:
        if self.prefix != "Task":
            return {}
        return {"resourceType": self.resource.resource_type, "resource": self.resource.resource}

    def scheduled(self, parameters: Any, timeout: float | None, heartbeat: float | None) -> None:
        if self.prefix == "Task":
            details: dict[str, Any] = {**self._ids(), "region": self.resource.region, "parameters": payload(parameters)}
        else:
            details = {
                "resource": self.resource.arn,
                "input": payload(parameters),
                "inputDetails": {"truncated": False},
            }
        if timeout is not None:
            details["timeoutInSeconds"] = int(timeout)
        if heartbeat is not None and self.prefix != "LambdaFunction":
            details["heartbeatInSeconds"] = int(heartbeat)
        self.run.emit(f"{self.prefix}Scheduled", details)

    def started(self, worker_name: str | None) -> None:
        if self.has_started:
            return
        self.has_started = True
        self.attempt["phase"] = "started"
        if self.prefix == "Activity":
            self.run.emit("ActivityStarted", {"workerName": worker_name} if worker_name else {})
        elif self.prefix == "LambdaFunction":
            self.run.emit("LambdaFunctionStarted")
        else:
            self.run.emit("TaskStarted", self._ids())

    def submitted(self, response: Any) -> None:
        self.attempt["phase"] = "submitted"
        if self.prefix == "Task":
            self.run.emit(
                "TaskSubmitted", {**self._ids(), "output": payload(response), "outputDetails": {"truncated": False}}
            )

    def succeeded(self, result: Any) -> None:
        details = {**self._ids(), "output": payload(result), "outputDetails": {"truncated": False}}
        self.run.emit(f"{self.prefix}Succeeded", details)

    def failed(self, exc: StatesError) -> None:
        details = error_details(reported_error(exc), reported_cause(exc))  # SendTaskFailure may name neither
        self.run.emit(f"{self.prefix}Failed", {**self._ids(), **details})

    def timed_out(self, exc: StatesError) -> None:
        details = error_details(reported_error(exc), reported_cause(exc) or None)  # a timeout has no cause
        self.run.emit(f"{self.prefix}TimedOut", {**self._ids(), **details})


def _jsonpath_seconds(run: StateRun, field: str, data: Any) -> float | None:
    raw = run.state.raw
    if field in raw:
        return float(raw[field])
    path = raw.get(field + "Path")
    if not isinstance(path, str):
        return None
    value = dataflow.select(run, path, data)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise StatesError(
            "States.Runtime",
            run.runtime_prefix()
            + f"The {field}Path parameter does not reference a positive integer value: {path} == {value}",
        )
    return float(value)


def _jsonata_seconds(run: StateRun, field: str) -> float | None:
    raw = run.state.raw
    if field not in raw:
        return None
    value = dataflow.evaluate(run, raw[field], field)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise StatesError(
            "States.QueryEvaluationError",
            run.runtime_prefix() + f"The JSONata expression '{raw[field]}' specified for the field '{field}' "
            "returned an unexpected data type.",
        )
    return float(value)
