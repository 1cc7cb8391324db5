"""Archives and replays: keep the events a pattern selects, and send a time window of them again.

An archive is a pattern on a bus; PutEvents writes a copy of each event it selects in the same
transaction that accepts it (see ``events.py``). A replay reads an archive's events between two
times and routes them again to the archive's bus (or only to chosen rules) with ``replay-name``
added, going through AWS's states STARTING -> RUNNING -> COMPLETED, or CANCELLING -> CANCELLED.

One node runs a replay at a time: the one holding its lease (``Runner`` and ``LeaseUntil`` in the
replay's document, never shown), renewed with each batch of events it routes. Each batch also
records how far the replay got (``Position``, an archive row id). A replay whose node stopped (a
crash, a restart, another PostgreSQL node gone) is taken over by any node's sweep once its lease
ran out (on an embedded database, at once on restart) and carries on after the last recorded
batch. A batch's progress is recorded in the transaction that keeps its deliveries, so no batch
is routed twice, and a node that stops cleanly hands its replays over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import logging
from functools import partial
from typing import Any

import orjson

from eventyard.bus import store
from eventyard.bus.base import BusBase
from eventyard.bus.errors import (
    IllegalStatusException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ValidationException,
)
from eventyard.bus.names import Where, bus_name
from eventyard.bus.patterns import Pattern, parse_pattern
from eventyard.errors import ResourceNotFoundException
from eventyard.service import RequestContext

log = logging.getLogger("eventyard.bus")

ARCHIVE_FIELDS = (
    "ArchiveArn",
    "ArchiveName",
    "EventSourceArn",
    "Description",
    "EventPattern",
    "State",
    "RetentionDays",
)
#: AWS: "only 10 replays are allowed to be in state STARTING or RUNNING at the same time" (per namespace).
MAX_ACTIVE_REPLAYS = 10
REPLAY_LEASE = 30.0  # seconds a node holds a replay without renewing it
REPLAY_BATCH = 100  # archived events routed (and recorded as done) at a time
REPLAY_SWEEP = 5.0  # seconds between looks for replays whose node stopped
_ACTIVE = ("STARTING", "RUNNING", "CANCELLING")
REPLAY_FIELDS = (
    "ReplayName", "ReplayArn", "Description", "State", "StateReason", "EventSourceArn", "Destination",
    "EventStartTime", "EventEndTime", "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime",
)  # fmt: skip


def _epoch(iso: str) -> float:
    return _dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class ArchiveOperations(BusBase):
    # --- archives ---------------------------------------------------------------------------------

    async def create_archive(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["ArchiveName"]
        source = request["EventSourceArn"]
        if request.get("EventPattern"):
            parse_pattern(request["EventPattern"])
        now = self.yard.clock.now()
        archive = {
            "ArchiveName": name,
            "ArchiveArn": where.arn(f"archive/{name}"),
            "EventSourceArn": source,
            "Description": request.get("Description"),
            "EventPattern": request.get("EventPattern"),
            "RetentionDays": request.get("RetentionDays", 0),
            "State": "ENABLED",
            "CreationTime": now,
        }
        bus = source.split(":event-bus/", 1)[-1]

        def job(c: Any) -> bool:
            self._require_bus(c, where, bus)
            return store.insert(c, where.account, where.region, "archive", "", name, archive)

        if not await self.yard.db.write(job):
            raise ResourceAlreadyExistsException(f"Archive {name} already exists.")
        self._archives_cached.pop((where.account, where.region), None)
        return {"ArchiveArn": archive["ArchiveArn"], "State": "ENABLED", "CreationTime": now}

    async def describe_archive(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        archive = await self._archive(where, request["ArchiveName"])
        count, size = await self.yard.db.read(lambda c: store.archive_stats(c, archive["ArchiveArn"]))
        public = {k: archive[k] for k in ARCHIVE_FIELDS if archive.get(k) is not None}
        return public | {"CreationTime": archive["CreationTime"], "EventCount": count, "SizeBytes": size}

    async def update_archive(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["ArchiveName"]
        if request.get("EventPattern"):
            parse_pattern(request["EventPattern"])

        def change(archive: dict[str, Any]) -> None:
            for key in ("Description", "EventPattern", "RetentionDays"):
                if key in request:
                    archive[key] = request[key]

        archive = await self._change(where, "archive", "", name, change, lambda: _no_archive(name))
        self._archives_cached.pop((where.account, where.region), None)
        return {"ArchiveArn": archive["ArchiveArn"], "State": archive["State"], "CreationTime": archive["CreationTime"]}

    async def delete_archive(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        archive = await self._archive(where, request["ArchiveName"])

        def job(c: Any) -> None:
            store.delete(c, where.account, where.region, "archive", "", archive["ArchiveName"])
            store.drop_archive(c, archive["ArchiveArn"])

        await self.yard.db.write(job)
        self._archives_cached.pop((where.account, where.region), None)
        return {}

    async def list_archives(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        source = request.get("EventSourceArn")

        def job(c: Any) -> list[dict[str, Any]]:
            if source:  # AWS-recorded: an unknown bus is an error, not an empty list
                self._require_bus(c, where, bus_name(source))
            archives = store.listing(c, where.account, where.region, "archive", "", request.get("NamePrefix", ""))
            if source:
                archives = [a for a in archives if a["EventSourceArn"] == source]
            if request.get("State"):
                archives = [a for a in archives if a["State"] == request["State"]]
            fields = ("ArchiveName", "EventSourceArn", "State", "RetentionDays", "CreationTime")
            listed = []
            for archive in archives:
                count, size = store.archive_stats(c, archive["ArchiveArn"])
                listed.append(
                    {k: archive[k] for k in fields if archive.get(k) is not None}
                    | {"EventCount": count, "SizeBytes": size}
                )
            return listed

        return self._listed("Archives", await self.yard.db.read(job), request)

    async def _archive(self, where: Where, name: str) -> dict[str, Any]:
        return await self._find(where, "archive", "", name, lambda: _no_archive(name))

    async def _archives_by_bus(self, where: Where) -> dict[str, list[tuple[str, Pattern | None]]]:
        """bus name -> [(archive ARN, its pattern or None for everything)], cached per namespace."""
        key = (where.account, where.region)
        cached = self._archives_cached.get(key)
        if cached is not None:
            return cached
        archives = await self.yard.db.read(lambda c: store.listing(c, where.account, where.region, "archive", ""))
        by_bus: dict[str, list[tuple[str, Pattern | None]]] = {}
        for archive in archives:
            pattern = parse_pattern(archive["EventPattern"]) if archive.get("EventPattern") else None
            bus = archive["EventSourceArn"].split(":event-bus/", 1)[-1]
            by_bus.setdefault(bus, []).append((archive["ArchiveArn"], pattern))
        self._archives_cached[key] = by_bus
        return by_bus

    # --- replays ----------------------------------------------------------------------------------

    async def start_replay(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["ReplayName"]
        start, end = request["EventStartTime"], request["EventEndTime"]
        if start >= end:
            raise ValidationException(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
            )
        archive_name = request["EventSourceArn"].split(":archive/", 1)[-1]
        archive = await self._find(
            where,
            "archive",
            "",
            archive_name,
            lambda: ValidationException(
                f"Parameter EventSourceArn is not valid. Reason: Archive {archive_name} does not exist."
            ),
        )
        destination = request["Destination"]["Arn"]
        await self.yard.db.read(lambda c: self._require_bus(c, where, bus_name(destination)))
        if destination != archive["EventSourceArn"]:
            raise ValidationException(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
            )
        now = self.yard.clock.now()
        replay = {
            "ReplayName": name,
            "ReplayArn": where.arn(f"replay/{name}"),
            "Description": request.get("Description"),
            "State": "STARTING",
            "EventSourceArn": request["EventSourceArn"],
            "Destination": request["Destination"],
            "EventStartTime": start,
            "EventEndTime": end,
            "ReplayStartTime": now,
        }

        def job(c: Any) -> bool:
            if store.get(c, where.account, where.region, "replay", "", name) is None:
                replays = store.listing(c, where.account, where.region, "replay", "")
                if sum(1 for r in replays if r["State"] in ("STARTING", "RUNNING")) >= MAX_ACTIVE_REPLAYS:
                    raise LimitExceededException("The requested resource exceeds the maximum number allowed.")
            return store.insert(c, where.account, where.region, "replay", "", name, replay)

        if not await self.yard.db.write(job):
            raise ResourceAlreadyExistsException(f"Replay {name} already exists.")
        self._launch(where, name)
        return {"ReplayArn": replay["ReplayArn"], "State": "STARTING", "ReplayStartTime": now}

    async def describe_replay(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        replay = await self._replay(Where(context.account, context.region), request["ReplayName"])
        return {k: replay[k] for k in REPLAY_FIELDS if replay.get(k) is not None}

    async def cancel_replay(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["ReplayName"]

        def change(replay: dict[str, Any]) -> None:
            if replay["State"] not in ("STARTING", "RUNNING"):
                raise IllegalStatusException(f"Replay {name} is not in a valid state for this operation.")
            replay["State"] = "CANCELLING"

        replay = await self._change(where, "replay", "", name, change, lambda: _no_replay(name))
        return {"ReplayArn": replay["ReplayArn"], "State": "CANCELLING"}

    async def list_replays(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        replays = await self.yard.db.read(
            lambda c: store.listing(c, where.account, where.region, "replay", "", request.get("NamePrefix", ""))
        )
        for key in ("State", "EventSourceArn"):
            if request.get(key):
                replays = [r for r in replays if r.get(key) == request[key]]
        fields = ("ReplayName", "EventSourceArn", "State", "StateReason", "EventStartTime", "EventEndTime",
                  "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime")  # fmt: skip
        return self._listed("Replays", [{k: r[k] for k in fields if r.get(k) is not None} for r in replays], request)

    async def _replay(self, where: Where, name: str) -> dict[str, Any]:
        return await self._find(where, "replay", "", name, lambda: _no_replay(name))

    # --- the replay engine (see the module doc) -------------------------------------------------

    def _launch(self, where: Where, name: str) -> None:
        key = (where.account, where.region, name)
        running = self._replays.get(key)
        if running is None or running.done():
            self._replays[key] = asyncio.create_task(self._run_replay(where, name))

    async def _start_replays(self) -> None:
        await self._sweep_replays(ignore_leases=self._sole_node)
        self._replay_sweeper = asyncio.create_task(self._sweep_replays_forever(), name="bus-replay-sweep")

    async def _sweep_replays_forever(self) -> None:
        while True:
            await asyncio.sleep(REPLAY_SWEEP)  # real time: a virtual clock may race or stand still
            try:
                await self._sweep_replays(ignore_leases=False)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("replay sweep failed; trying again later")

    async def _sweep_replays(self, ignore_leases: bool) -> None:
        now = self.yard.clock.now()
        for account, region, replay in await self.yard.db.read(lambda c: store.every(c, "replay")):
            if replay["State"] in _ACTIVE and (ignore_leases or replay.get("LeaseUntil", 0.0) <= now):
                self._launch(Where(account, region), replay["ReplayName"])

    async def _stop_replays(self) -> None:
        tasks = [*self._replays.values(), *([self._replay_sweeper] if self._replay_sweeper else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # A clean stop hands its replays over at once instead of leaving their leases to run out.
        running = [key for key, task in self._replays.items() if task.cancelled()]
        if running:
            await self.yard.db.write(lambda c: self._release_replays(c, running))

    def _release_replays(self, c: Any, keys: list[tuple[str, str, str]]) -> None:
        for account, region, name in keys:
            replay = store.get(c, account, region, "replay", "", name, for_update=True)
            if replay is not None and replay.get("Runner") == self._replay_node and replay["State"] in _ACTIVE:
                replay["LeaseUntil"] = 0.0
                store.put(c, account, region, "replay", "", name, replay)

    def _record_replay(self, c: Any, where: Where, name: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Record progress or an end state, renewing this node's lease; None once another node holds it.

        A replay cancelled meanwhile ends CANCELLED instead of going on (or completing).
        """
        now = self.yard.clock.now()
        replay = store.get(c, where.account, where.region, "replay", "", name, for_update=True)
        if replay is None or replay.get("Runner") != self._replay_node or replay["State"] not in _ACTIVE:
            return None
        if replay["State"] == "CANCELLING" and changes.get("State", "RUNNING") in ("RUNNING", "COMPLETED"):
            changes = {**changes, "State": "CANCELLED", "ReplayEndTime": now}
        replay.update(changes, LeaseUntil=now + REPLAY_LEASE)
        store.put(c, where.account, where.region, "replay", "", name, replay)
        return replay

    async def _set_replay(self, where: Where, name: str, **changes: Any) -> dict[str, Any] | None:
        return await self.yard.db.write(lambda c: self._record_replay(c, where, name, changes))

    @property
    def _sole_node(self) -> bool:
        """An embedded database has one node: any lease in it is this node's, or a previous run's."""
        return not self.yard.db.shared_by_nodes

    async def _claim_replay(self, where: Where, name: str) -> dict[str, Any] | None:
        """Take the replay's lease if it is free (or ours); None when another node runs it or it ended."""
        node, now = self._replay_node, self.yard.clock.now()

        def job(c: Any) -> dict[str, Any] | None:
            replay = store.get(c, where.account, where.region, "replay", "", name, for_update=True)
            if replay is None or replay["State"] not in _ACTIVE:
                return None
            held = replay.get("Runner") not in (None, node) and replay.get("LeaseUntil", 0.0) > now
            if held and not self._sole_node:
                return None
            replay.update(Runner=node, LeaseUntil=now + REPLAY_LEASE)
            if replay["State"] == "STARTING":
                replay["State"] = "RUNNING"
            elif replay["State"] == "CANCELLING":
                replay.update(State="CANCELLED", ReplayEndTime=now)
            store.put(c, where.account, where.region, "replay", "", name, replay)
            return replay

        return await self.yard.db.write(job)

    async def _run_replay(self, where: Where, name: str) -> None:
        replay = await self._claim_replay(where, name)
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
                    store.archived_after,
                    archive_arn=archive_arn,
                    start=start,
                    end=end,
                    after=position,
                    limit=REPLAY_BATCH,
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
            recorded: list[dict[str, Any]] = []

            def record(c: Any, changes: dict[str, Any] = progress, into: list[dict[str, Any]] = recorded) -> None:
                # in the transaction that keeps the batch's deliveries: a batch is routed exactly once
                done = self._record_replay(c, where, name, changes)
                if done is None:
                    raise _LeaseLost()
                into.append(done)

            pairs = [(bus, event) for event in events]
            try:
                await self._route(where, pairs, self.yard.clock.now(), only_rules=rules, also=record)
            except _LeaseLost:  # another node took the replay over
                return
            replay = recorded[0]
            if replay["State"] != "RUNNING":  # cancelled
                return
            position = replay["Position"]
        await self._set_replay(where, name, State="COMPLETED", ReplayEndTime=self.yard.clock.now())


class _LeaseLost(Exception):
    """Another node holds the replay now (raised inside the batch's transaction, which it undoes)."""


def _no_archive(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Archive {name} does not exist.")


def _no_replay(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Replay {name} does not exist.")
