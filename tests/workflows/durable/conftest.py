"""The durable engine's suite: a yard on a virtual clock over each store, machines made with CreateStateMachine."""

from __future__ import annotations

import json
from typing import Any

import pytest

import eventyard

ROLE = "arn:aws:iam::000000000000:role/durable"


class Machines:
    """Creates state machines in a yard (``await machines.add(name, definition)`` -> its ARN)."""

    def __init__(self, yard: eventyard.Yard) -> None:
        self.yard = yard

    async def add(self, name: str, definition: dict[str, Any], kind: str = "STANDARD") -> str:
        created = await self.yard.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=ROLE, type=kind
        )
        return str(created["stateMachineArn"])


Catalogue = Machines


@pytest.fixture
def catalogue(yard: eventyard.Yard) -> Machines:
    return Machines(yard)
