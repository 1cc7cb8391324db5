"""The delivery engine: takes rows from the outbox to their targets, with AWS's retry policy.

Deliveries to local queues are mostly written by PutEvents itself (``targets``' staging) and never
come here. PutEvents hands the ids it just committed straight to :meth:`Deliverer.notify`, so
delivery starts at once; rows left by a crash, by another node or by a retry's back-off are found by the timer.
A delivery that succeeds is deleted (in batches). One that fails is retried with exponential
back-off and jitter until the target's RetryPolicy runs out (MaximumRetryAttempts, default 185;
MaximumEventAgeInSeconds, default 86,400) and then goes to the target's DeadLetterConfig queue with
AWS's message attributes, or is dropped when it has none. A target that refuses for good (a
ClientError such as a missing queue) is not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from eventyard.bus import store
from eventyard.bus.targets import batch_deliverer_for, context_of, deliverer_for
from eventyard.bus.transform import payload_for
from eventyard.errors import ClientError

if TYPE_CHECKING:
    from eventyard.bus.service import BusService

log = logging.getLogger("eventyard.bus")

DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE = 86_400
LEASE_SECONDS = 60.0
MIN_IDLE_WAIT = 0.2  # seconds the timer waits when nothing was claimable
BATCH = 200
CONCURRENCY = 16
WORKER_BATCH = 100  # rows a worker takes at once; rows for one target go out together


class Deliverer:
    def __init__(self, bus: BusService) -> None:
        self.bus = bus
        self.yard = bus.yard
        self._ready: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._done: list[int] = []
        self._flushing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if not self.yard.db.shared_by_nodes:
            # One node owns an embedded database: leases left by a crashed run are this node's own,
            # so its undelivered rows go out now instead of after their lease runs out. (Nodes that
            # share PostgreSQL can't know whose a lease is; there it runs out after LEASE_SECONDS.)
            await self.yard.db.write(store.release_leases)
        self._tasks = [asyncio.create_task(self._timer(), name="bus-delivery-timer")]
        self._tasks += [asyncio.create_task(self._worker(), name=f"bus-delivery-{i}") for i in range(CONCURRENCY)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._done:
            await self._flush()

    def notify(self, rows: list[tuple[Any, ...]]) -> None:
        """Deliveries just committed by this node: deliver now, no polling."""
        for row in rows:
            self._ready.put_nowait(row)

    def wake(self) -> None:
        self._wake.set()

    # --- the loops ----------------------------------------------------------------------------

    async def _timer(self) -> None:
        """Claims due rows (retries, leftovers of a crash, other nodes' work) and sleeps till the next.

        It claims only while this node's workers keep up (a short ready queue), so no row waits here
        past its lease; a failing database is logged and retried, never the end of delivery.
        """
        while True:
            try:
                await self._claim_and_wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery timer failed; retrying in a second")
                await asyncio.sleep(1.0)

    async def _claim_and_wait(self) -> None:
        db = self.yard.db
        clock = self.yard.clock
        claimed = 0
        if self._ready.qsize() < BATCH:
            now = clock.now()
            rows = await db.write(partial(store.claim_due, now=now, lease=LEASE_SECONDS, limit=BATCH))
            for row in rows:
                self._ready.put_nowait(row)
            claimed = len(rows)
            if claimed == BATCH:
                return
        upcoming = await db.read(store.next_due)
        self._wake.clear()
        # Wake for the next due row, a notification, or at least every second (other nodes' rows).
        wait = 1.0 if upcoming is None else max(0.0, min(1.0, upcoming - clock.now()))
        if claimed == 0:
            # Rows due now but leased (being delivered) keep next_due in the past: when nothing could
            # be claimed, wait a little rather than spin on the database.
            wait = max(wait, MIN_IDLE_WAIT)
        sleeper = asyncio.ensure_future(clock.sleep(wait))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        if getattr(clock, "virtual", False):
            await asyncio.sleep(0.05)  # a virtual clock may not move: don't spin

    async def _worker(self) -> None:
        while True:
            rows = [await self._ready.get()]
            while len(rows) < WORKER_BATCH and not self._ready.empty():
                rows.append(self._ready.get_nowait())
            groups: dict[tuple[str, str, str, str], list[tuple[Any, ...]]] = {}
            for row in rows:
                groups.setdefault((row[1], row[2], row[3], row[4]), []).append(row)
            for group in groups.values():
                try:
                    await self._deliver(group)
                except Exception:  # never let one delivery kill the worker
                    log.exception("deliveries %s failed unexpectedly", [row[0] for row in group])

    # --- deliveries to one target -------------------------------------------------------------

    async def _deliver(self, rows: list[tuple[Any, ...]]) -> None:
        """Deliver rows that share one (rule, target); batched where the target kind can take a batch."""
        _, account, region, rule_arn, target_id, _, _, _ = rows[0]
        found = await self.bus.target_of(account, region, rule_arn, target_id)
        if found is None:  # the rule or target was removed meanwhile: nothing to deliver to
            for row in rows:
                self._finished(row[0])
            return
        rule, target = found
        items: list[tuple[tuple[Any, ...], str, dict[str, Any]]] = []
        for row in rows:
            event = orjson.loads(row[5])
            try:
                payload = payload_for(target, rule, row[5], event, row[7])
            except Exception as problem:
                await self._failed(row, rule, target, row[5], problem)
                continue
            if payload is None:  # an InputPath that selects nothing: there is nothing to send
                self._finished(row[0])
            else:
                items.append((row, payload, event))
        if not items:
            return
        errors = await self._send(target, rule, [(payload, event) for _, payload, event in items])
        for (row, _, _), outcome in zip(items, errors, strict=True):
            if outcome is None:
                self._finished(row[0])
            else:
                await self._failed(row, rule, target, row[5], outcome)

    async def _send(
        self, target: dict[str, Any], rule: dict[str, Any], items: list[tuple[str, dict[str, Any]]]
    ) -> list[Exception | None]:
        batch = batch_deliverer_for(target["Arn"])
        if batch is not None and len(items) > 1:
            try:
                return await batch(self.yard, target, items, rule)
            except Exception as error:
                return [error] * len(items)
        deliver = deliverer_for(target["Arn"])
        errors: list[Exception | None] = []
        for payload, event in items:
            try:
                if deliver is None:
                    raise ClientError(
                        f"Target {target['Arn']} is not a supported target type.", code="ResourceNotFound"
                    )
                await deliver(self.yard, target, payload, event, rule)
                errors.append(None)
            except Exception as error:
                errors.append(error)
        return errors

    def _finished(self, delivery_id: int) -> None:
        self._done.append(delivery_id)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        while self._done:
            batch, self._done = self._done, []
            await self.yard.db.write(partial(store.finish, ids=batch))

    async def _failed(
        self, row: tuple[Any, ...], rule: dict[str, Any], target: dict[str, Any], event_text: str, error: Exception
    ) -> None:
        delivery_id, _, _, rule_arn, _, _, attempts, ingested_at = row
        policy = target.get("RetryPolicy") or {}
        max_attempts = policy.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)
        max_age = policy.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE)
        now = self.yard.clock.now()
        attempts += 1
        retriable = not isinstance(error, ClientError)
        if retriable and attempts <= max_attempts and now - ingested_at < max_age:
            # Exponential back-off with full jitter, capped at five minutes between tries.
            delay = random.uniform(0, min(300.0, 2.0 ** min(attempts, 12)))
            await self.yard.db.write(lambda c: store.retry_later(c, delivery_id, attempts, now + delay))
            self._wake.set()
            return
        condition = "MaximumRetryAttempts" if attempts > max_attempts else "MaximumEventAgeInSeconds"
        await self._dead_letter(rule_arn, target, event_text, error, attempts - 1, condition if retriable else None)
        self._finished(delivery_id)

    async def _dead_letter(
        self,
        rule_arn: str,
        target: dict[str, Any],
        event_text: str,
        error: Exception,
        retries: int,
        condition: str | None,
    ) -> None:
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not dead_letter or "sqs" not in self.yard.services:
            log.warning("dropping event for %s after %d retries: %s", target["Arn"], retries, error)
            return
        code = getattr(error, "code", type(error).__name__)
        attributes = {
            "RULE_ARN": rule_arn,
            "TARGET_ARN": target["Arn"],
            "ERROR_CODE": str(code),
            "ERROR_MESSAGE": str(getattr(error, "message", error))[:256] or str(code),
            "RETRY_ATTEMPTS": str(retries),
        }
        if condition:
            attributes["EXHAUSTED_RETRY_CONDITION"] = condition
        context = context_of(self.yard, dead_letter)
        name = dead_letter.rsplit(":", 1)[-1]
        request = {
            "QueueUrl": f"{self.yard.endpoint}/{context.account}/{name}",
            "MessageBody": event_text,
            "MessageAttributes": {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        }
        try:
            await self.yard.call("sqs", "SendMessage", request, context)
        except Exception as failure:
            log.warning("could not dead-letter to %s: %s", dead_letter, failure)
