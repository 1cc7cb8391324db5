"""TestState's ``context``: a Context object for the state under test, checked as AWS checks it.

The Context object given is what the state sees as ``$$`` (``$states.context``), verbatim: an
empty object is an empty context (AWS-recorded). It holds only the objects a real execution's
context has: ``Execution``, ``State``, ``StateMachine`` and, for a Task state that waits for a
token or a ``.sync`` job, ``Task``; ``Map`` cannot be mocked. Every refusal starts with ``Invalid
Context object provided:`` (AWS-recorded texts: ``Field 'Pokedex' is not allowed``, ``'Map' field
is not supported when mocking a Context object``, ``Execution.Id must be a string``, ``Context
object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken'
service integration pattern``).
"""

from __future__ import annotations

from typing import Any

from eventyard.errors import ValidationException
from eventyard.workflows.model import State
from eventyard.workflows.tasks import parse_resource

#: The members of each part of a Context object, and their JSON types (None: any).
_FIELDS: dict[str, dict[str, type | tuple[type, ...] | None]] = {
    "Execution": {
        "Id": str,
        "Input": None,
        "Name": str,
        "RoleArn": str,
        "StartTime": str,
        "RedriveCount": int,
        "RedriveTime": str,
    },
    "State": {"EnteredTime": str, "Name": str, "RetryCount": int},
    "StateMachine": {"Id": str, "Name": str},
    "Task": {"Token": str},
}


def _refuse(reason: str) -> ValidationException:
    return ValidationException(f"Invalid Context object provided: {reason}")


def check_context(context: Any, state: State) -> dict[str, Any]:
    """The Context object to run ``state`` with; ValidationException (AWS's texts) otherwise."""
    if not isinstance(context, dict):
        raise _refuse("Context object must be a JSON object")
    for part, value in context.items():
        if part == "Map":
            raise _refuse("'Map' field is not supported when mocking a Context object")
        fields = _FIELDS.get(part)
        if fields is None:
            raise _refuse(f"Field '{part}' is not allowed")
        if not isinstance(value, dict):
            raise _refuse(f"{part} must be an object")
        for name, item in value.items():
            if name not in fields:
                raise _refuse(f"Field '{name}' is not allowed")
            wanted = fields[name]
            if wanted is not None and (not isinstance(item, wanted) or isinstance(item, bool)):
                kind = "a string" if wanted is str else "a number"
                raise _refuse(f"{part}.{name} must be {kind}")
    if "Task" in context and not _waits(state):
        raise _refuse(
            "Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' "
            "service integration pattern"
        )
    return context


def _waits(state: State) -> bool:
    if state.type != "Task":
        return False
    return parse_resource(str(state.raw.get("Resource", ""))).pattern != "request-response"
