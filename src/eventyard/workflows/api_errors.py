"""Step Functions' wire errors: the exception shapes of botocore's ``stepfunctions`` model.

These are what a Step Functions operation raises to its caller (``error.response["Error"]["Code"]``),
apart from :mod:`eventyard.workflows.errors`, whose ASL errors (``States.Timeout``...) travel inside
an execution. Every shape of the model is here, the execution side's too, so both halves of the
service raise the same classes. Messages are AWS's where AWS-recorded answers show them; the
helpers below build the recurring ones.
"""

from __future__ import annotations

from eventyard.errors import ClientError, InvalidDefinition, ValidationException

__all__ = [
    "ActivityAlreadyExists",
    "ActivityDoesNotExist",
    "ActivityLimitExceeded",
    "ActivityWorkerLimitExceeded",
    "ConflictException",
    "ExecutionAlreadyExists",
    "ExecutionDoesNotExist",
    "ExecutionLimitExceeded",
    "ExecutionNotRedrivable",
    "InvalidArn",
    "InvalidDefinition",
    "InvalidEncryptionConfiguration",
    "InvalidExecutionInput",
    "InvalidLoggingConfiguration",
    "InvalidName",
    "InvalidOutput",
    "InvalidToken",
    "InvalidTracingConfiguration",
    "MissingRequiredParameter",
    "ResourceNotFound",
    "ServiceQuotaExceededException",
    "StateMachineAlreadyExists",
    "StateMachineDeleting",
    "StateMachineDoesNotExist",
    "StateMachineLimitExceeded",
    "StateMachineTypeNotSupported",
    "TaskDoesNotExist",
    "TaskTimedOut",
    "TooManyTags",
    "ValidationException",
    "invalid_name",
    "invalid_token",
    "machine_not_found",
    "resource_not_found",
]


class ActivityAlreadyExists(ClientError):
    code = "ActivityAlreadyExists"


class ActivityDoesNotExist(ClientError):
    code = "ActivityDoesNotExist"


class ActivityLimitExceeded(ClientError):
    code = "ActivityLimitExceeded"


class ActivityWorkerLimitExceeded(ClientError):
    code = "ActivityWorkerLimitExceeded"


class ConflictException(ClientError):
    code = "ConflictException"


class ExecutionAlreadyExists(ClientError):
    code = "ExecutionAlreadyExists"


class ExecutionDoesNotExist(ClientError):
    code = "ExecutionDoesNotExist"


class ExecutionLimitExceeded(ClientError):
    code = "ExecutionLimitExceeded"


class ExecutionNotRedrivable(ClientError):
    code = "ExecutionNotRedrivable"


class InvalidArn(ClientError):
    code = "InvalidArn"


class InvalidEncryptionConfiguration(ClientError):
    code = "InvalidEncryptionConfiguration"


class InvalidExecutionInput(ClientError):
    code = "InvalidExecutionInput"


class InvalidLoggingConfiguration(ClientError):
    code = "InvalidLoggingConfiguration"


class InvalidName(ClientError):
    code = "InvalidName"


class InvalidOutput(ClientError):
    code = "InvalidOutput"


class InvalidToken(ClientError):
    code = "InvalidToken"


class InvalidTracingConfiguration(ClientError):
    code = "InvalidTracingConfiguration"


class MissingRequiredParameter(ClientError):
    code = "MissingRequiredParameter"


class ResourceNotFound(ClientError):
    code = "ResourceNotFound"


class ServiceQuotaExceededException(ClientError):
    code = "ServiceQuotaExceededException"


class StateMachineAlreadyExists(ClientError):
    code = "StateMachineAlreadyExists"


class StateMachineDeleting(ClientError):
    code = "StateMachineDeleting"


class StateMachineDoesNotExist(ClientError):
    code = "StateMachineDoesNotExist"


class StateMachineLimitExceeded(ClientError):
    code = "StateMachineLimitExceeded"


class StateMachineTypeNotSupported(ClientError):
    code = "StateMachineTypeNotSupported"


class TaskDoesNotExist(ClientError):
    code = "TaskDoesNotExist"


class TaskTimedOut(ClientError):
    code = "TaskTimedOut"


class TooManyTags(ClientError):
    code = "TooManyTags"


def machine_not_found(arn: str) -> StateMachineDoesNotExist:
    """AWS names the ARN as given: the machine's, a version's (``...:name:2``) or an alias's."""
    return StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")


def resource_not_found(arn: str) -> ResourceNotFound:
    """What the tag operations answer for an ARN that names nothing taggable (a version too)."""
    return ResourceNotFound(f"Resource not found: '{arn}'")


def invalid_name(name: str) -> InvalidName:
    return InvalidName(f"Invalid Name: '{name}'")


def invalid_token() -> InvalidToken:
    return InvalidToken("Invalid Token: 'Invalid token'")
