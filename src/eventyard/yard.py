"""The runtime: ``eventyard.open(url)`` -> a :class:`Yard` that owns storage, services and the clock.

The server, the Python API and the tests all go through a Yard, so a behaviour proven in-process is
the behaviour served on the wire.
"""

from __future__ import annotations

import asyncio
import importlib
from types import TracebackType
from typing import Any

from botocore.exceptions import ParamValidationError

from eventyard.api import Api
from eventyard.clock import Clock, WallClock
from eventyard.kernel import Kernel
from eventyard.models import model_for
from eventyard.service import DEFAULT_ACCOUNT, DEFAULT_REGION, RequestContext, Service, operation_method
from eventyard.storage import Database, open_database
from eventyard.targets import TargetKinds
from eventyard.trace import Tracer

#: botocore service name -> "module:Class". A service whose module is not there yet is left out.
SERVICES: dict[str, str] = {
    "sqs": "eventyard.queues.service:QueueService",
    "events": "eventyard.bus.service:BusService",
    "stepfunctions": "eventyard.workflows.service:WorkflowService",
    "kinesis": "eventyard.streams.service:StreamService",
    "sns": "eventyard.topics.service:TopicService",
    "lambda": "eventyard.functions.service:FunctionService",
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
        self.kernel = Kernel(self.db, self.clock)
        self.targets = TargetKinds()
        self.trace = Tracer(self.db, self.kernel)
        self.services: dict[str, Service] = {}
        for name, spec in SERVICES.items():
            cls = _load(spec)
            if cls is not None:
                self.services[name] = cls(self)
        self.api = Api(self.services)
        self._started = False

    @property
    def functions(self) -> Any:
        """The functions service (``yard.functions.register(name, handler)``; see :mod:`eventyard.functions`)."""
        return self.services["lambda"]

    @property
    def durable(self) -> bool:
        return self.db.durable

    async def start(self) -> Yard:
        if self._started:
            return self
        migrations = [
            *self.kernel.migrations,
            *self.trace.migrations,
            *(m for service in self.services.values() for m in service.migrations),
        ]
        await asyncio.to_thread(self.db.start, migrations)
        for service in self.services.values():
            await service.start()
        await self.trace.start()
        await self.kernel.start()
        self._started = True
        return self

    async def close(self) -> None:
        if not self._started:
            return
        await self.kernel.stop()
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

    async def advance(self, seconds: float) -> float:
        """Move a virtual clock ``seconds`` forward, firing every timer that falls due, in order, each
        finished before time moves on (an error on wall time). Returns the new time."""
        return await self.kernel.advance(seconds)

    async def run_until_idle(self) -> None:
        """Fire every timer that is due now, and what those firings make due, until none is."""
        await self.kernel.run_until_idle()

    def client(self, service: str, *, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION) -> Client:
        """An in-process client taking boto3's parameters: ``await yard.client("sqs").send_message(...)``."""
        if service not in self.services:
            raise KeyError(f"no service {service!r} in this yard (have: {', '.join(sorted(self.services))})")
        return Client(self, service, RequestContext(account=account, region=region, endpoint=self.endpoint))

    async def call(
        self, service: str, operation: str, request: dict[str, Any], context: RequestContext, *, trusted: bool = False
    ) -> Any:
        """Run one operation through the yard's one way in (see :mod:`eventyard.api`)."""
        return await self.api.dispatch(service, operation, request, context, trusted=trusted)


class Client:
    """boto3-shaped access to one service of a yard, without HTTP: same validation, same results.

    Like a boto3 client it checks parameters before "sending" (botocore's own validator: an unknown
    or missing parameter raises botocore's ``ParamValidationError``); the request then takes the
    same way in as one from the wire.
    """

    def __init__(self, yard: Yard, service: str, context: RequestContext) -> None:
        self._yard = yard
        self._service = service
        self._context = context
        self._model = model_for(service)
        self._operations = {operation_method(op): op for op in self._model.operations}

    def __getattr__(self, method: str) -> Any:
        operation = self._operations.get(method)
        if operation is None:
            raise AttributeError(f"{self._service} has no operation {method!r}")
        shape = self._model.operations[operation].input_shape

        async def call(**request: Any) -> Any:
            if shape is not None:
                _check_parameters(request, shape)
            return await self._yard.api.dispatch(self._service, operation, request, self._context)

        call.__name__ = method
        return call


def _check_parameters(request: dict[str, Any], shape: Any) -> None:
    """What boto3 refuses before a request leaves the client: parameter names the model lacks.

    Everything else (types, required members, constraints) is the service's to check, in dispatch,
    exactly as for a request from the wire.
    """
    unknown = _unknown_names(request, shape, "")
    if unknown:
        raise ParamValidationError(report="\n".join(f"Unknown parameter in {name}" for name in unknown))


def _unknown_names(value: Any, shape: Any, where: str) -> list[str]:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        found = []
        for key, item in value.items():
            member = shape.members.get(key)
            place = f"{where}.{key}" if where else key
            if member is None:
                found.append(f'{where or "input"}: "{key}", must be one of: {", ".join(shape.members)}')
            else:
                found += _unknown_names(item, member, place)
        return found
    if kind == "list" and isinstance(value, list | tuple):
        return [name for i, item in enumerate(value) for name in _unknown_names(item, shape.member, f"{where}[{i}]")]
    if kind == "map" and isinstance(value, dict):
        return [name for k, item in value.items() for name in _unknown_names(item, shape.value, f"{where}.{k}")]
    return []


def open(url: str = "memory://", *, clock: Clock | None = None, endpoint: str = "http://127.0.0.1:4566") -> Yard:
    """Open a yard over ``url`` (``sqlite:///yard.db``, a path, ``memory://``, ``postgresql://...``)."""
    return Yard(url, clock=clock, endpoint=endpoint)
