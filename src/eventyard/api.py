"""The one way into an operation: :meth:`Api.dispatch`.

The gateway (every wire protocol), the in-process client (``yard.client("sqs")``) and the engines
(a rule delivering to a queue, a workflow's Task calling a service) all call
``dispatch(service, operation, request, context)``. It checks the request against botocore's model
of the operation and runs the service's method, so a behaviour proven in-process is the behaviour
served on the wire, with the same errors.

Requests are checked as AWS's servers check them: a member the model does not know is ignored
(AWS's servers ignore it too); types, required members, lengths, ranges, patterns and enums are
enforced with each service's own error texts (see :mod:`eventyard.models`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from eventyard.errors import UnknownOperationException
from eventyard.models import Model, model_for
from eventyard.service import RequestContext, Service, operation_method
from eventyard.staging import CannotStage, StagedCall

Operation = Callable[[RequestContext, dict[str, Any]], Awaitable[Any]]


class ServiceNotServed(UnknownOperationException):
    """A request for an AWS service this yard does not serve (``aws s3 ls`` against Eventyard).

    It leaves as 400 ``UnknownOperationException`` in the protocol of the service asked for, with a
    message naming it and what the yard serves. Not a 5xx: botocore (and the other SDKs) retry 500,
    502, 503 and 504, and throttling codes, with back-off, so a user would wait through several
    attempts for an answer that cannot change; a 400 with a code no SDK retries is reported at once.
    """

    code = "UnknownOperationException"
    status = 400


class Api:
    """The operations of a yard's services, each validated against its botocore model."""

    def __init__(self, services: Mapping[str, Service]) -> None:
        self.services = services
        self._operations: dict[tuple[str, str], tuple[Model, Operation]] = {}
        self._stagers: dict[tuple[str, str], tuple[Model, Any]] = {}

    def served(self, service: str) -> bool:
        return service in self.services

    def not_served(self, service: str) -> ServiceNotServed:
        served = ", ".join(sorted(self.services))
        return ServiceNotServed(f"Eventyard does not serve the {service} API (it serves {served}).")

    def operation(self, service: str, operation: str) -> tuple[Model, Operation]:
        """The model and the method of ``service``'s ``operation``; AWS's error when there is none."""
        found = self._operations.get((service, operation))
        if found is not None:
            return found
        implementation = self.services.get(service)
        if implementation is None:
            raise self.not_served(service)
        model = model_for(service)
        method = implementation.operation(operation) if operation in model.operations else None
        if method is None:
            known = operation in model.operations
            raise UnknownOperationException(
                f"Operation {operation} is not yet supported by Eventyard." if known else ""
            )
        self._operations[(service, operation)] = found = (model, method)
        return found

    async def dispatch(
        self,
        service: str,
        operation: str,
        request: dict[str, Any],
        context: RequestContext,
        *,
        trusted: bool = False,
    ) -> Any:
        """Validate ``request`` against the model and run the operation; returns its result dict.

        ``trusted`` is for requests Eventyard's own engines build (a rule delivering to a queue):
        they are well-formed by construction, so the model check is skipped on that hot path.
        """
        found = self._operations.get((service, operation))
        if found is None:
            model = model_for(service)
            if not trusted and operation in model.operations:
                request = model.validate(operation, request)  # a bad request is told so, served or not
                trusted = True
            found = self.operation(service, operation)
        model, method = found
        return await method(context, request if trusted else model.validate(operation, request))

    def can_stage(self, service: str, operation: str) -> bool:
        """Whether ``operation`` has a staged form (see :mod:`eventyard.staging`)."""
        implementation = self.services.get(service)
        return implementation is not None and hasattr(implementation, "stage_" + operation_method(operation))

    async def stage(
        self,
        service: str,
        operation: str,
        request: dict[str, Any],
        context: RequestContext,
        *,
        trusted: bool = False,
    ) -> StagedCall:
        """Check ``operation`` now and return its writes for the caller's transaction (see
        :mod:`eventyard.staging`); :class:`CannotStage` when the service offers no staged form."""
        found = self._stagers.get((service, operation))
        if found is None:  # found once: staging is on the hot path of fan-outs (one call per subscription)
            model, _ = self.operation(service, operation)
            found = (model, getattr(self.services[service], "stage_" + operation_method(operation), None))
            self._stagers[(service, operation)] = found
        model, stager = found
        if stager is None:
            raise CannotStage(f"{service} {operation} has no staged form")
        staged: StagedCall = await stager(context, request if trusted else model.validate(operation, request))
        return staged
