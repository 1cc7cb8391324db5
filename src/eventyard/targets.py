"""Target kinds: where an EventBridge rule can deliver, filled by the services that provide them.

Each yard has one :class:`TargetKinds`. A service registers the kinds of target ARN it can take
when it is built (the queue service ``arn:aws:sqs:...``, the bus itself ``event-bus/`` and
``api-destination/``, the workflow service ``stateMachine:``...). The bus asks the registry what an
ARN's kind is; it never imports another service. A kind has:

- ``deliver(target, payload, event, rule)``: deliver one event, raising on failure; a
  :class:`~eventyard.errors.ClientError` means the target refused for good (no retries, straight to
  the dead-letter queue), anything else is retried by the target's RetryPolicy;
- optionally ``batch(target, [(payload, event)], rule)`` -> one error or None per item: many
  events to one target at once;
- optionally ``stage(target, [(payload, event)])`` -> :class:`Staged` or None: for a target that
  lives in the same database, check the deliveries up front so that the bus writes them in the
  transaction that accepts the events (no outbox, no second transaction). ``Staged.write`` is that
  explicit storage API: it runs inside the caller's transaction. A staged write may also offer
  ``results()`` -> {item position: the ids it made} (``{"MessageId": ...}``, ``{"executionArn": ...}``),
  read after ``write`` for the trace of the event (see :mod:`eventyard.trace`).
  :class:`StagedCalls` is one made of a service's own staged calls (``eventyard.staging``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from eventyard import arn as arns
from eventyard.staging import StagedCall

Target = dict[str, Any]
Rule = dict[str, Any]
Deliver = Callable[[Target, str, dict[str, Any], Rule], Awaitable[None]]
BatchDeliver = Callable[[Target, list[tuple[str, dict[str, Any]]], Rule], Awaitable[list[Any]]]


class Staged(Protocol):
    """Deliveries checked by their target, to be written in the transaction that accepts the events;
    ``refused``: the positions of those the target would refuse (they are not written)."""

    refused: list[int]

    def write(self, connection: Any, now: float) -> None: ...

    def committed(self) -> None: ...


Stage = Callable[[Target, list[tuple[str, dict[str, Any]]]], Awaitable[Staged | None]]


class StagedCalls:
    """Staged calls (:class:`~eventyard.staging.StagedCall`) as one :class:`Staged`, written and
    committed in order; ``ids`` reads what they returned (a result a call) into ``results()``."""

    def __init__(
        self, calls: list[StagedCall], refused: list[int], ids: Callable[[list[Any]], dict[int, dict[str, Any]]]
    ) -> None:
        self.calls = calls
        self.refused = refused
        self._ids = ids

    def write(self, connection: Any, now: float) -> None:
        for call in self.calls:
            call.write(connection)

    def results(self) -> dict[int, dict[str, Any]]:
        return self._ids([call.result for call in self.calls])

    def committed(self) -> None:
        for call in self.calls:
            call.committed()


@dataclass(frozen=True, slots=True)
class TargetKind:
    service: str  # the service part of the ARN (``sqs``, ``events``, ``states``...)
    resource_prefix: str  # what the resource part starts with ('' for any)
    deliver: Deliver
    batch: BatchDeliver | None = None
    stage: Stage | None = None


class TargetKinds:
    """The target kinds of one yard, by the service and resource prefix of their ARNs."""

    def __init__(self) -> None:
        self._kinds: list[TargetKind] = []
        self._by_arn: dict[str, TargetKind | None] = {}

    def register(
        self,
        service: str,
        resource_prefix: str,
        deliver: Deliver,
        *,
        batch: BatchDeliver | None = None,
        stage: Stage | None = None,
    ) -> None:
        # a later registration of the same kind replaces the earlier one (a test's stand-in, an app's own)
        self._kinds = [k for k in self._kinds if (k.service, k.resource_prefix) != (service, resource_prefix)]
        self._kinds.append(TargetKind(service, resource_prefix, deliver, batch, stage))
        # longest prefix first, so ``event-bus/`` and ``api-destination/`` never shadow each other
        self._kinds.sort(key=lambda kind: -len(kind.resource_prefix))
        self._by_arn.clear()

    def kind_of(self, arn: str) -> TargetKind | None:
        """The kind that delivers to ``arn``, or None when no service of this yard takes it."""
        try:
            return self._by_arn[arn]
        except KeyError:
            pass
        parts = arns.parse(arn)
        found = None
        if parts is not None:
            found = next(
                (k for k in self._kinds if k.service == parts.service and parts.resource.startswith(k.resource_prefix)),
                None,
            )
        if len(self._by_arn) > 10_000:
            self._by_arn.clear()
        self._by_arn[arn] = found
        return found

    def supported(self, arn: str) -> bool:
        return self.kind_of(arn) is not None
