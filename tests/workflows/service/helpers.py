"""Given/When/Then helpers for the Step Functions catalogue suite (in-process, every store)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eventyard.errors import EventyardError

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/workflows"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def definition(result: Any = None, comment: str | None = None) -> str:
    """A one-state machine whose Pass state injects ``result``: a different text per result."""
    state: dict[str, Any] = {"Type": "Pass", "End": True}
    if result is not None:
        state["Result"] = result
    machine: dict[str, Any] = {"StartAt": "P", "States": {"P": state}}
    if comment is not None:
        machine["Comment"] = comment
    return json.dumps(machine)


def machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


async def fails_with(code: str, call: Any, message: str | None = None) -> EventyardError:
    """Await ``call``; it must raise AWS's ``code`` (and, when given, exactly ``message``)."""
    with pytest.raises(EventyardError) as caught:
        await call
    assert caught.value.code == code, f"{caught.value.code}: {caught.value.message}"
    if message is not None:
        assert caught.value.message == message
    return caught.value


async def create(sfn: Any, name: str, definition_text: str = PASS, **more: Any) -> dict[str, Any]:
    answer: dict[str, Any] = await sfn.create_state_machine(name=name, definition=definition_text, roleArn=ROLE, **more)
    return answer
