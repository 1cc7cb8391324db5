"""The mapping tests run on the real functions service, with in-process functions (``yard.functions.register``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import eventyard


class Functions:
    """Registers handlers on a yard's functions service; ``register`` answers the function's ARN."""

    def __init__(self, yard: eventyard.Yard) -> None:
        self.yard = yard

    def register(self, name: str, handler: Callable[[Any, Any], Any], **options: Any) -> str:
        return str(self.yard.functions.register(name, handler, **options).arn)


@pytest.fixture
def functions(yard: eventyard.Yard) -> Functions:
    return Functions(yard)
