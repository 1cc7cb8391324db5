"""The trace of one event: what it matched and what it caused, kept durably for a while.

A person debugging an event-driven system asks "where did my OrderCreated go?". The services
answer that with a small, durable correlation record, written in the transactions that already
exist, so that a trace is never ahead of or behind what really happened:

- PutEvents (``bus/events.py``) writes one ``event`` step per accepted event that some rule
  matched, in the transaction that accepts it: its bus, source and detail-type, each rule it
  matched and, for every target of those rules, the delivery: ``written`` with its resulting id
  (the queue message's ``MessageId``, the execution's ``executionArn``, the topic message's
  ``MessageId``) when the target was written in that same transaction (staged), ``pending``
  when the kernel delivers it;
- a kernel delivery (``bus/delivery.py``) writes a ``delivery`` step in the transaction that
  records its outcome: ``delivered``, ``retrying`` or ``failed`` with the error;
- Publish (``topics/publishing.py``) writes one ``event`` step per message that some
  subscription matched: each subscription and the queue message it got.

Traces are keyed by the event's (or message's) id; an SNS message id found in a bus trace is a
trace of its own, which the console follows. Events no rule matched write nothing, so the hot
path of an unmatched PutEvents is unchanged. Steps older than :attr:`Tracer.retention` seconds
(24 hours by default) are deleted by a kernel job, once an hour, on one node at a time.

Tracing costs the hot paths something (a step per matched event: about 8 µs of a PutEvents entry's
work, see docs/benchmarks.md); ``EVENTYARD_TRACE=off`` (or ``0``, ``false``, ``no``) switches it off
for a server that wants every last call per second: nothing is built or written then, and the
console's trace page says so.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventyard.kernel import Firing, Job
from eventyard.trace import store
from eventyard.trace.store import Step

if TYPE_CHECKING:
    from eventyard.kernel import Kernel
    from eventyard.storage import Database

DEFAULT_RETENTION = 24 * 3600.0
SWEEP_EVERY = 3600.0
SWEEP = "trace.sweep"
ENVIRONMENT = "EVENTYARD_TRACE"


def enabled_by_environment() -> bool:
    return os.environ.get(ENVIRONMENT, "on").strip().lower() not in ("off", "0", "false", "no")


class Tracer:
    """A yard's trace: services append steps inside their transactions; the console reads them."""

    migrations = store.MIGRATIONS

    def __init__(self, db: Database, kernel: Kernel, *, retention: float = DEFAULT_RETENTION) -> None:
        self.db = db
        self.kernel = kernel
        self.retention = retention
        #: False with ``EVENTYARD_TRACE=off``: the services then build and write no steps.
        self.enabled = enabled_by_environment()
        kernel.register(_Sweep(self))

    def record(self, connection: Any, steps: Sequence[Step]) -> None:
        """Append ``steps`` in the caller's transaction (``(trace id, step, body)`` each)."""
        if steps and self.enabled:
            store.append(connection, steps, self.kernel.clock.now())

    async def start(self) -> None:
        now = self.kernel.clock.now()
        await self.db.write(lambda c: self.kernel.ensure(c, SWEEP, "", now + SWEEP_EVERY))

    async def steps(self, trace_id: str) -> list[tuple[float, str, dict[str, Any]]]:
        """One trace's steps in the order they were written: ``(at, step, body)``."""
        return await self.db.read(lambda c: store.steps_of(c, trace_id))

    async def recent(self, limit: int = 50) -> list[tuple[str, float, dict[str, Any]]]:
        """The newest traces: ``(trace id, at, event step body)``, newest first."""
        return await self.db.read(lambda c: store.recent(c, limit))

    async def sweep(self) -> int:
        """Delete steps past the retention now; returns how many."""
        before = self.kernel.clock.now() - self.retention
        return await self.db.write(lambda c: store.prune(c, before))


class _Sweep(Job):
    """Deletes trace steps past their retention, then re-arms itself an hour later."""

    owner = SWEEP
    concurrency = 1

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    async def fire(self, firing: Firing) -> None:
        before = firing.now - self.tracer.retention

        def prune(c: Any) -> None:
            store.prune(c, before)

        firing.also(prune)
        firing.rearm(firing.timer, firing.now + SWEEP_EVERY)


__all__ = ["Step", "Tracer"]
