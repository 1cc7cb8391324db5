"""A yard on each store with the mapping operations served (see :mod:`.host`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import eventyard
from eventyard import yard as yards
from eventyard.clock import VirtualClock
from tests.functions.mappings.host import InProcessLambda


@pytest.fixture
async def yard(store: str, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[eventyard.Yard]:
    monkeypatch.setitem(yards.SERVICES, "lambda", "tests.functions.mappings.host:InProcessLambda")
    async with eventyard.open(store, clock=clock) as opened:
        yield opened


@pytest.fixture
def functions(yard: eventyard.Yard) -> InProcessLambda:
    service = yard.services["lambda"]
    assert isinstance(service, InProcessLambda)
    return service
