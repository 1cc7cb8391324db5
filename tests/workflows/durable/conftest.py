"""The durable engine's suite: a yard on a virtual clock over each store, with a small catalogue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

import eventyard
from eventyard.service import RequestContext
from eventyard.workflows.executions import ResolvedMachine

ROLE = "arn:aws:iam::000000000000:role/durable"


@dataclass(frozen=True)
class Machine:
    state_machine_arn: str
    name: str
    definition: str
    type: str = "STANDARD"
    role_arn: str = ROLE
    version_arn: str | None = None
    alias_arn: str | None = None
    logging_configuration: Any = None
    tracing_configuration: Any = None
    revision_id: str | None = None


class Catalogue:
    """Machines by ARN, for the engine's tests (the service's own catalogue is tested beside it)."""

    def __init__(self) -> None:
        self.machines: dict[str, Machine] = {}

    def add(self, name: str, definition: dict[str, Any], kind: str = "STANDARD") -> str:
        arn = f"arn:aws:states:us-east-1:000000000000:stateMachine:{name}"
        self.machines[arn] = Machine(arn, name, json.dumps(definition), kind)
        return arn

    async def resolve(self, context: RequestContext, arn: str) -> ResolvedMachine:
        from eventyard.errors import ClientError

        if arn not in self.machines:
            raise ClientError(f"State Machine Does Not Exist: '{arn}'", code="StateMachineDoesNotExist")
        return self.machines[arn]


@pytest.fixture
def catalogue(yard: eventyard.Yard) -> Catalogue:
    machines = Catalogue()
    yard.services["stepfunctions"].catalogue = machines  # type: ignore[attr-defined]
    return machines
