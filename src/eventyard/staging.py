"""Staged calls: one service's operation checked now and written inside another service's transaction.

Some writes must commit together across services: the messages a PutEvents routes to a local queue,
what an SNS Publish fans out to subscribed queues, the message a workflow's ``sqs:sendMessage``
task sends in the transaction that records the task's success (exactly once). The caller stages
the operation through the same way in as any call::

    staged = await yard.api.stage("sqs", "SendMessageBatch", request, context)
    ...                                   # in the caller's own job, inside its transaction:
    staged.write(connection)              # the operation's writes; ``staged.result`` is its answer
    ...                                   # once that transaction committed:
    staged.committed()                    # wake-ups (long polls), caches

A service offers this for an operation by a method ``stage_<operation>`` (``stage_send_message_batch``)
that runs every check the operation runs, reads what it needs, and returns a :class:`StagedCall`;
nothing is written until ``write``. Staging raises what the operation would raise (a missing
queue, a bad message); the caller decides what to do then (the bus falls back to a delivery that
retries and dead-letters).

A caller writing many staged calls at once (an SNS fan-out: one SendMessageBatch per subscribed
queue) writes them inside :func:`rows_together`: a store that can (the queue's plain messages) then
hands its rows to the group (:func:`defer`) instead of inserting them, and they are inserted when the
group ends, every call's at once: ten queues' 90 messages cost four INSERTs (64, 16, 8 and 2 rows)
instead of ten ``executemany`` of nine steps each, and the storage thread takes the GIL back from
SQLite once a statement instead of once a row. A failure then fails the
group; the caller's savepoint takes it back, as it would one call's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

RowWriter = Callable[[Any, list[Any]], None]
_group: ContextVar[dict[tuple[RowWriter, Any], list[Any]] | None] = ContextVar("eventyard_rows_together", default=None)


class CannotStage(Exception):
    """The operation has no staged form: call it after the transaction commits instead."""


class StagedCall:
    """An operation's writes, ready to run in a transaction someone else holds."""

    def __init__(
        self, write: Callable[[Any], Any], committed: Callable[[], None] | None = None, refused: list[str] | None = None
    ) -> None:
        self._write = write
        self._committed = committed
        self.result: Any = None
        #: A batch operation's entries (by Id) refused already by the checks: they will be in the
        #: answer's ``Failed`` and are not written.
        self.refused: list[str] = refused or []

    def write(self, connection: Any) -> Any:
        """Run the operation's writes on ``connection``; returns (and keeps in ``result``) its answer."""
        self.result = self._write(connection)
        return self.result

    def committed(self) -> None:
        """The caller's transaction committed: do what the operation does after its own commit."""
        if self._committed is not None:
            self._committed()


@contextmanager
def rows_together() -> Iterator[None]:
    """Write the staged calls made inside as one group: deferred rows are inserted at its end."""
    group: dict[tuple[RowWriter, Any], list[Any]] = {}
    token = _group.set(group)
    try:
        yield
        for (write, connection), rows in group.items():
            write(connection, rows)
    finally:
        _group.reset(token)


def defer(write: RowWriter, connection: Any, rows: list[Any]) -> bool:
    """Hand ``rows`` to the group open on this thread, if there is one: ``write(connection, rows)``
    inserts them, with every other call's, when it ends. False when none is open: insert them now."""
    group = _group.get()
    if group is None:
        return False
    group.setdefault((write, connection), []).extend(rows)
    return True
