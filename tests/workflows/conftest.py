"""Shared helpers for the workflow interpreter tests."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.clock import VirtualClock
from eventyard.workflows.interpreter import ExecutionResult, Interpreter
from eventyard.workflows.tasks import CallableTasks


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    """A definition from its states; StartAt defaults to the first state."""
    return {"StartAt": start or next(iter(states)), "States": states, **top}


async def run(definition: dict[str, Any], input: Any = None, tasks: CallableTasks | None = None) -> ExecutionResult:
    clock = VirtualClock(start=1_700_000_000.0, auto_advance=True)
    return await Interpreter(definition, tasks=tasks, clock=clock).run({} if input is None else input)


@pytest.fixture
def tasks() -> CallableTasks:
    return CallableTasks()
