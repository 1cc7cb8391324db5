"""The runtime: ``eventyard.open(url)`` -> a :class:`Yard` that owns storage, services and the clock.

The server, the Python API and the tests all go through a Yard, so a behaviour proven in-process is
the behaviour served on the wire.
"""

from __future__ import annotations

import asyncio
import importlib
from types import TracebackType
from typing import Any

from eventyard.clock import Clock, VirtualClock, WallClock
from eventyard.errors import UnknownOperationException
from eventyard.service import DEFAULT_ACCOUNT, DEFAULT_REGION, RequestContext, Service, operation_method
from eventyard.storage import Database, open_database

#: botocore service name -> "module:Class". A service whose module is not there yet is left out.
SERVICES: dict[str, str] = {
    "sqs": "eventyard.queues.service:QueueService",
    "events": "eventyard.bus.service:BusService",
    "stepfunctions": "eventyard.workflows.service:WorkflowService",
    "kinesis": "eventyard.streams.service:StreamService",
}


def _load(spec: str) -> type[Service] | None:
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            return None
        raise
    service: type[Service] = getattr(module, attribute)
    return service


class Yard:
    """Storage + services + clock. Use ``async with eventyard.open(url) as yard``."""

    def __init__(self, url: str = "memory://", *, clock: Clock | None = None, endpoint: str = "http://127.0.0.1:4566"):
        self.url = url
        self.clock: Clock = clock or WallClock()
        self.endpoint = endpoint
        self.db: Database = open_database(url)
        self.services: dict[str, Service] = {}
        for name, spec in SERVICES.items():
            cls = _load(spec)
            if cls is not None:
                self.services[name] = cls(self)
        self._started = False
        self._methods: dict[tuple[str, str], Any] = {}

    @property
    def durable(self) -> bool:
        return self.db.durable

    async def start(self) -> Yard:
        if self._started:
            return self
        migrations = [m for service in self.services.values() for m in service.migrations]
        await asyncio.to_thread(self.db.start, migrations)
        for service in self.services.values():
            await service.start()
        self._started = True
        return self

    async def close(self) -> None:
        if not self._started:
            return
        for service in reversed(list(self.services.values())):
            await service.stop()
        await asyncio.to_thread(self.db.stop)
        self._started = False

    async def __aenter__(self) -> Yard:
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    def advance(self, seconds: float) -> float:
        """Move a virtual clock forward (an error on wall time)."""
        if not isinstance(self.clock, VirtualClock):
            raise RuntimeError("this yard runs on wall time; open it with clock=VirtualClock() to advance time")
        return self.clock.advance(seconds)

    def client(self, service: str, *, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION) -> Client:
        """An in-process client taking boto3's parameters: ``await yard.client("sqs").send_message(...)``."""
        if service not in self.services:
            raise KeyError(f"no service {service!r} in this yard (have: {', '.join(sorted(self.services))})")
        return Client(self, service, RequestContext(account=account, region=region, endpoint=self.endpoint))

    async def call(
        self, service: str, operation: str, request: dict[str, Any], context: RequestContext, *, trusted: bool = False
    ) -> Any:
        """Validate ``request`` against botocore's model and run the operation: the one way in.

        ``trusted`` is for requests Eventyard builds itself (an engine delivering to a target): they
        are well-formed by construction, so the model check is skipped on that hot path.
        """
        from eventyard.gateway.models import model_for

        model = model_for(service)
        method = self._methods.get((service, operation))
        if method is None:
            method = self.services[service].operation(operation)
            if method is None or operation not in model.operations:
                raise UnknownOperationException(f"Operation {operation} is not supported.")
            self._methods[(service, operation)] = method
        return await method(context, request if trusted else model.validate(operation, request))


class Client:
    """boto3-shaped access to one service of a yard, without HTTP: same validation, same results."""

    def __init__(self, yard: Yard, service: str, context: RequestContext) -> None:
        self._yard = yard
        self._service = service
        self._context = context
        from eventyard.gateway.models import model_for

        self._operations = {operation_method(op): op for op in model_for(service).operations}

    def __getattr__(self, method: str) -> Any:
        operation = self._operations.get(method)
        if operation is None:
            raise AttributeError(f"{self._service} has no operation {method!r}")

        async def call(**request: Any) -> Any:
            return await self._yard.call(self._service, operation, request, self._context)

        call.__name__ = method
        return call


def open(url: str = "memory://", *, clock: Clock | None = None, endpoint: str = "http://127.0.0.1:4566") -> Yard:
    """Open a yard over ``url`` (``sqlite:///yard.db``, a path, ``memory://``, ``postgresql://...``)."""
    return Yard(url, clock=clock, endpoint=endpoint)
