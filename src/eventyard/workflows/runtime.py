"""The objects an execution is made of while it runs: the execution, its threads, one state's run.

- :class:`Execution` is one run of a state machine: identity (``$$.Execution``), clock, task
  invoker, history.
- :class:`Thread` is one line of control: the execution's top level, a Parallel branch or a Map
  iteration. It owns a variable :class:`Scope` and a ``frame`` of plain JSON-able data (current
  state, its input, variables, retry counters, and the progress of a running Parallel/Map), which
  is everything needed to persist the execution between steps and resume it after a crash.
- :class:`StateRun` is one entry into one state: raw input, the id of its ``*StateEntered`` event
  (AWS quotes it in error causes), the retry count, and the context object built from them.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from eventyard.clock import Clock
from eventyard.workflows.history import History
from eventyard.workflows.hooks import ExecutionHooks
from eventyard.workflows.model import State, StateMachine
from eventyard.workflows.tasks import TaskInvoker
from eventyard.workflows.variables import Scope

RETRYABLE_TYPES = frozenset({"Task", "Parallel", "Map"})


@functools.lru_cache(maxsize=256)
def iso_timestamp(seconds: float) -> str:
    """AWS's context-object timestamp: ISO 8601, UTC, milliseconds, ``Z``."""
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ExecutionTimedOut(Exception):
    """The execution ran past the machine's ``TimeoutSeconds``: not a States error, nothing catches it."""


@dataclass(slots=True)
class ExecutionInfo:
    """Who an execution is: what ``$$.Execution`` and ``$$.StateMachine`` report."""

    execution_arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    role_arn: str
    start_time: float
    input: Any
    #: None where AWS reports none: a synchronous Express execution (AWS-recorded).
    redrive_count: int | None = 0

    def context(self) -> dict[str, Any]:
        execution = {
            "Id": self.execution_arn,
            "Input": self.input,
            "Name": self.name,
            "RoleArn": self.role_arn,
            "StartTime": iso_timestamp(self.start_time),
        }
        if self.redrive_count is not None:
            execution["RedriveCount"] = self.redrive_count
        return {
            "Execution": execution,
            "StateMachine": {"Id": self.state_machine_arn, "Name": self.state_machine_name},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "executionArn": self.execution_arn,
            "name": self.name,
            "stateMachineArn": self.state_machine_arn,
            "stateMachineName": self.state_machine_name,
            "roleArn": self.role_arn,
            "startTime": self.start_time,
            "input": self.input,
            "redriveCount": self.redrive_count,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExecutionInfo:
        return cls(
            execution_arn=data["executionArn"],
            name=data["name"],
            state_machine_arn=data["stateMachineArn"],
            state_machine_name=data["stateMachineName"],
            role_arn=data["roleArn"],
            start_time=data["startTime"],
            input=data["input"],
            redrive_count=data.get("redriveCount", 0),
        )


@dataclass(slots=True)
class Execution:
    """One run of a state machine and the services it runs with."""

    machine: StateMachine
    info: ExecutionInfo
    clock: Clock
    tasks: TaskInvoker
    history: History
    checkpoint: Callable[[dict[str, Any]], None] | None = None
    run_thread: Callable[[Thread, str, Any, dict[str, Any] | None], Awaitable[Any]] | None = None
    root: Thread | None = None
    token_counter: int = 0
    deadline: float | None = None  # start + the machine's TimeoutSeconds
    hooks: ExecutionHooks = field(default_factory=ExecutionHooks)
    _context_base: dict[str, Any] = field(default_factory=dict)

    def context_base(self) -> dict[str, Any]:
        if not self._context_base:
            self._context_base = self.info.context()
        return self._context_base

    async def sleep_until(self, moment: float) -> None:
        """Wait on the clock, but never past the execution's deadline (then it has timed out).

        A durable engine parks the thread instead (see :mod:`.hooks`)."""
        if self.deadline is not None and moment > self.deadline:
            await self.hooks.sleep_until(self, self.deadline)
            raise ExecutionTimedOut
        await self.hooks.sleep_until(self, moment)

    def snapshot(self) -> dict[str, Any]:
        """The whole execution as plain JSON-able data (see :class:`Thread`)."""
        return {
            "execution": self.info.to_json(),
            "root": self.root.to_json() if self.root is not None else None,
            "historyLength": self.history.last_id,
        }

    def saved(self) -> None:
        """Tell the persistence hook that a step finished (one call per state transition)."""
        if self.checkpoint is not None and self.root is not None:
            self.checkpoint(self.snapshot())


@dataclass(slots=True)
class Thread:
    """One line of control; ``frame`` is its resumable position.

    frame = {"state": name, "input": value, "retries": [attempts per retrier], "children": {...},
             "lastEvent": id, "entered": [event id, time], "retryAt": time, "task": {...}}
    where "children" (present while a Parallel or Map state runs) maps a branch or item index to
    either {"output": value} (finished) or that child thread's own JSON. "entered" says the state's
    ``*StateEntered`` event exists, so a resumed execution goes on inside the state instead of
    entering it again; "retryAt" is the end of a retry's back-off; "task" is the current Task
    attempt (its id, which is also its task token, and how far it got).
    """

    machine: StateMachine
    scope: Scope
    last_event: int
    distributed: bool = False
    history: History | None = None  # a Distributed Map child workflow keeps its own
    state: str | None = None
    input: Any = None
    retries: list[int] = field(default_factory=list)
    children: dict[str, Any] = field(default_factory=dict)
    live_children: dict[str, Thread] = field(default_factory=dict)
    entered_id: int = 0  # the current state's *StateEntered event (0: not entered yet)
    entered_at: float = 0.0
    retry_at: float | None = None  # while a retry's back-off runs
    task: dict[str, Any] | None = None  # the current Task attempt

    def to_json(self) -> dict[str, Any]:
        children = dict(self.children)
        for key, child in self.live_children.items():
            if key not in children or "output" not in children[key]:
                children[key] = child.to_json()
        frame: dict[str, Any] = {
            "state": self.state,
            "input": self.input,
            "variables": dict(self.scope.values),
            "retries": list(self.retries),
            "children": children,
            "lastEvent": self.last_event,
        }
        if self.entered_id:
            frame["entered"] = [self.entered_id, self.entered_at]
        if self.retry_at is not None:
            frame["retryAt"] = self.retry_at
        if self.task is not None:
            frame["task"] = dict(self.task)
        return frame


@dataclass(slots=True)
class StateRun:
    """One entry into one state, as the state type modules see it."""

    execution: Execution
    thread: Thread
    state: State
    raw_input: Any
    entered_id: int
    entered_time: float
    retry_count: int = 0
    entered_previous: int | None = None  # the previousEventId of its *StateEntered event, when known
    task_token: str | None = None
    map_item: tuple[int, Any] | None = None
    resume: dict[str, Any] | None = None  # the children progress of a resumed Parallel/Map
    _context: tuple[Any, dict[str, Any]] | None = None

    @property
    def history(self) -> History:
        return self.thread.history or self.execution.history

    @property
    def variables(self) -> dict[str, Any]:
        return self.thread.scope.visible()

    def context(self) -> dict[str, Any]:
        """The context object ``$$`` / ``$states.context`` as this state sees it.

        Built once per (retry, token, Map item) since every path and template evaluation asks for it.
        """
        key = (self.retry_count, self.task_token, self.map_item)
        if self._context is not None and self._context[0] == key:
            return self._context[1]
        base = self.execution.context_base()
        context: dict[str, Any] = {
            "Execution": base["Execution"],
            "State": {"EnteredTime": iso_timestamp(self.entered_time), "Name": self.state.name},
            "StateMachine": base["StateMachine"],
        }
        if self.state.type in RETRYABLE_TYPES:  # a Pass state's $$.State has no RetryCount (AWS-recorded)
            context["State"]["RetryCount"] = self.retry_count
        if self.task_token is not None:
            context["Task"] = {"Token": self.task_token}
        if self.map_item is not None:
            context["Map"] = {"Item": {"Index": self.map_item[0], "Value": self.map_item[1]}}
        self._context = (key, context)
        return context

    def emit(self, event_type: str, details: dict[str, Any] | None = None) -> int:
        """Add an event on this state's thread (its previousEventId is the thread's last event)."""
        event_id = self.history.add(event_type, self.thread.last_event, details)
        self.thread.last_event = event_id
        return event_id

    def runtime_prefix(self) -> str:
        return (
            f"An error occurred while executing the state '{self.state.name}' "
            f"(entered at the event id #{self.entered_id}). "
        )


@dataclass(slots=True)
class Outcome:
    """What a state produced: its output, where to go next (None = end of its thread), assignments."""

    output: Any
    next: str | None
    assigned: dict[str, Any] | None = None
