"""The target kinds the bus itself provides: another event bus, and API destinations (``http_target``).

Queues, state machines, functions, topics and streams register their own kinds with the yard's
:class:`~eventyard.targets.TargetKinds` when their services are built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventyard import arn
from eventyard.bus.http_target import ApiDestinations
from eventyard.errors import ResourceNotFoundException
from eventyard.ids import new_id
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.bus.service import BusService


class BusTarget:
    """``arn:aws:events:...:event-bus/NAME``: the event enters that bus as it is, and its rules decide.

    AWS-recorded: within a region the event keeps its id (also across accounts); a bus in another
    region receives it under a new id, with the rest of the event unchanged.
    """

    def __init__(self, bus: BusService) -> None:
        self.bus = bus

    async def deliver(self, target: dict[str, Any], payload: str, event: dict[str, Any], rule: dict[str, Any]) -> None:
        parts = arn.parse(target["Arn"])
        if parts is None:
            raise ResourceNotFoundException(f"Event bus {target['Arn']} does not exist.")
        source = arn.parse(rule["Arn"])
        if source is not None and source.region != parts.region:
            event = {**event, "id": new_id()}
        context = RequestContext(account=parts.account, region=parts.region, endpoint=self.bus.yard.endpoint)
        await self.bus.forward(context, parts.resource.removeprefix("event-bus/"), event)


def register_bus_targets(bus: BusService) -> None:
    targets = bus.yard.targets
    targets.register("events", "event-bus/", BusTarget(bus).deliver)
    targets.register("events", "api-destination/", ApiDestinations(bus).deliver)
