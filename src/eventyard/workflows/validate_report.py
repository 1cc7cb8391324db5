"""The diagnostics a definition check collects, and the small type checks every rule shares.

AWS reports each problem as a code (``SCHEMA_VALIDATION_FAILED``, ``MISSING_TRANSITION_TARGET``...),
a message and a JSON-pointer-like location (``/States/Foo/Catch[0]/Next``). The texts here are the
ones AWS answers with (measured by others with ``validate-state-machine-definition``), so a
definition refused by Eventyard reads exactly as the AWS refusal would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "SCHEMA_VALIDATION_FAILED"
MISSING_TRANSITION_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END_STATE = "MISSING_END_STATE"
DUPLICATE_STATE_NAME = "DUPLICATE_STATE_NAME"
INVALID_STATE_NAME = "INVALID_STATE_NAME"
INVALID_JSON_DESCRIPTION = "INVALID_JSON_DESCRIPTION"
INVALID_JSONATA_EXPRESSION = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA_EXPRESSION = "UNSUPPORTED_JSONATA_EXPRESSION"
INVALID_VARIABLE_NAME = "INVALID_VARIABLE_NAME"
RESERVED_VARIABLE_NAME = "RESERVED_VARIABLE_NAME"

# AWS caps waits, timeouts and retry intervals at this many seconds (about three years).
MAX_SECONDS = 99_999_999


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a definition, shaped like ValidateStateMachineDefinition's diagnostic."""

    code: str
    message: str
    location: str | None = None
    severity: str = "ERROR"

    def as_dict(self) -> dict[str, str]:
        """The wire shape: ``location`` is left out when AWS has none to give (MISSING_END_STATE)."""
        shape = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location is not None:
            shape["location"] = self.location
        return shape

    def render(self) -> str:
        """The text CreateStateMachine puts inside ``Invalid State Machine Definition: '...'``."""
        return f"{self.code}: {self.message} at {self.location if self.location is not None else 'null'}"


@dataclass
class Report:
    """Collects diagnostics in the order the checks find them."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, code: str, message: str, location: str | None) -> None:
        self.items.append(Diagnostic(code, message, location))

    def schema(self, message: str, location: str) -> None:
        self.add(SCHEMA, message, location)

    def unsupported(self, field_name: str, location: str) -> None:
        self.schema(f"Field '{field_name}' is not supported", location)

    def required(self, missing: list[str], location: str) -> None:
        self.schema(f"These fields are required: [{', '.join(missing)}]", location)

    def only_one(self, fields: list[str], location: str) -> None:
        self.schema(f"There should only be one of the following fields: [{', '.join(fields)}]", location)

    def exactly_one(self, fields: list[str], location: str) -> None:
        self.schema(f"This object should have only one of the following fields: [{', '.join(fields)}]", location)

    def one_of(self, allowed: list[str], location: str) -> None:
        self.schema(f"Value should be one of the following: [{', '.join(allowed)}]", location)

    def wrong_type(self, kind: str, location: str) -> None:
        self.schema(f"Expected value of type [{kind}]", location)


ScopeChecker = Callable[[Any, str, frozenset[str]], None]
"""Checks a nested ``{"StartAt", "States"}`` scope (a Parallel branch, a Map processor) at a location,
allowing the extra fields given (a Map processor's ``ProcessorConfig``)."""


@dataclass
class StateContext:
    """What a state's checks need: where it is, what it holds and which query language it speaks."""

    report: Report
    name: str
    location: str
    state: Mapping[str, Any]
    jsonata: bool
    check_scope: ScopeChecker

    def at(self, *parts: str) -> str:
        return "/".join((self.location, *parts))


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_jsonata_string(value: Any) -> bool:
    """``{% ... %}``: the only way a JSONata state puts an expression in a field."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def check_integer(report: Report, value: Any, location: str, minimum: int, maximum: int | None = None) -> bool:
    """An integer within AWS's bounds, reported with AWS's wording. True when it passes."""
    if not is_integer(value):
        report.wrong_type("INTEGER", location)
        return False
    if value < minimum:
        report.schema(f"Minimum value is {minimum}", location)
        return False
    if maximum is not None and value > maximum:
        report.schema(f"Maximum value is {maximum}", location)
        return False
    return True


def check_string(report: Report, value: Any, location: str) -> bool:
    if not isinstance(value, str):
        report.wrong_type("STRING", location)
        return False
    return True


def check_object(report: Report, value: Any, location: str) -> bool:
    if not isinstance(value, Mapping):
        report.wrong_type("OBJECT", location)
        return False
    return True


def check_fields(report: Report, obj: Mapping[str, Any], allowed: frozenset[str], location: str) -> None:
    """Every field of ``obj`` must be one AWS knows for this object; unknown ones are refused."""
    for name in obj:
        if name not in allowed:
            report.unsupported(name, location)


def check_required(report: Report, obj: Mapping[str, Any], required: tuple[str, ...], location: str) -> bool:
    missing = [name for name in required if name not in obj]
    if missing:
        report.required(missing, location)
        return False
    return True
