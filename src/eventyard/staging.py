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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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
