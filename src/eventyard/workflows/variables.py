"""Workflow variables: the scopes AWS defines and the limits it enforces.

AWS ("Passing data between states with variables"):

- a state's ``Assign`` is evaluated with the variable values as they were when the state was
  entered, and takes effect when the state exits (so ``{"a": "{% $b %}", "b": "{% $a %}"}`` swaps);
- a Parallel branch or Map iteration gets its own scope: it reads the outer variables but cannot
  assign them (create-time validation rejects that), and what it assigns is invisible outside;
- a Distributed Map's child workflows see no outer variables at all;
- one variable may hold at most 256 KiB, one ``Assign`` at most 256 KiB in total, and an
  execution at most 10 MiB of variables; breaking a limit fails with ``States.DataLimitExceeded``.
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.workflows.errors import StatesError

VARIABLE_LIMIT = 256 * 1024
ASSIGN_LIMIT = 256 * 1024
TOTAL_LIMIT = 10 * 1024 * 1024


class Scope:
    """The variables one thread of control sees: its own, over its parent's (read-only)."""

    __slots__ = ("_visible", "parent", "values")

    def __init__(self, values: dict[str, Any] | None = None, parent: Scope | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})
        self.parent = parent
        self._visible: dict[str, Any] | None = None

    def visible(self) -> dict[str, Any]:
        """Every variable this scope can read: a flat dict, rebuilt only after an assignment."""
        if self.parent is None:
            return self.values
        if self._visible is None:
            self._visible = {**self.parent.visible(), **self.values}
        return self._visible

    def assign(self, assigned: dict[str, Any]) -> None:
        """Apply one state's (already evaluated) ``Assign``, checking AWS's size limits."""
        if not assigned:
            return
        total = 0
        for name, value in assigned.items():
            size = len(orjson.dumps(value))
            if size > VARIABLE_LIMIT:
                raise StatesError(
                    "States.DataLimitExceeded",
                    f"The variable '{name}' has a size of {size} bytes, exceeding the limit of {VARIABLE_LIMIT} bytes.",
                )
            total += size
        if total > ASSIGN_LIMIT:
            raise StatesError(
                "States.DataLimitExceeded",
                f"The Assign field has a combined size of {total} bytes, exceeding the limit of {ASSIGN_LIMIT} bytes.",
            )
        self.values.update(assigned)
        self._visible = None
        stored = len(orjson.dumps(self.values))
        if stored > TOTAL_LIMIT:
            raise StatesError(
                "States.DataLimitExceeded",
                f"The variables of this execution have a size of {stored} bytes, "
                f"exceeding the limit of {TOTAL_LIMIT} bytes.",
            )

    def child(self) -> Scope:
        """The scope of a Parallel branch or inline Map iteration."""
        return Scope(parent=self)
