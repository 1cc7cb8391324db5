"""Lambda's errors, each with the code and status AWS answers (botocore's ``lambda`` model), and the
messages AWS prints (recorded against AWS in LocalStack's ``tests/aws/services/lambda_`` snapshots)."""

from __future__ import annotations

from eventyard.errors import ClientError, ServiceError
from eventyard.models import LambdaInvalidParameterValue


class ResourceNotFound(ClientError):
    code = "ResourceNotFoundException"
    status = 404


class ResourceConflict(ClientError):
    code = "ResourceConflictException"
    status = 409


#: One class for Lambda's InvalidParameterValueException, whether the model check or the service raises it.
InvalidParameterValue = LambdaInvalidParameterValue


class TooManyRequests(ClientError):
    """A throttle: reserved concurrency exhausted (or 0). Status 429, as AWS answers."""

    code = "TooManyRequestsException"
    status = 429


class InvalidRequestContent(ClientError):
    code = "InvalidRequestContentException"
    status = 400


class PreconditionFailed(ClientError):
    code = "PreconditionFailedException"
    status = 412


class RequestTooLarge(ClientError):
    code = "RequestTooLargeException"
    status = 413


class LambdaServiceError(ServiceError):
    code = "ServiceException"
    status = 500


def function_not_found(arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"Function not found: {arn}")


def alias_not_found(arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"Cannot find alias arn: {arn}")


def no_event_invoke_config(arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"The function {arn} doesn't have an EventInvokeConfig")


RATE_EXCEEDED = "Rate Exceeded."
REVISION_MISMATCH = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)
NOT_A_ZIP = "Could not unzip uploaded file. Please check your file, then try to upload again."
