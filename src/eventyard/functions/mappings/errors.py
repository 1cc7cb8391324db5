"""The errors and messages of the event source mapping operations (codes from botocore's ``lambda``
model; messages recorded against AWS in LocalStack's ``event_source_mapping`` snapshots)."""

from __future__ import annotations

from eventyard.functions.errors import InvalidParameterValue, ResourceConflict, ResourceNotFound

__all__ = ["InvalidParameterValue", "ResourceConflict", "ResourceNotFound"]


def not_found() -> ResourceNotFound:
    return ResourceNotFound("The resource you requested does not exist.")


def validation(value: object, member: str, constraint: str) -> InvalidParameterValue:
    shown = "null" if value is None else f"'{value}'"
    return InvalidParameterValue(
        f"1 validation error detected: Value {shown} at '{member}' failed to satisfy constraint: {constraint}"
    )


NO_FUNCTION = "Function does not exist"
NO_QUEUE = (
    "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue."
    " SQS Error Message: The specified queue does not exist."
)
BATCH_WINDOW_NEEDED = "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
UNSUPPORTED_DESTINATION = "Unsupported DestinationConfig parameter for given event source mapping type."
INVALID_FILTER = "Invalid filter pattern definition."
