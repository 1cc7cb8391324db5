"""Archives and replays: keep the events a pattern selects, and send a time window of them again.

An archive is a pattern on a bus; PutEvents writes a copy of each event it selects in the same
transaction that accepts it (see ``events.py``). A replay reads an archive's events between two
times and routes them again to the archive's bus (or only to chosen rules) with ``replay-name``
added, going through AWS's states STARTING -> RUNNING -> COMPLETED, or CANCELLING -> CANCELLED.

The replay itself runs as a kernel job (``replays.py``): one node at a time, batch by batch, each
batch recorded with its deliveries, taken over by another node when its node dies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from eventyard.bus.replays import Replays

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
REPLAY_FIELDS = (
    "ReplayName", "ReplayArn", "Description", "State", "StateReason", "EventSourceArn", "Destination",
    "EventStartTime", "EventEndTime", "EventLastReplayedTime", "ReplayStartTime", "ReplayEndTime",
)  # fmt: skip


class ArchiveOperations(BusBase):
    replays: Replays

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
            if not store.insert(c, where.account, where.region, "replay", "", name, replay):
                return False
            self.replays.start(c, replay)
            return True

        if not await self.yard.db.write(job):
            raise ResourceAlreadyExistsException(f"Replay {name} already exists.")
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


def _no_archive(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Archive {name} does not exist.")


def _no_replay(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Replay {name} does not exist.")
