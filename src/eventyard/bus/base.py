"""What the EventBridge operation groups share: the yard, the matcher cache, and small helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eventyard.bus import store
from eventyard.bus.errors import ValidationException, bus_not_found
from eventyard.bus.names import DEFAULT_BUS, Where
from eventyard.bus.rulebook import RuleBook
from eventyard.service import Service

if TYPE_CHECKING:
    from eventyard.bus.patterns import Pattern
    from eventyard.bus.scheduler import ScheduledRules


class BusBase(Service):
    name = "events"

    schedules: ScheduledRules

    def __init__(self, yard: Any) -> None:
        super().__init__(yard)
        self.rulebook = RuleBook(max_age=1.0 if yard.db.shared_by_nodes else None)
        self._archives_cached: dict[tuple[str, str], dict[str, list[tuple[str, Pattern | None]]]] = {}
        # AWS describes the default bus with a CreationTime like any other; ours exists from the
        # start, so until a write stores it (a policy, a tag) it reports when this service started.
        self._default_bus_created = yard.clock.now()
        #: Observers of the events this node accepts, called once they are kept: ``tap(where, [(bus,
        #: event)])``, every accepted event, matched or not (the console's live tail). Never raises.
        self.taps: list[Callable[[Where, list[tuple[str, dict[str, Any]]]], None]] = []

    def tapped(self, where: Where, accepted: list[tuple[str, dict[str, Any]]]) -> None:
        for tap in self.taps:
            try:
                tap(where, accepted)
            except Exception:  # an observer's bug must not fail a PutEvents that succeeded
                pass

    # Implemented by the operation groups (events.py, archives.py); declared here so each group can call them.

    async def route_events(
        self,
        where: Where,
        accepted: list[tuple[str, dict[str, Any]]],
        now: float,
        *,
        only_rules: set[str] | None = None,
        also: Callable[[Any], None] | None = None,
    ) -> dict[str, str]:
        raise NotImplementedError

    async def _archives_by_bus(self, where: Where) -> dict[str, list[tuple[str, Pattern | None]]]:
        raise NotImplementedError

    def _require_bus(self, c: Any, where: Where, bus: str) -> dict[str, Any]:
        """The bus document (the default bus always exists); ResourceNotFoundException otherwise."""
        found = store.get(c, where.account, where.region, "bus", "", bus)
        if found is not None:
            return found
        if bus == DEFAULT_BUS:
            return self._default_bus(where)
        raise bus_not_found(bus)

    def _default_bus(self, where: Where) -> dict[str, Any]:
        """The default bus of a namespace as it is before anything was stored for it."""
        created = self._default_bus_created
        return {
            "Name": DEFAULT_BUS,
            "Arn": where.bus_arn(DEFAULT_BUS),
            "Tags": {},
            "CreationTime": created,
            "LastModifiedTime": created,
        }

    async def _change(
        self,
        where: Where,
        kind: str,
        scope: str,
        name: str,
        change: Callable[[dict[str, Any]], None],
        missing: Callable[[], Exception],
    ) -> dict[str, Any]:
        """Read a resource document, let ``change`` edit it (or raise), write it back: one job."""

        def job(c: Any) -> dict[str, Any]:
            found = store.get(c, where.account, where.region, kind, scope, name, for_update=True)
            if found is None:
                raise missing()
            change(found)
            store.put(c, where.account, where.region, kind, scope, name, found)
            return found

        return await self.yard.db.write(job)

    async def _find(
        self, where: Where, kind: str, scope: str, name: str, missing: Callable[[], Exception]
    ) -> dict[str, Any]:
        """A resource document, or ``missing()`` raised."""
        found = await self.yard.db.read(lambda c: store.get(c, where.account, where.region, kind, scope, name))
        if found is None:
            raise missing()
        return found

    @staticmethod
    def _listed(member: str, items: list[Any], request: dict[str, Any]) -> dict[str, Any]:
        """One page of an ordered list under ``member``, with ``NextToken`` (the next offset) when more follow."""
        token = request.get("NextToken")
        try:
            start = int(token) if token else 0
        except ValueError:
            raise ValidationException("The NextToken provided is invalid.")
        limit = request.get("Limit") or 100
        listed: dict[str, Any] = {member: items[start : start + limit]}
        if start + limit < len(items):
            listed["NextToken"] = str(start + limit)
        return listed

    def _check_schedule(self, expression: str) -> None:
        from eventyard.bus.schedule import parse_schedule

        parse_schedule(expression)
