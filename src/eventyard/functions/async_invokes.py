"""Asynchronous invokes (InvocationType Event): a kernel timer each, run, retried and routed to destinations.

An Event invoke is written as a timer of :class:`AsyncInvokes` (key: the request id; payload: the
function as called and the event) and acknowledged once that commits, so it survives ``kill -9``.
The node that wrote it claims it in the same statement and fires it as soon as the transaction
commits; a crash, another node or a retry's back-off leaves it to the kernel.

Each attempt's outcome goes through the kernel's delivery policy (:mod:`eventyard.kernel.delivery`)
with Lambda's settings (PutFunctionEventInvokeConfig, AWS's defaults otherwise):

- a function error or a timeout is retried ``MaximumRetryAttempts`` times (default 2), one minute
  before the first retry and two before the second, as AWS documents, within
  ``MaximumEventAgeInSeconds`` (default 21600, six hours);
- a throttle (reserved concurrency) is retried with back-off until the event is too old, without
  counting against the retries (AWS: "Lambda retries throttles ... for up to 6 hours");
- the function gone (deleted since) is a refusal for good;
- the end goes to the configured destination (OnSuccess / OnFailure, see :mod:`.destinations`),
  or on failure to the function's DeadLetterConfig queue or topic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from eventyard.errors import ClientError
from eventyard.functions import destinations, store
from eventyard.functions.names import LATEST, FunctionName
from eventyard.functions.runner import Outcome, Throttled
from eventyard.ids import new_uuid
from eventyard.kernel import Firing, Job, Timer
from eventyard.kernel.delivery import Deliveries, GaveUp, RetryPolicy

if TYPE_CHECKING:
    from eventyard.functions.service import FunctionService

log = logging.getLogger("eventyard.functions")

OWNER = "lambda.async"
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600
THROTTLE_DELAY = 1.0


@dataclass(frozen=True, slots=True)
class AsyncRetry(RetryPolicy):
    """Lambda's schedule: one minute before the first retry, two before the second (no jitter)."""

    def delay(self, retry: int) -> float:
        return min(300.0, 60.0 * 2.0 ** max(0, retry - 1))


class FunctionFailed(Exception):
    """The handler raised or timed out: the attempt failed (and may be retried)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.payload.decode("utf-8", "replace")[:500])
        self.outcome = outcome


def _payload_of(name: FunctionName, event: bytes, request_id: str) -> str:
    return orjson.dumps(
        {
            "a": name.account,
            "r": name.region,
            "n": name.name,
            "q": name.qualifier,
            "e": event.decode("utf-8"),
            "id": request_id,
        }
    ).decode()


class AsyncInvokes(Job):
    owner = OWNER
    batch = 1
    concurrency = 64

    def __init__(self, service: FunctionService) -> None:
        self.service = service
        self.yard = service.yard
        self.policy = Deliveries(OWNER, service.yard.kernel.metrics)

    async def enqueue(self, name: FunctionName, event: bytes) -> str:
        """Write one Event invoke durably and start it once committed; returns its request id."""
        request_id = new_uuid()
        kernel = self.yard.kernel
        item = [(request_id, _payload_of(name, event, request_id))]
        timers = await self.yard.db.write(lambda c: kernel.add_claimed(c, OWNER, item, kernel.clock.now()))
        kernel.fire_now(timers)
        return request_id

    async def fire(self, firing: Firing) -> None:
        for timer in firing.timers:
            await self._one(firing, timer)

    async def _one(self, firing: Firing, timer: Timer) -> None:
        data = orjson.loads(timer.payload)
        name = FunctionName(data["a"], data["r"], data["n"], data["q"])
        event = str(data["e"]).encode("utf-8")
        request_id = str(data["id"])
        settings = await self._settings(name)
        policy = AsyncRetry(
            int(settings.get("MaximumRetryAttempts", DEFAULT_RETRIES)),
            float(settings.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE)),
        )
        outcome: Outcome | None = None
        error: Exception | None = None
        try:
            target = await self.service.resolve(name)
            outcome = await self.service.runner.run(target, event, request_id)
        except Throttled as throttled:
            if firing.now - timer.created < policy.max_age:  # throttles don't use up the retries
                firing.rearm(timer, firing.now + THROTTLE_DELAY * 2 ** min(timer.attempts, 8), attempts=timer.attempts)
                self.yard.kernel.metrics.count(OWNER, "throttled")
                return
            error = throttled
        except ClientError as refused:  # the function is gone
            error = refused
        if outcome is not None and outcome.function_error:
            error = FunctionFailed(outcome)
        record = destinations.Invocation(name, event, request_id, timer.attempts + 1)
        if error is None and outcome is not None:
            await self.policy.settle(firing, timer, None, policy, None)
            on_success = ((settings.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination")
            if on_success:
                await self._send(on_success, record.success(outcome), name)
            return

        async def dead_letter(gave_up: GaveUp) -> None:
            failed = gave_up.error.outcome if isinstance(gave_up.error, FunctionFailed) else None
            condition = "EventAgeExceeded" if gave_up.exhausted == "MaximumEventAgeInSeconds" else "RetriesExhausted"
            on_failure = ((settings.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            if on_failure:
                await self._send(on_failure, record.failure(failed, condition, gave_up.error), name)
                return
            queue = await self._dead_letter_target(name)
            if queue:
                await destinations.send_dead_letter(self.yard, queue, record, failed, gave_up.error)
                return
            raise RuntimeError("no destination")

        has_target = bool(((settings.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"))
        has_target = has_target or bool(await self._dead_letter_target(name))
        assert error is not None
        await self.policy.settle(firing, timer, error, policy, dead_letter if has_target else None)

    async def _settings(self, name: FunctionName) -> dict[str, Any]:
        """The event invoke config of the qualifier called (or $LATEST's for an unqualified call)."""
        qualifier = name.qualifier or LATEST
        found = await self.yard.db.read(
            lambda c: store.get_event_config(c, name.account, name.region, name.name, qualifier)
        )
        return found or {}

    async def _dead_letter_target(self, name: FunctionName) -> str | None:
        if self.service.in_process(name) is not None:
            return None
        function = await self.yard.db.read(lambda c: store.get_function(c, name.account, name.region, name.name))
        if function is None:
            return None
        target = (function.config.get("DeadLetterConfig") or {}).get("TargetArn")
        return str(target) if target else None

    async def _send(self, destination: str, record: dict[str, Any], name: FunctionName) -> None:
        try:
            await destinations.send(self.yard, destination, record, name)
        except Exception as failure:  # AWS counts DestinationDeliveryFailures; the invoke itself is done
            log.warning("lambda: could not send the invocation record to %s: %s", destination, failure)
            self.yard.kernel.metrics.count(OWNER, "destination_failed")
