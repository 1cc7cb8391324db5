"""Scheduled rules: ``rate()`` and ``cron()`` rules fire AWS's "Scheduled Event" on the Clock.

Each enabled schedule rule keeps ``LastFired`` (the scheduled time it last fired for) in its
document. A firing writes its deliveries and the new ``LastFired`` in ONE transaction, so a crash
can neither fire a time twice nor lose it: on restart, times missed while the server was down
fire then (up to :data:`MAX_CATCH_UP` per rule). On a virtual clock, advancing time fires every
schedule that came due, instantly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import orjson

from eventyard.bus import store
from eventyard.bus.delivery import LEASE_SECONDS
from eventyard.bus.names import DEFAULT_BUS
from eventyard.ids import new_uuid

if TYPE_CHECKING:
    from eventyard.bus.service import BusService

log = logging.getLogger("eventyard.bus.schedule")

MAX_CATCH_UP = 100


class Scheduler:
    def __init__(self, bus: BusService) -> None:
        self.bus = bus
        self.yard = bus.yard
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="bus-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def changed(self) -> None:
        self._changed.set()

    async def _run(self) -> None:
        while True:
            try:
                await self._fire_due_and_wait()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end the schedules
                log.exception("scheduler failed; retrying in a second")
                await asyncio.sleep(1.0)

    async def _fire_due_and_wait(self) -> None:
        from eventyard.bus.schedule import parse_schedule

        clock = self.yard.clock
        self._changed.clear()
        rules = await self.yard.db.read(lambda c: store.every(c, "rule"))
        upcoming: float | None = None
        for account, region, rule in rules:
            if not rule.get("ScheduleExpression") or rule.get("State") == "DISABLED":
                continue
            schedule = parse_schedule(rule["ScheduleExpression"])
            anchor: float = rule.get("ScheduleAnchor") or rule.get("CreatedAt") or clock.now()
            after: float = rule.get("LastFired", anchor)
            due = schedule.next_after(after, anchor=anchor)
            fired = 0
            while due is not None and due <= clock.now() and fired < MAX_CATCH_UP:
                if not await self._fire(account, region, rule, due, after):
                    break
                after, fired = due, fired + 1
                due = schedule.next_after(after, anchor=anchor)
            if due is not None and (upcoming is None or due < upcoming):
                upcoming = due
        wait = 60.0 if upcoming is None else max(0.0, upcoming - clock.now())
        sleeper = asyncio.ensure_future(clock.sleep(min(wait, 60.0)))
        waker = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    async def _fire(self, account: str, region: str, rule: dict[str, Any], due: float, previous: float) -> bool:
        """Fire ``rule`` for the scheduled time ``due``; False if another node fired it first."""
        from eventyard.bus.schedule import scheduled_event

        event = scheduled_event(rule["Arn"], account, region, due, new_uuid())
        text = orjson.dumps(event).decode()
        now = self.yard.clock.now()

        def job(c: Any) -> list[tuple[Any, ...]] | None:
            current = store.get(c, account, region, "rule", DEFAULT_BUS, rule["Name"], for_update=True)
            if current is None or current.get("LastFired", previous) != previous:
                return None
            current["LastFired"] = due
            store.put(c, account, region, "rule", DEFAULT_BUS, rule["Name"], current)
            rows = [(account, region, rule["Arn"], t["Id"], text, now, now) for t in current["Targets"]]
            return store.enqueue(c, rows, now + LEASE_SECONDS)

        delivered = await self.yard.db.write(job)
        if delivered is None:
            return False
        rule["LastFired"] = due
        self.bus.deliverer.notify(delivered)
        return True
