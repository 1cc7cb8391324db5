"""One execution's history folded into what the page draws: each state's status, input and output,
and a timeline of state runs with their retries.

The fold reads the history in order. ``<Type>StateEntered`` opens a run of the state (a state in a
Map is entered once per iteration: several runs), ``<Type>StateExited`` closes it as succeeded
(``caught`` when a failure inside it was caught), a task's ``TaskFailed``/``TaskTimedOut`` followed
by another ``TaskScheduled`` is a retry; ``ExecutionFailed``, ``ExecutionTimedOut`` and
``ExecutionAborted`` close every open run as failed (or aborted). A redrive enters the failed state
again, which opens a new run of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ENDS = {"ExecutionFailed": "failed", "ExecutionTimedOut": "failed", "ExecutionAborted": "aborted"}
FAILURES = ("Failed", "TimedOut")


@dataclass
class _Run:
    name: str
    type: str
    start: float
    input: str | None
    end: float | None = None
    output: str | None = None
    status: str = "running"
    retries: int = 0
    error: str | None = None
    cause: str | None = None
    redrive: int = 0  # the redrive this run belongs to: a later one supersedes the runs before it
    _failed: bool = False
    _scheduled: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "start": self.start, "end": self.end, "status": self.status,
            "retries": self.retries, "input": self.input, "output": self.output, "error": self.error,
            "cause": self.cause,
        }  # fmt: skip


@dataclass
class _Fold:
    runs: list[_Run] = field(default_factory=list)
    open: dict[str, list[_Run]] = field(default_factory=dict)
    last_task: _Run | None = None
    redrives: int = 0

    def enter(self, kind: str, details: dict[str, Any], at: float) -> None:
        run = _Run(details["name"], kind, at, details.get("input"), redrive=self.redrives)
        self.runs.append(run)
        self.open.setdefault(run.name, []).append(run)
        self.last_task = run if kind == "Task" else self.last_task

    def exit(self, details: dict[str, Any], at: float) -> None:
        opened = self.open.get(details["name"]) or []
        if not opened:
            return
        run = opened.pop(0)
        run.end, run.output = at, details.get("output")
        run.status = "caught" if run._failed else "succeeded"

    def task_event(self, kind: str, details: dict[str, Any]) -> None:
        run = self.last_task
        if run is None or run.end is not None:
            return
        if kind == "TaskScheduled":
            run._scheduled += 1
            if run._scheduled > 1:
                run.retries += 1
        elif kind.endswith(FAILURES):
            run._failed = True
            run.error, run.cause = details.get("error"), details.get("cause")

    def end(self, status: str, details: dict[str, Any], at: float) -> None:
        for opened in self.open.values():
            for run in opened:
                run.end, run.status = at, status
                run.error = run.error or details.get("error")
                run.cause = run.cause or details.get("cause")
            opened.clear()


def _details(event: dict[str, Any]) -> dict[str, Any]:
    return next((v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, dict)), {})


def fold(history: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"states": {name: {status, runs, input, output, retries, error}}, "timeline": [run...]}``."""
    state = _Fold()
    for event in history:
        kind: str = event["type"]
        at = float(event["timestamp"])
        details = _details(event)
        if kind.endswith("StateEntered"):
            state.enter(kind[: -len("StateEntered")], details, at)
        elif kind.endswith("StateExited"):
            state.exit(details, at)
        elif kind.startswith("Task") and not kind.endswith(("StateEntered", "StateExited", "StateAborted")):
            state.task_event(kind, details)
        elif kind in ENDS:
            state.end(ENDS[kind], details, at)
        elif kind == "ExecutionRedriven":
            state.redrives += 1
    states: dict[str, dict[str, Any]] = {}
    for run in state.runs:
        found = states.setdefault(run.name, {"runs": 0, "retries": 0, "status": run.status, "redrive": run.redrive})
        if run.redrive > found["redrive"]:  # run again by a redrive: what it does now is what counts
            found.update(runs=0, retries=0, redrive=run.redrive)
        found["runs"] += 1
        found["retries"] += run.retries
        found.update(input=run.input, output=run.output, error=run.error, cause=run.cause, type=run.type)
        found["status"] = _worst(found["status"], run.status) if found["runs"] > 1 else run.status
    return {"states": states, "timeline": [run.public() for run in state.runs]}


_RANK = {"succeeded": 0, "caught": 1, "running": 2, "aborted": 3, "failed": 4}


def _worst(a: str, b: str) -> str:
    """A state of several runs (Map iterations) shows the one that needs attention."""
    return a if _RANK.get(a, 0) >= _RANK.get(b, 0) else b
