"""Scheduled rules: ``rate()`` and ``cron()`` rules fire AWS's "Scheduled Event" on the Clock.

Each enabled schedule rule has one kernel timer (key: the rule's ARN) due at its next scheduled
time; the rule operations arm, re-arm and cancel it in the transaction that writes the rule. The
rule keeps ``LastFired`` (the scheduled time it last fired for) in its document. A firing writes
the event's deliveries and the new ``LastFired`` in ONE transaction with the timer's re-arming, so
a crash can neither fire a time twice nor lose it: times missed while the server was down fire on
restart (the first :data:`MAX_CATCH_UP` of them per rule; the ones beyond that are skipped). On a
virtual clock, advancing time fires every schedule that came due, in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from eventyard import arn
from eventyard.bus import store
from eventyard.bus.delivery import OWNER as DELIVERIES
from eventyard.bus.delivery import delivery_key
from eventyard.bus.names import DEFAULT_BUS
from eventyard.bus.schedule import parse_schedule, scheduled_event
from eventyard.ids import new_uuid
from eventyard.kernel import Firing, Job

if TYPE_CHECKING:
    from eventyard.bus.service import BusService

MAX_CATCH_UP = 100
OWNER = "events.schedule"


def next_firing(rule: dict[str, Any], now: float) -> float | None:
    """When an enabled schedule rule fires next (None when it is not one, or its schedule is over)."""
    if not rule.get("ScheduleExpression") or rule.get("State") == "DISABLED":
        return None
    anchor: float = rule.get("ScheduleAnchor") or rule.get("CreatedAt") or now
    return parse_schedule(rule["ScheduleExpression"]).next_after(rule.get("LastFired", anchor), anchor=anchor)


class ScheduledRules(Job):
    owner = OWNER
    concurrency = 4

    def __init__(self, bus: BusService) -> None:
        self.bus = bus
        self.kernel = bus.yard.kernel

    def arm(self, c: Any, rule: dict[str, Any]) -> None:
        """Inside a job that wrote ``rule``: (re-)arm its timer, or cancel it when it has no schedule now."""
        due = next_firing(rule, self.kernel.clock.now())
        if due is None:
            self.kernel.cancel(c, OWNER, rule["Arn"])
        else:
            self.kernel.set(c, OWNER, rule["Arn"], due)

    def disarm(self, c: Any, rule_arn: str) -> None:
        self.kernel.cancel(c, OWNER, rule_arn)

    def reconcile(self, c: Any) -> None:
        """At start: every enabled schedule rule has its timer (rules written before timers existed)."""
        now = self.kernel.clock.now()
        for _, _, rule in store.every(c, "rule"):
            due = next_firing(rule, now)
            if due is not None:
                self.kernel.ensure(c, OWNER, rule["Arn"], due)

    async def fire(self, firing: Firing) -> None:
        firing.also(lambda c: self._fire_due(c, firing))

    def _fire_due(self, c: Any, firing: Firing) -> None:
        """Fire every scheduled time of the rule that has come (at most MAX_CATCH_UP), then re-arm."""
        where = arn.parse(firing.timer.key)
        if where is None:
            return
        name = where.resource_name
        rule = store.get(c, where.account, where.region, "rule", DEFAULT_BUS, name, for_update=True)
        now = firing.now
        if rule is None or rule["Arn"] != firing.timer.key:
            return  # deleted meanwhile: the timer goes with it
        due = next_firing(rule, now)
        fired = 0
        deliveries: list[tuple[str, str]] = []
        while due is not None and due <= now and fired < MAX_CATCH_UP:
            event = scheduled_event(rule["Arn"], where.account, where.region, due, new_uuid())
            text = orjson.dumps(event).decode()
            deliveries += [(delivery_key(rule["Arn"], target["Id"]), text) for target in rule["Targets"]]
            rule["LastFired"] = due
            fired += 1
            due = next_firing(rule, now)
        if due is not None and due <= now:  # down for longer than MAX_CATCH_UP firings: skip the rest
            rule["LastFired"] = now
            due = next_firing(rule, now)
        if fired:
            store.put(c, where.account, where.region, "rule", DEFAULT_BUS, name, rule)
            if deliveries:
                self.kernel.add(c, DELIVERIES, deliveries, now)
        if due is not None:
            firing.rearm(firing.timer, due)
