"""SNS's errors: the query code a boto3 user sees in ``Error.Code``, the model's shape, AWS's status.

SNS speaks the query protocol, so ``code`` is the ``awsQueryError`` code of botocore's model
(``NotFound`` for ``NotFoundException``) and ``status`` the model's ``httpStatusCode``. Most
refusals are ``InvalidParameter`` with a text that starts ``Invalid parameter: ``; messages are
AWS's own wording, as AWS-recorded answers show them.
"""

from __future__ import annotations

from eventyard.bus.patterns.tokens import syntax_error
from eventyard.errors import ClientError


class InvalidParameter(ClientError):
    code = "InvalidParameter"
    shape = "InvalidParameterException"


class ParameterValueInvalid(ClientError):
    """Message attribute problems (``InvalidParameterValueException`` in the model)."""

    code = "ParameterValueInvalid"
    shape = "InvalidParameterValueException"


class NotFound(ClientError):
    code = "NotFound"
    shape = "NotFoundException"
    status = 404


class ResourceNotFound(ClientError):
    code = "ResourceNotFound"
    shape = "ResourceNotFoundException"
    status = 404


class AuthorizationError(ClientError):
    code = "AuthorizationError"
    shape = "AuthorizationErrorException"
    status = 403


class TooManyEntriesInBatchRequest(ClientError):
    code = "TooManyEntriesInBatchRequest"
    shape = "TooManyEntriesInBatchRequestException"


class EmptyBatchRequest(ClientError):
    code = "EmptyBatchRequest"
    shape = "EmptyBatchRequestException"


class BatchEntryIdsNotDistinct(ClientError):
    code = "BatchEntryIdsNotDistinct"
    shape = "BatchEntryIdsNotDistinctException"


class InvalidBatchEntryId(ClientError):
    code = "InvalidBatchEntryId"
    shape = "InvalidBatchEntryIdException"


class BatchRequestTooLong(ClientError):
    code = "BatchRequestTooLong"
    shape = "BatchRequestTooLongException"


class TagLimitExceeded(ClientError):
    code = "TagLimitExceeded"
    shape = "TagLimitExceededException"


class TopicLimitExceeded(ClientError):
    code = "TopicLimitExceeded"
    shape = "TopicLimitExceededException"
    status = 403


def invalid(what: str) -> InvalidParameter:
    """``Invalid parameter: <what>``, SNS's usual refusal."""
    return InvalidParameter(f"Invalid parameter: {what}")


def not_json(what: str, text: str) -> InvalidParameter:
    """``<what>: failed to parse JSON.`` with Jackson's reason and place, the source left out, as SNS
    refuses a filter or redrive policy that is not JSON (AWS-recorded)."""
    found = syntax_error(text)
    if found is None:
        return invalid(f"{what}: failed to parse JSON.")
    return invalid(
        f"{what}: failed to parse JSON. {found.reason}\n at [Source: REDACTED "
        f"(`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {found.line}, column: {found.column}]"
    )


TOPIC_NOT_FOUND = "Topic does not exist"
SUBSCRIPTION_NOT_FOUND = "Subscription does not exist"
