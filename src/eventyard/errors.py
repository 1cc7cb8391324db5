"""The one exception tree of Eventyard.

The core raises these; only the gateway turns them into wire errors (JSON ``__type``, query XML,
SQS's ``x-amzn-query-error`` header). Each error carries the code an AWS SDK user sees in
``error.response["Error"]["Code"]`` and the HTTP status AWS answers with, so a service never thinks
about the wire and the gateway never thinks about semantics.
"""

from __future__ import annotations


class EventyardError(Exception):
    """Base of every error Eventyard raises on purpose.

    ``code`` is AWS's error code, ``status`` its HTTP status, and ``sender_fault`` says whether
    the client (``Sender``) or the service (``Receiver``) is to blame, as the query protocol reports.
    """

    code: str = "InternalFailure"
    status: int = 500
    sender_fault: bool = False
    #: The error's shape name in botocore's model when it differs from ``code`` (SQS's JSON protocol
    #: names ``AWS.SimpleQueueService.NonExistentQueue`` ``QueueDoesNotExist`` in ``__type``).
    shape: str | None = None

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class ClientError(EventyardError):
    """Something the caller sent is wrong: HTTP 400 unless a subclass says otherwise."""

    code = "ValidationException"
    status = 400
    sender_fault = True


class ServiceError(EventyardError):
    """Eventyard could not do what was asked through no fault of the caller."""

    code = "InternalFailure"
    status = 500


# --- errors every AWS protocol shares -----------------------------------------------------------


class ValidationException(ClientError):
    """A request that breaks the operation's model (missing member, wrong type, length, range, enum)."""

    code = "ValidationException"


class SerializationException(ClientError):
    """A body that cannot be read as the protocol's format, or a member of the wrong JSON type."""

    code = "SerializationException"


class UnknownOperationException(ClientError):
    code = "UnknownOperationException"


class MissingAuthenticationToken(ClientError):
    code = "MissingAuthenticationTokenException"
    status = 403


class UnrecognizedClientException(ClientError):
    code = "UnrecognizedClientException"
    status = 403


class InvalidSignatureException(ClientError):
    code = "InvalidSignatureException"
    status = 403


class ResourceNotFoundException(ClientError):
    code = "ResourceNotFoundException"


class InternalFailure(ServiceError):
    code = "InternalFailure"


# --- errors named by more than one layer (services add their own beside these) ------------------


class InvalidDefinition(ClientError):
    """Step Functions: a state machine definition that AWS would reject at create time."""

    code = "InvalidDefinition"


class InvalidEventPatternException(ClientError):
    """EventBridge: an event pattern that AWS would reject (``message`` is AWS's text)."""

    code = "InvalidEventPatternException"
