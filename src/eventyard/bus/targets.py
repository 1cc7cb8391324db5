"""Where matched events go: one deliverer per kind of target ARN.

A deliverer is ``async (yard, target, payload, event, rule) -> None`` that raises on failure; a
:class:`~eventyard.errors.ClientError` means the target refused for good (no retries, straight to
the dead-letter queue), anything else is retried by the target's RetryPolicy. The workflow,
stream and function services register their own kinds with :func:`register` when they exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from eventyard.bus.names import parse_arn
from eventyard.errors import ResourceNotFoundException
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.yard import Yard

Deliver = Callable[["Yard", dict[str, Any], str, dict[str, Any], dict[str, Any]], Awaitable[None]]

#: (service in the ARN, resource prefix) -> deliverer
_KINDS: dict[tuple[str, str], Deliver] = {}


def register(service: str, resource_prefix: str, deliver: Deliver) -> None:
    _KINDS[(service, resource_prefix)] = deliver


def deliverer_for(arn: str) -> Deliver | None:
    parts = parse_arn(arn)
    if parts is None:
        return None
    _, service, _, _, resource = parts
    for (kind_service, prefix), deliver in _KINDS.items():
        if kind_service == service and resource.startswith(prefix):
            return deliver
    return None


def supported(arn: str) -> bool:
    return deliverer_for(arn) is not None


def context_of(yard: Yard, arn: str) -> RequestContext:
    parts = parse_arn(arn)
    assert parts is not None
    return RequestContext(account=parts[3], region=parts[2], endpoint=yard.endpoint)


async def to_queue(
    yard: Yard, target: dict[str, Any], payload: str, event: dict[str, Any], rule: dict[str, Any]
) -> None:
    """SQS: SendMessage with the payload; FIFO queues get the group id and the event id as dedup id."""
    queues = yard.services.get("sqs")
    if queues is None:
        raise ResourceNotFoundException("The queue service is not running.")
    arn = target["Arn"]
    parts = parse_arn(arn)
    assert parts is not None
    name = parts[4]
    context = context_of(yard, arn)
    request: dict[str, Any] = {"QueueUrl": f"{yard.endpoint}/{context.account}/{name}", "MessageBody": payload}
    if name.endswith(".fifo"):
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if group:
            request["MessageGroupId"] = group
        request["MessageDeduplicationId"] = event["id"]
    await yard.call("sqs", "SendMessage", request, context)


async def to_bus(yard: Yard, target: dict[str, Any], payload: str, event: dict[str, Any], rule: dict[str, Any]) -> None:
    """Another event bus: the event enters it as it is (same id), and its rules decide."""
    bus = yard.services["events"]
    parts = parse_arn(target["Arn"])
    assert parts is not None
    await bus.forward(context_of(yard, target["Arn"]), parts[4].removeprefix("event-bus/"), event)  # type: ignore[attr-defined]


register("sqs", "", to_queue)
register("events", "event-bus/", to_bus)
