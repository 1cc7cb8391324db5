"""The interpreter loop: run a state machine in-process, one state transition at a time.

An execution walks its states from ``StartAt``: each entry emits ``<Type>StateEntered``, runs the
state type's module (``states/``), applies Retry/Catch for Task, Parallel and Map
(``retry.py``), emits ``<Type>StateExited`` with the output and assigned variables, applies the
assignments, and moves to ``Next`` until a state ends its thread. Between two transitions the
whole execution is plain JSON-able data (:meth:`Execution.snapshot`), handed to the
``checkpoint`` hook, and :func:`resume_execution` continues from such a snapshot after a crash.

    result = await run_execution(definition, {"order": 1}, tasks=CallableTasks({...}))
    result.status, result.output, result.error, result.cause, result.history
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventyard.clock import Clock, VirtualClock
from eventyard.workflows import dataflow
from eventyard.workflows.errors import StatesError
from eventyard.workflows.history import History, entered_details, error_details, exited_details, payload
from eventyard.workflows.model import ABSENT, Catcher, StateMachine, parse_definition
from eventyard.workflows.retry import (
    PAYLOAD_LIMIT,
    choose_catcher,
    choose_retry,
    error_output,
    event_cause,
    reported_error,
    retry_delay,
)
from eventyard.workflows.runtime import (
    RETRYABLE_TYPES,
    Execution,
    ExecutionInfo,
    ExecutionTimedOut,
    Outcome,
    StateRun,
    Thread,
)
from eventyard.workflows.states import HANDLERS
from eventyard.workflows.tasks import CallableTasks, TaskInvoker
from eventyard.workflows.variables import Scope

ABORTABLE_TYPES = frozenset({"Task", "Wait", "Parallel", "Map"})
ACCOUNT = "000000000000"
REGION = "us-east-1"


@dataclass(slots=True)
class ExecutionResult:
    """How an execution ended, in DescribeExecution's terms."""

    status: str  # SUCCEEDED, FAILED, TIMED_OUT or ABORTED
    output: Any = None
    error: str | None = None
    cause: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, *, with_history: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "output": self.output, "error": self.error, "cause": self.cause}
        if with_history:
            body["history"] = self.history
        return body


def new_execution_info(
    machine_name: str = "workflow",
    execution_name: str | None = None,
    *,
    input: Any = None,
    start_time: float = 0.0,
    account: str = ACCOUNT,
    region: str = REGION,
    role_arn: str | None = None,
) -> ExecutionInfo:
    """The identity of an execution with AWS-shaped ARNs; an unnamed execution gets a UUID."""
    name = execution_name or str(uuid.uuid4())
    return ExecutionInfo(
        execution_arn=f"arn:aws:states:{region}:{account}:execution:{machine_name}:{name}",
        name=name,
        state_machine_arn=f"arn:aws:states:{region}:{account}:stateMachine:{machine_name}",
        state_machine_name=machine_name,
        role_arn=role_arn or f"arn:aws:iam::{account}:role/service-role/{machine_name}",
        start_time=start_time,
        input=input,
    )


class Interpreter:
    """Runs executions of one parsed state machine."""

    def __init__(
        self,
        definition: str | bytes | dict[str, Any] | StateMachine,
        *,
        tasks: TaskInvoker | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.machine = definition if isinstance(definition, StateMachine) else parse_definition(definition)
        self.tasks: TaskInvoker = tasks if tasks is not None else CallableTasks()
        self.clock: Clock = clock if clock is not None else VirtualClock(auto_advance=True)

    def execution(
        self,
        info: ExecutionInfo,
        *,
        checkpoint: Callable[[dict[str, Any]], None] | None = None,
        listener: Callable[[dict[str, Any]], None] | None = None,
    ) -> Execution:
        execution = Execution(
            machine=self.machine,
            info=info,
            clock=self.clock,
            tasks=self.tasks,
            history=History(self.clock.now, listener),
            checkpoint=checkpoint,
        )
        execution.run_thread = lambda thread, name, value, frame: run_thread(execution, thread, name, value, frame)
        return execution

    async def run(
        self,
        input: Any = None,
        *,
        info: ExecutionInfo | None = None,
        checkpoint: Callable[[dict[str, Any]], None] | None = None,
    ) -> ExecutionResult:
        """Start an execution with ``input`` and run it to its end."""
        value = {} if input is None else input
        if info is None:
            info = new_execution_info(input=value, start_time=self.clock.now())
        execution = self.execution(info, checkpoint=checkpoint)
        execution.history.add(
            "ExecutionStarted",
            0,
            {"input": payload(value), "inputDetails": {"truncated": False}, "roleArn": info.role_arn},
        )
        execution.root = Thread(self.machine, Scope(), last_event=0)  # AWS: the first state follows event 0
        return await finish_execution(execution, self.machine.start_at, value, None)

    async def resume(
        self, snapshot: dict[str, Any], *, checkpoint: Callable[[dict[str, Any]], None] | None = None
    ) -> ExecutionResult:
        """Continue an execution from a :meth:`Execution.snapshot` taken between two steps.

        The state that was running when the snapshot was taken is entered again (with its retry
        counters); a Parallel or Map keeps the outputs of the children that had finished.
        """
        info = ExecutionInfo.from_json(snapshot["execution"])
        execution = self.execution(info, checkpoint=checkpoint)
        frame = snapshot["root"]
        execution.root = Thread(self.machine, Scope(frame.get("variables")), last_event=frame.get("lastEvent", 0))
        return await finish_execution(execution, frame["state"], frame["input"], frame)


async def run_execution(
    definition: str | bytes | dict[str, Any] | StateMachine,
    input: Any = None,
    *,
    tasks: TaskInvoker | None = None,
    clock: Clock | None = None,
    info: ExecutionInfo | None = None,
) -> ExecutionResult:
    """Run one execution of ``definition`` in-process (a VirtualClock that skips waits by default)."""
    return await Interpreter(definition, tasks=tasks, clock=clock).run(input, info=info)


async def finish_execution(
    execution: Execution, start: str, value: Any, frame: dict[str, Any] | None
) -> ExecutionResult:
    root = execution.root
    assert root is not None
    history = execution.history
    timeout = execution.machine.timeout_seconds
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        execution.deadline = execution.info.start_time + timeout
    try:
        output = await run_thread(execution, root, start, value, frame)
    except ExecutionTimedOut:
        history.add("ExecutionTimedOut", root.last_event, {"error": "States.Timeout"})
        return ExecutionResult("TIMED_OUT", error="States.Timeout", history=history.events)
    except StatesError as exc:
        error, cause = reported_error(exc), event_cause(exc)
        history.add("ExecutionFailed", root.last_event, error_details(error, cause))
        return ExecutionResult("FAILED", error=error, cause=cause, history=history.events)
    history.add(
        "ExecutionSucceeded", root.last_event, {"output": payload(output), "outputDetails": {"truncated": False}}
    )
    return ExecutionResult("SUCCEEDED", output=output, history=history.events)


async def run_thread(execution: Execution, thread: Thread, name: str, value: Any, frame: dict[str, Any] | None) -> Any:
    """Walk one thread from state ``name`` until a state ends it; returns the thread's output."""
    execution.hooks.thread_started()
    try:
        while True:
            outcome = await run_state(execution, thread, name, value, frame)
            frame = None
            if outcome.next is None:
                return outcome.output
            name, value = outcome.next, outcome.output
    finally:
        execution.hooks.thread_ended()


async def run_state(
    execution: Execution, thread: Thread, name: str, value: Any, frame: dict[str, Any] | None = None
) -> Outcome:
    """Enter one state, run it (with its retriers and catchers), exit it."""
    state = thread.machine.states[name]
    history = thread.history or execution.history
    thread.state, thread.input = name, value
    entered_previous: int | None = None
    if frame and frame.get("entered"):  # resumed inside the state: it was entered before
        thread.entered_id, thread.entered_at = int(frame["entered"][0]), float(frame["entered"][1])
        thread.task = frame.get("task")
    else:
        entered_previous = thread.last_event
        thread.entered_id = history.add(f"{state.type}StateEntered", thread.last_event, entered_details(name, value))
        thread.entered_at = execution.clock.now()
        thread.last_event = thread.entered_id
        thread.task = None
    run = StateRun(execution, thread, state, value, thread.entered_id, thread.entered_at)
    run.entered_previous = entered_previous
    attempts = list(frame["retries"]) if frame and frame.get("retries") else [0] * len(state.retry)
    thread.retries = attempts
    run.retry_count = sum(attempts)
    if frame and frame.get("children"):
        run.resume = frame["children"]
    retry_at = frame.get("retryAt") if frame else None
    execution.saved()
    handler = HANDLERS[state.type]
    while True:
        try:
            if retry_at is not None:  # a resumed execution in the middle of a retry's back-off
                thread.retry_at = retry_at
                await execution.sleep_until(retry_at)
                thread.retry_at = retry_at = None
            outcome = await handler(run)
            break
        except StatesError as exc:
            dataflow.record_evaluation_failure(run, exc)
            if state.type not in RETRYABLE_TYPES:
                raise
            index = choose_retry(state.retry, attempts, exc)
            if index is not None:
                delay = retry_delay(state.retry[index], attempts[index])
                attempts[index] += 1
                run.retry_count += 1
                run.resume = None
                thread.task = None
                retry_at = execution.clock.now() + delay
                execution.saved()
                continue
            catcher = choose_catcher(state.catch, exc)
            if catcher is None:
                raise
            outcome = caught_outcome(run, catcher, exc)
            break
        except asyncio.CancelledError:
            if state.type in ABORTABLE_TYPES and not execution.hooks.suspending:
                run.emit(f"{state.type}StateAborted")
            raise
    thread.entered_id, thread.task = 0, None
    if state.type != "Fail":
        details = exited_details(name, outcome.output, outcome.assigned)
        if len(details["output"]) > PAYLOAD_LIMIT:
            raise StatesError(
                "States.DataLimitExceeded",
                f"The state/task '{name}' returned a result with a size exceeding "
                "the maximum number of bytes service limit.",
            )
        run.emit(f"{state.type}StateExited", details)
    if outcome.assigned:
        thread.scope.assign(outcome.assigned)
    return outcome


def caught_outcome(run: StateRun, catcher: Catcher, exc: StatesError) -> Outcome:
    """The outcome of a caught error: the error output placed by the catcher, and its Assign."""
    caught = error_output(exc)
    if run.state.jsonata:
        assigned = None
        if catcher.assign is not ABSENT and catcher.assign is not None:
            assigned = dataflow.evaluate(run, catcher.assign, "Catch/Assign", errorOutput=caught)
        output = caught
        if catcher.output is not ABSENT:
            output = dataflow.evaluate(run, catcher.output, "Catch/Output", errorOutput=caught)
        return Outcome(output, catcher.next, assigned)
    assigned = dataflow.jsonpath_assign(run, catcher.assign, caught)
    path = catcher.result_path if catcher.result_path is not ABSENT else "$"
    return Outcome(dataflow.place_result(run, caught, result_path=path), catcher.next, assigned)
