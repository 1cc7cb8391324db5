"""Task tokens and activity workers: SendTaskSuccess/Failure/Heartbeat and GetActivityTask.

A token is a Task attempt's id (``integrations``). Resolving one records the outcome on the
attempt's row and fires the execution's timer, in one transaction; the execution goes on from its
committed state in the firing that follows, on whichever node claims it. GetActivityTask takes
the oldest waiting task of an activity (one statement, rows other nodes hold are skipped), marks
it started by the worker and fires the execution so its history shows ActivityStarted; it waits up
to 60 seconds for one, woken when a task is scheduled on this node or, on PostgreSQL, on another.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from eventyard.service import RequestContext, Service
from eventyard.storage.base import Listener
from eventyard.wakeups import Wakeups, wait_or_timeout
from eventyard.workflows import execution_store as store
from eventyard.workflows.api_errors import InvalidOutput, InvalidToken, TaskTimedOut
from eventyard.workflows.engine import ExecutionEngine
from eventyard.workflows.integrations import ACTIVITY_CHANNEL

log = logging.getLogger("eventyard.workflows")

POLL_SECONDS = 60.0


#: Long polls of GetActivityTask per activity ARN, woken when a task of it is scheduled.
ActivityWaiters = Wakeups[str]


class CallbackOperations(Service):
    engine: ExecutionEngine
    activity_waiters: ActivityWaiters
    activity_listener: Listener | None

    async def send_task_success(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        output = request["output"]
        try:
            orjson.loads(output)
        except orjson.JSONDecodeError as error:
            raise InvalidOutput(f"Invalid Output: '{error}'")
        await self._resolve(request["taskToken"], "succeeded", output, None, None)
        return {}

    async def send_task_failure(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        await self._resolve(request["taskToken"], "failed", None, request.get("error"), request.get("cause"))
        return {}

    async def send_task_heartbeat(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        token = request["taskToken"]
        _check_token(token)
        now = self.yard.clock.now()

        def job(c: Any) -> None:
            attempt = store.attempt(c, token)
            if attempt is None:
                raise InvalidToken("Invalid Token: 'Invalid token'")
            if not store.heartbeat(c, token, now):
                raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")

        await self.yard.db.write(job)
        return {}

    async def _resolve(self, token: str, status: str, output: str | None, error: str | None, cause: str | None) -> None:
        _check_token(token)
        engine = self.engine

        def job(c: Any) -> None:
            attempt = store.attempt(c, token, for_update=True)
            if attempt is None or attempt.kind == "effect":
                raise InvalidToken("Invalid Token: 'Invalid token'")
            if not store.resolve_attempt(c, token, status, output, error, cause):
                raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
            engine.wake(c, attempt.execution_arn)

        await self.yard.db.write(job)

    # --- activity workers ---------------------------------------------------------------------------

    async def get_activity_task(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        activity_arn = request["activityArn"]
        await self.activity_exists(context, activity_arn)  # InvalidArn, ActivityDoesNotExist
        worker = request.get("workerName")
        clock = self.yard.clock
        deadline = clock.now() + POLL_SECONDS
        while True:
            waiter = self.activity_waiters.arm(activity_arn)
            try:
                taken = await self.yard.db.write(lambda c: self._take(c, activity_arn, worker))
                if taken is not None:
                    return {"taskToken": taken.token, "input": taken.input or "{}"}
                if clock.now() >= deadline:
                    return {}
                await wait_or_timeout(clock, waiter, deadline)
            finally:
                self.activity_waiters.disarm(activity_arn, waiter)

    def _take(self, c: Any, activity_arn: str, worker: str | None) -> store.Attempt | None:
        taken = store.take_activity_task(c, activity_arn, worker, self.yard.clock.now())
        if taken is not None:
            self.engine.wake(c, taken.execution_arn)
        return taken

    async def activity_exists(self, context: RequestContext, activity_arn: str) -> bool:
        """Overridden by the service: True, or the catalogue's error for a missing activity."""
        return True

    def activity_scheduled(self, activity_arn: str) -> None:
        """A task of ``activity_arn`` was committed: wake its long polls on this node (the commit
        notified the other nodes' through ``connection.notify``)."""
        self.activity_waiters.notify(activity_arn)

    async def listen_for_activities(self) -> None:
        try:
            self.activity_listener = await self.yard.db.listen(ACTIVITY_CHANNEL, self.activity_waiters.notify)
        except Exception:  # polls on this node still wake; others wait for their deadline
            log.warning("workflows: LISTEN failed; cross-node activity wake-ups are off", exc_info=True)


def _check_token(token: str) -> None:
    if not (len(token) == 64 and all(ch in "0123456789abcdef" for ch in token)):
        raise InvalidToken("Invalid Token: 'Invalid token'")
