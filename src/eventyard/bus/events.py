"""PutEvents and TestEventPattern: accepting events, matching them, and writing their deliveries.

Accepted entries are matched on this node's compiled rule books. In ONE transaction, with the
copies archives keep, each (event, target) pair is either written straight into its target (a
local queue's staged messages) or recorded as a delivery timer of the kernel, claimed by this node,
which fires it the moment the transaction commits. When PutEvents returns, the events are durable
and their deliveries done or under way; delivery itself never blocks PutEvents.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from eventyard.bus import store
from eventyard.bus.base import BusBase
from eventyard.bus.delivery import OWNER as DELIVERIES
from eventyard.bus.delivery import delivery_key
from eventyard.bus.errors import ValidationException
from eventyard.bus.names import Where, bus_name
from eventyard.bus.patterns import matches, parse_pattern
from eventyard.bus.rulebook import Book
from eventyard.bus.transform import payload_for
from eventyard.errors import EventyardError
from eventyard.ids import new_id
from eventyard.kernel import Timer
from eventyard.service import RequestContext
from eventyard.staging import StagedCall
from eventyard.targets import Staged

#: botocore's PutEvents documentation: "the total entry size must be less than 1MB".
MAX_ENTRIES_SIZE = 1024 * 1024
MIN_TIME, MAX_TIME = 0.0, 253402300799.0  # 1970-01-01 .. 9999-12-31T23:59:59Z
REQUIRED_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


@lru_cache(maxsize=4096)
def _iso_second(second: int) -> str:
    return _dt.datetime.fromtimestamp(second, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_time(epoch: float) -> str:
    """Event time as EventBridge writes it (whole seconds, UTC); most events of a burst share a second."""
    return _iso_second(int(epoch))  # PutEvents accepts no time before 1970 (see MIN_TIME)


def _epoch(iso: str) -> float:
    return _dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def entry_size(entry: dict[str, Any]) -> int:
    """AWS's formula: Time counts 14 bytes, the text members their UTF-8 length."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        if entry.get(key):
            size += len(entry[key].encode())
    return size + sum(len(r.encode()) for r in entry.get("Resources", []))


def _entry_problem(entry: dict[str, Any]) -> tuple[str, str] | tuple[None, dict[str, Any]]:
    for key in ("Source", "DetailType", "Detail"):
        if not entry.get(key):
            return "InvalidArgument", f"Parameter {key} is not valid. Reason: {key} is a required argument."
    moment = entry.get("Time")
    if moment is not None and not MIN_TIME <= moment <= MAX_TIME:  # also NaN and the infinities
        return "InvalidArgument", "Parameter Time is not valid. Reason: Time is out of range."
    try:
        detail = orjson.loads(entry["Detail"])
    except orjson.JSONDecodeError:
        return "MalformedDetail", "Detail is malformed."
    if not isinstance(detail, dict):
        return "MalformedDetail", "Detail is malformed."
    return None, detail


@dataclass(frozen=True, slots=True)
class Routing:
    """Matched events, ready to be kept: ``job`` writes them, ``committed`` follows its commit."""

    job: Callable[[Any], None] | None
    committed: Callable[[], None]
    missing: dict[str, str]  # event id -> the bus that does not exist


def _nothing() -> None:
    """No deliveries to start."""


class EventOperations(BusBase):
    def may_route(self, account: str, region: str, bus: str, source: str) -> bool:
        """False when, by this node's caches, no rule and no archive of ``bus`` can take an event of
        ``source`` now (True when unsure: nothing cached yet). PutEvents would keep nothing of such an
        event, so an engine that emits many (the workflows' status changes) need not build them."""
        book = self.rulebook.cached((account, region, bus), self.yard.clock.now())
        archives = self._archives_cached.get((account, region))
        if book is None or archives is None or archives.get(bus):
            return True
        return book.may_match_source(source)

    async def put_events(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where, accepted, answer, now = self._accept(context, request)
        # An entry for a bus that does not exist is acknowledged with an EventId and then dropped: AWS
        # reports no failed entry for it (AWS-recorded), only DescribeEventBus says the bus is missing.
        await self.route_events(where, accepted, now)
        if self.taps:
            self.tapped(where, accepted)
        return answer

    async def stage_put_events(self, context: RequestContext, request: dict[str, Any]) -> StagedCall:
        """PutEvents staged for another service's transaction (a workflow's events:putEvents, the
        execution status changes it emits): matched now, its deliveries written with that transaction."""
        where, accepted, answer, now = self._accept(context, request)
        routing = await self._routing(where, accepted, now)
        job = routing.job

        def write(c: Any) -> dict[str, Any]:
            if job is not None:
                job(c)
            return answer

        def committed() -> None:
            routing.committed()
            if self.taps:
                self.tapped(where, accepted)

        return StagedCall(write, committed)

    def _accept(
        self, context: RequestContext, request: dict[str, Any]
    ) -> tuple[Where, list[tuple[str, dict[str, Any]]], dict[str, Any], float]:
        """PutEvents' checks: the events it accepts and its answer (an EventId or an error per entry)."""
        entries = request["Entries"]
        if sum(entry_size(e) for e in entries) > MAX_ENTRIES_SIZE:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        now = self.yard.clock.now()
        where = Where(context.account, context.region)
        results: list[dict[str, Any]] = []
        accepted: list[tuple[str, dict[str, Any]]] = []
        for entry in entries:
            code, outcome = _entry_problem(entry)
            if code is not None:
                results.append({"ErrorCode": code, "ErrorMessage": outcome})
                continue
            assert isinstance(outcome, dict)
            event = {
                "version": "0",
                "id": new_id(),
                "detail-type": entry["DetailType"],
                "source": entry["Source"],
                "account": where.account,
                "time": iso_time(entry["Time"] if entry.get("Time") is not None else now),
                "region": where.region,
                "resources": entry.get("Resources", []),
                "detail": outcome,
            }
            accepted.append((bus_name(entry.get("EventBusName")), event))
            results.append({"EventId": event["id"]})
        failed = sum(1 for r in results if "ErrorCode" in r)
        return where, accepted, {"FailedEntryCount": failed, "Entries": results}, now

    async def forward(self, context: RequestContext, bus: str, event: dict[str, Any]) -> None:
        """An event arriving from a rule of another bus (a bus target): same event, this bus's rules."""
        where = Where(context.account, context.region)
        missing = await self.route_events(where, [(bus, event)], self.yard.clock.now())
        if self.taps and not missing:
            self.tapped(where, [(bus, event)])
        if missing:
            raise ValidationException(f"Event bus {bus} does not exist.", code="ResourceNotFoundException")

    async def route_events(
        self,
        where: Where,
        accepted: list[tuple[str, dict[str, Any]]],
        now: float,
        *,
        only_rules: set[str] | None = None,
        also: Callable[[Any], None] | None = None,
    ) -> dict[str, str]:
        """Match and persist; returns {event id: bus} for events whose bus does not exist.

        ``also(connection)`` runs in the same transaction (a replay records its progress there); if
        it raises, nothing of these events is kept and the error goes to the caller.
        """
        routing = await self._routing(where, accepted, now, only_rules=only_rules, also=also)
        if routing.job is not None:
            await self.yard.db.write(routing.job)
            routing.committed()
        return routing.missing

    async def _routing(
        self,
        where: Where,
        accepted: list[tuple[str, dict[str, Any]]],
        now: float,
        *,
        only_rules: set[str] | None = None,
        also: Callable[[Any], None] | None = None,
    ) -> Routing:
        """Match ``accepted`` and build the job that keeps them (deliveries, archive copies) and what
        to do once it committed (no job when nothing wants them), and the events whose bus does not exist."""
        books: dict[str, Book | None] = {}
        for bus, _ in accepted:
            if bus not in books:
                books[bus] = await self._book(where, bus)
        archives = await self._archives_by_bus(where)
        kinds = self.yard.targets
        outbox: list[tuple[str, str]] = []  # (delivery key, event text): deliveries the kernel makes
        staging: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any], list[tuple[str, dict[str, Any]]]]] = {}
        kept: list[tuple[str, float, str]] = []
        missing: dict[str, str] = {}
        tracing = self.yard.trace.enabled
        traces = _Traces()
        for bus, event in accepted:
            book = books[bus]
            if book is None:
                missing[event["id"]] = bus
                continue
            text = orjson.dumps(event).decode()
            for rule_name in book.machine.match(event):
                rule = book.rules[str(rule_name)]
                if only_rules is not None and rule["Arn"] not in only_rules:
                    continue
                if tracing:
                    traces.matched(bus, event, rule)
                for target in rule["Targets"]:
                    kind = kinds.kind_of(target["Arn"])
                    if kind is None or kind.stage is None:
                        outbox.append((delivery_key(rule["Arn"], target["Id"]), text))
                    else:
                        staging.setdefault((rule["Arn"], target["Id"]), (rule, target, []))[2].append((text, event))
            for archive_arn, pattern in archives.get(bus, ()):
                if "replay-name" not in event and (pattern is None or matches(pattern, event)):
                    kept.append((archive_arn, _epoch(event["time"]), text))
        stages = [stage for group in staging.values() if (stage := await self._stage(group, now, outbox))]
        if not outbox and not kept and not stages and also is None:  # no rule and no archive wants them
            return Routing(None, _nothing, missing)
        kernel = self.yard.kernel

        delivering: list[Timer] = []
        written: list[Staged] = []
        tracer = self.yard.trace

        def job(c: Any) -> None:
            fallback: list[tuple[str, str]] = []
            for staged, rows, (rule_arn, target_id, events) in stages:
                c.execute("SAVEPOINT staged")
                try:
                    staged.write(c, now)
                    written.append(staged)
                    traces.written(rule_arn, target_id, events, staged)
                except Exception:  # e.g. the queue was deleted by another node: the kernel tries and reports
                    c.execute("ROLLBACK TO SAVEPOINT staged")
                    fallback += rows
                c.execute("RELEASE SAVEPOINT staged")
            if outbox or fallback:
                delivering.extend(kernel.add_claimed(c, DELIVERIES, outbox + fallback, now))
            if kept:
                store.archive(c, kept)
            if also is not None:
                also(c)
            tracer.record(c, traces.steps())

        def after() -> None:
            for staged in written:
                staged.committed()
            kernel.fire_now(delivering)

        return Routing(job, after, missing)

    async def _stage(
        self,
        group: tuple[dict[str, Any], dict[str, Any], list[tuple[str, dict[str, Any]]]],
        now: float,
        outbox: list[tuple[str, str]],
    ) -> tuple[Staged, list[tuple[str, str]], tuple[str, str, list[dict[str, Any]]]] | None:
        """Stage one target's deliveries (see :mod:`eventyard.targets`); what can't be staged is added
        to ``outbox``. Returns the staged write and the deliveries that stand in for it should it fail."""
        rule, target, events = group
        items: list[tuple[str, dict[str, Any]]] = []
        standing_in: list[tuple[str, str]] = []
        for text, event in events:
            delivery = (delivery_key(rule["Arn"], target["Id"]), text)
            try:
                payload = payload_for(target, rule, text, event, now)
            except Exception:  # the delivery job meets the same error, and retries or dead-letters
                outbox.append(delivery)
                continue
            if payload is not None:  # None: an InputPath that selects nothing, so nothing to send
                items.append((payload, event))
                standing_in.append(delivery)
        kind = self.yard.targets.kind_of(target["Arn"])
        staged = await kind.stage(target, items) if kind is not None and kind.stage is not None and items else None
        refused = set(staged.refused) if staged is not None else set(range(len(items)))
        outbox += [delivery for position, delivery in enumerate(standing_in) if position in refused]
        if staged is None or len(refused) == len(items):
            return None
        kept = [delivery for position, delivery in enumerate(standing_in) if position not in refused]
        return staged, kept, (rule["Arn"], target["Id"], [event for _, event in items])

    async def _book(self, where: Where, bus: str) -> Book | None:
        key = (where.account, where.region, bus)
        book = self.rulebook.cached(key, self.yard.clock.now())
        if book is not None:
            return book

        def job(c: Any) -> Book | None:
            try:
                self._require_bus(c, where, bus)
            except EventyardError:
                return None
            return self.rulebook.load(key, c, self.yard.clock.now())

        return await self.yard.db.read(job)

    async def test_event_pattern(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        pattern = parse_pattern(request["EventPattern"])
        try:
            event = orjson.loads(request["Event"])
        except orjson.JSONDecodeError:
            raise ValidationException("Parameter Event is not valid.")
        if not isinstance(event, dict):
            raise ValidationException("Parameter Event is not valid.")
        absent = [name for name in REQUIRED_EVENT_FIELDS if name not in event]
        if absent:
            raise ValidationException(
                "Parameter Event is not valid. Reason: Provided Event is missing required field(s): "
                + ", ".join(absent)
            )
        return {"Result": matches(pattern, event)}


class _Traces:
    """The ``event`` steps of one routing (see :mod:`eventyard.trace`): per matched event, its rules and
    each target's delivery, ``pending`` until a staged write in this transaction makes it ``written``."""

    def __init__(self) -> None:
        self._events: dict[str, dict[str, Any]] = {}
        self._deliveries: dict[tuple[str, str, str], dict[str, Any]] = {}

    def matched(self, bus: str, event: dict[str, Any], rule: dict[str, Any]) -> None:
        body = self._events.get(event["id"])
        if body is None:
            body = self._events[event["id"]] = {
                "kind": "events",
                "bus": bus,
                "source": event["source"],
                "detail-type": event["detail-type"],
                "account": event["account"],
                "region": event["region"],
                "time": event["time"],
                "rules": [],
            }
            if "replay-name" in event:
                body["replay-name"] = event["replay-name"]
        targets = []
        for target in rule["Targets"]:
            delivery = {"id": target["Id"], "arn": target["Arn"], "status": "pending"}
            self._deliveries[(event["id"], rule["Arn"], target["Id"])] = delivery
            targets.append(delivery)
        body["rules"].append(
            {"arn": rule["Arn"], "name": rule.get("Name", rule["Arn"].rsplit("/", 1)[-1]), "targets": targets}
        )

    def written(self, rule_arn: str, target_id: str, events: list[dict[str, Any]], staged: Staged) -> None:
        results = getattr(staged, "results", None)
        outcomes: dict[int, dict[str, Any]] = results() if results is not None else {}
        refused = set(staged.refused)
        for position, event in enumerate(events):
            delivery = self._deliveries.get((event["id"], rule_arn, target_id))
            if delivery is not None and position not in refused:
                delivery.update(status="written", **outcomes.get(position, {}))

    def steps(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(event_id, "event", body) for event_id, body in self._events.items()]
