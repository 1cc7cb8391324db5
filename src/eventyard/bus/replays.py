"""The replay engine: a kernel job that sends a time window of an archive's events again.

StartReplay writes the replay (STARTING) and arms its timer (key: the replay's ARN) in one
transaction. Whichever node claims the timer runs the replay: RUNNING, then batch after batch of
:data:`BATCH` archived events routed to the archive's bus (or only to the chosen rules) with
``replay-name`` added, then COMPLETED; CancelReplay's CANCELLING ends it CANCELLED at the next batch.

Each batch records how far the replay got (``Position``, an archive row id) in the transaction
that keeps the batch's deliveries, with the claim verified there: no batch is routed twice. The
claim is what makes one node at a time run a replay; a node that dies stops renewing it, and any
other node's kernel fires the timer again once the claim runs out (at once on an embedded database
after a restart, and at once after a clean stop, which hands claims over), carrying on after the
last recorded batch.
"""

from __future__ import annotations

import datetime as _dt
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from eventyard import arn
from eventyard.bus import store
from eventyard.bus.names import Where
from eventyard.kernel import Firing, Job

if TYPE_CHECKING:
    from eventyard.bus.service import BusService

OWNER = "events.replay"
BATCH = 100  # archived events routed (and recorded as done) at a time
ACTIVE = ("STARTING", "RUNNING", "CANCELLING")


def _epoch(iso: str) -> float:
    return _dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class Replays(Job):
    owner = OWNER
    concurrency = 4

    def __init__(self, bus: BusService) -> None:
        self.bus = bus
        self.yard = bus.yard

    def start(self, c: Any, replay: dict[str, Any]) -> None:
        """Inside StartReplay's transaction: the replay's timer, due now."""
        self.yard.kernel.set(c, OWNER, replay["ReplayArn"], self.yard.clock.now())

    def reconcile(self, c: Any) -> None:
        """At start: every active replay has its timer (replays written before timers existed)."""
        now = self.yard.clock.now()
        for _, _, replay in store.every(c, "replay"):
            if replay["State"] in ACTIVE:
                self.yard.kernel.ensure(c, OWNER, replay["ReplayArn"], now)

    async def fire(self, firing: Firing) -> None:
        parts = arn.parse(firing.timer.key)
        if parts is None:
            return
        where, name = Where(parts.account, parts.region), parts.resource_name
        replay = await firing.checkpoint(partial(self._record, where=where, name=name, changes={}))
        if replay is None or replay["State"] != "RUNNING":
            return
        archive_arn = replay["EventSourceArn"]
        start, end = replay["EventStartTime"], replay["EventEndTime"]
        rules = set(replay["Destination"].get("FilterArns") or []) or None
        bus = replay["Destination"]["Arn"].split(":event-bus/", 1)[-1]
        position = replay.get("Position", 0)
        while True:
            rows = await self.yard.db.read(
                partial(
                    store.archived_after, archive_arn=archive_arn, start=start, end=end, after=position, limit=BATCH
                )
            )
            if not rows:
                break
            events = []
            for _, text in rows:
                event = orjson.loads(text)
                event["replay-name"] = name
                events.append(event)
            last = max(_epoch(event["time"]) for event in events)
            progress = {
                "Position": rows[-1][0],
                "EventLastReplayedTime": max(last, replay.get("EventLastReplayedTime", last)),
            }
            recorded: list[dict[str, Any] | None] = []

            def record(c: Any, changes: dict[str, Any] = progress, into: list[Any] = recorded) -> None:
                # in the transaction that keeps the batch's deliveries: a batch is routed exactly once
                firing.verify(c)
                into.append(self._record(c, where, name, changes))

            await self.bus.route_events(
                where, [(bus, event) for event in events], self.yard.clock.now(), only_rules=rules, also=record
            )
            replay = recorded[0]
            if replay is None or replay["State"] != "RUNNING":  # cancelled, or ended elsewhere
                return
            position = replay["Position"]
        done = {"State": "COMPLETED", "ReplayEndTime": self.yard.clock.now()}
        await firing.checkpoint(partial(self._record, where=where, name=name, changes=done))

    def _record(self, c: Any, where: Where, name: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Record progress or an end state; None once the replay is over. STARTING becomes RUNNING,
        and a replay cancelled meanwhile ends CANCELLED instead of going on (or completing)."""
        replay = store.get(c, where.account, where.region, "replay", "", name, for_update=True)
        if replay is None or replay["State"] not in ACTIVE:
            return None
        now = self.yard.clock.now()
        if replay["State"] == "CANCELLING":
            changes = {"State": "CANCELLED", "ReplayEndTime": now}
        elif replay["State"] == "STARTING":
            changes = {"State": "RUNNING", **changes}
        replay.update(changes)
        for stale in ("Runner", "LeaseUntil"):  # an earlier release's ownership fields
            replay.pop(stale, None)
        store.put(c, where.account, where.region, "replay", "", name, replay)
        return replay
