"""What every service (queues, bus, workflows, streams) looks like to the runtime and the gateway.

A service is a class named for its AWS API (``name`` is botocore's service name, e.g. ``"sqs"``)
with one ``async`` method per AWS operation, named in snake case (``SendMessage`` ->
``send_message``). Each takes the :class:`RequestContext` and the request as a dict of AWS member
names, already validated against botocore's model, and returns the response as a dict of AWS member
names. The gateway only translates wire <-> dict; the in-process client calls the same methods, so
the Python API and the wire can't drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from eventyard.storage.base import Migration

if TYPE_CHECKING:
    from eventyard.yard import Yard

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is calling and where: the (account, region) namespace every resource lives in.

    ``endpoint`` is the base URL the caller reached us on (``http://127.0.0.1:4566``); SQS queue
    URLs are built from it, as AWS builds them from its own host.
    """

    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    endpoint: str = "http://127.0.0.1:4566"


def operation_method(operation: str) -> str:
    """``SendMessageBatch`` -> ``send_message_batch``, as boto3 names client methods."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", operation).lower()


class Service:
    """Base of the services a :class:`~eventyard.yard.Yard` builds.

    ``migrations`` are the service's numbered schema changes; ``start``/``stop`` run its engine
    (background work such as delivery, timers, pollers) on the yard's event loop.
    """

    name: ClassVar[str] = ""
    migrations: ClassVar[Sequence[Migration]] = ()

    def __init__(self, yard: Yard) -> None:
        self.yard = yard

    async def start(self) -> None:
        """Start background work; called once the database is open."""

    async def stop(self) -> None:
        """Stop background work; called before the database closes."""

    def operation(self, operation: str) -> Any:
        """The bound method implementing ``operation``, or None when this service lacks it."""
        method = getattr(self, operation_method(operation), None)
        return method if callable(method) else None
