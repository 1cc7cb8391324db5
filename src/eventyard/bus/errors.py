"""EventBridge's errors, with AWS's codes (the model's exception shapes)."""

from __future__ import annotations

from eventyard.errors import ClientError, InvalidEventPatternException, ResourceNotFoundException, ValidationException

__all__ = [
    "ConcurrentModificationException",
    "IllegalStatusException",
    "InvalidEventPatternException",
    "LimitExceededException",
    "ResourceAlreadyExistsException",
    "ResourceNotFoundException",
    "ValidationException",
    "bus_not_found",
    "rule_not_found",
]


class ResourceAlreadyExistsException(ClientError):
    code = "ResourceAlreadyExistsException"


class LimitExceededException(ClientError):
    code = "LimitExceededException"


class ConcurrentModificationException(ClientError):
    code = "ConcurrentModificationException"


class IllegalStatusException(ClientError):
    code = "IllegalStatusException"


def bus_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Event bus {name} does not exist.")


def rule_not_found(name: str, bus: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Rule {name} does not exist on EventBus {bus}.")
