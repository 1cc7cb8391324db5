"""SQS's errors, each with the code a boto3 user sees and the model's shape name where it differs.

SQS speaks JSON with ``awsQueryCompatible``: the JSON body names the botocore shape
(``QueueDoesNotExist``) while the ``x-amzn-query-error`` header carries the legacy query code
(``AWS.SimpleQueueService.NonExistentQueue``), and boto3 reports the latter in
``error.response["Error"]["Code"]``. So ``code`` is the query code and ``shape`` the model's name.
Messages are AWS's own wording.
"""

from __future__ import annotations

from eventyard.errors import ClientError


class QueueDoesNotExist(ClientError):
    code = "AWS.SimpleQueueService.NonExistentQueue"
    shape = "QueueDoesNotExist"

    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueNameExists(ClientError):
    code = "QueueAlreadyExists"
    shape = "QueueNameExists"


class QueueDeletedRecently(ClientError):
    code = "AWS.SimpleQueueService.QueueDeletedRecently"
    shape = "QueueDeletedRecently"


class PurgeQueueInProgress(ClientError):
    code = "AWS.SimpleQueueService.PurgeQueueInProgress"
    shape = "PurgeQueueInProgress"
    status = 403


class InvalidParameterValue(ClientError):
    """The catch-all of SQS validation. Not a model shape: over JSON, AWS's ``__type`` names it
    ``InvalidParameterValueException`` (boto3's ``QueryErrorCode``) while the query code stays
    ``InvalidParameterValue``."""

    code = "InvalidParameterValue"
    shape = "InvalidParameterValueException"


class MissingParameter(ClientError):
    """A required parameter, empty or absent; over JSON its ``__type`` is ``MissingRequiredParameterException``."""

    code = "MissingParameter"
    shape = "MissingRequiredParameterException"


class InvalidAttributeName(ClientError):
    code = "InvalidAttributeName"


class InvalidAttributeValue(ClientError):
    code = "InvalidAttributeValue"


class InvalidMessageContents(ClientError):
    code = "InvalidMessageContents"


class ReceiptHandleIsInvalid(ClientError):
    code = "ReceiptHandleIsInvalid"
    status = 404

    def __init__(self, handle: str, *, other_queue: bool = False) -> None:
        if other_queue:  # a well-formed handle of a different queue
            super().__init__(f'The receipt handle "{handle}" is not valid for this queue.')
        else:
            super().__init__(f'The input receipt handle "{handle}" is not a valid receipt handle.')


class MessageNotInflight(ClientError):
    code = "AWS.SimpleQueueService.MessageNotInflight"
    shape = "MessageNotInflight"

    def __init__(self, message: str = "The message referred to isn't in flight.") -> None:
        super().__init__(message)


class TooManyEntriesInBatchRequest(ClientError):
    code = "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
    shape = "TooManyEntriesInBatchRequest"


class EmptyBatchRequest(ClientError):
    code = "AWS.SimpleQueueService.EmptyBatchRequest"
    shape = "EmptyBatchRequest"


class BatchEntryIdsNotDistinct(ClientError):
    code = "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    shape = "BatchEntryIdsNotDistinct"


class BatchRequestTooLong(ClientError):
    code = "AWS.SimpleQueueService.BatchRequestTooLong"
    shape = "BatchRequestTooLong"


class InvalidBatchEntryId(ClientError):
    code = "AWS.SimpleQueueService.InvalidBatchEntryId"
    shape = "InvalidBatchEntryId"

    def __init__(
        self,
        message: str = "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
        "It can be at most 80 letters long.",
    ) -> None:
        super().__init__(message)


class UnsupportedOperation(ClientError):
    code = "AWS.SimpleQueueService.UnsupportedOperation"
    shape = "UnsupportedOperation"


class OverLimit(ClientError):
    code = "OverLimit"
    status = 403


class ResourceNotFound(ClientError):
    """Message move tasks: a source queue or task handle that does not exist."""

    code = "ResourceNotFoundException"
    shape = "ResourceNotFoundException"
    status = 404


def invalid_value(parameter: str, value: object, reason: str) -> InvalidParameterValue:
    """AWS's most common phrasing: ``Value X for parameter P is invalid. Reason: R``."""
    return InvalidParameterValue(f"Value {value} for parameter {parameter} is invalid. Reason: {reason}")
