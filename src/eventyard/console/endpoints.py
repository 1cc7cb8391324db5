"""The console's JSON endpoints as a table: ``@endpoint("GET", "queues")`` names one, and each
endpoint gets a :class:`Call`: the yard, the caller's context, the request's parameters.

Endpoints read and act through the services' own operations (``call.op("sqs", "ListQueues", ...)``:
the yard's one way in, with the operation's own checks and errors); only where AWS has no operation
(a look into a queue, the tokens an execution waits on, the trace) do they use a store's named read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventyard.errors import ClientError
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.gateway.wire import Reply
    from eventyard.yard import Yard


class BadRequest(ClientError):
    code = "BadRequest"
    status = 400


def _never() -> bool:
    return False


def _no_rates() -> dict[str, float]:
    return {}


@dataclass(frozen=True, slots=True)
class Call:
    yard: Yard
    context: RequestContext
    params: dict[str, Any]
    #: True once the server is stopping: a live stream ends then (see :mod:`.live`).
    stopping: Callable[[], bool] = _never
    #: Calls per second by operation on this node (the gateway's :meth:`~eventyard.gateway.metrics.Metrics.rates`).
    rates: Callable[[], dict[str, float]] = _no_rates

    async def op(self, service: str, operation: str, request: dict[str, Any] | None = None) -> Any:
        """One operation of a served service, validated like a client's call."""
        return await self.yard.call(service, operation, request or {}, self.context)

    def served(self, service: str) -> bool:
        return service in self.yard.services

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def require(self, name: str) -> Any:
        value = self.params.get(name)
        if value in (None, ""):
            raise BadRequest(f"missing parameter {name!r}")
        return value


Endpoint = Callable[[Call], Awaitable[Any]]
#: An endpoint that answers with a stream (server-sent events) instead of one JSON value.
Streaming = Callable[[Call], Awaitable["Reply"]]

ENDPOINTS: dict[tuple[str, str], Endpoint] = {}
STREAMS: dict[str, Streaming] = {}


def endpoint(method: str, name: str) -> Callable[[Endpoint], Endpoint]:
    def register(function: Endpoint) -> Endpoint:
        ENDPOINTS[(method, name)] = function
        return function

    return register


def stream(name: str) -> Callable[[Streaming], Streaming]:
    def register(function: Streaming) -> Streaming:
        STREAMS[name] = function
        return function

    return register


async def pages(
    call: Call, service: str, operation: str, request: dict[str, Any], member: str, **more: Any
) -> list[Any]:
    """Every page of a listing operation (``NextToken`` / ``nextToken``), up to 20 pages."""
    items: list[Any] = []
    token_name = more.get("token", "NextToken")
    request = dict(request)
    for _ in range(20):
        answer = await call.op(service, operation, request)
        items += answer.get(member, [])
        token = answer.get(token_name)
        if not token:
            break
        request[token_name] = token
    return items
