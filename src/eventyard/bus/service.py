"""Amazon EventBridge: buses, rules, targets, events, archives, replays, connections and destinations.

The operations are grouped by concern (``rules.py``, ``events.py``, ``archives.py``,
``connections.py``); this module holds the event buses themselves, tags, permissions and the
engines (delivery, schedules, replays) that run beside them.
"""

from __future__ import annotations

from typing import Any

import orjson

from eventyard.arn import parse_as
from eventyard.bus import store
from eventyard.bus.archives import ArchiveOperations
from eventyard.bus.connections import ConnectionOperations
from eventyard.bus.delivery import RuleDeliveries
from eventyard.bus.errors import (
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
    rule_not_found,
)
from eventyard.bus.events import EventOperations
from eventyard.bus.names import DEFAULT_BUS, Where, bus_name
from eventyard.bus.replays import Replays
from eventyard.bus.rules import RuleOperations
from eventyard.bus.scheduler import ScheduledRules
from eventyard.bus.targets import register_bus_targets
from eventyard.service import RequestContext

BUS_FIELDS = ("Name", "Arn", "Description", "KmsKeyIdentifier", "DeadLetterConfig", "Policy", "LogConfig")


class BusService(RuleOperations, EventOperations, ArchiveOperations, ConnectionOperations):
    name = "events"
    migrations = store.MIGRATIONS

    def __init__(self, yard: Any) -> None:
        super().__init__(yard)
        self.deliveries = RuleDeliveries(self)
        self.schedules = ScheduledRules(self)
        self.replays = Replays(self)
        for job in (self.deliveries, self.schedules, self.replays):
            yard.kernel.register(job)
        register_bus_targets(self)

    async def start(self) -> None:
        def reconcile(c: Any) -> None:
            self.schedules.reconcile(c)
            self.replays.reconcile(c)

        await self.yard.db.write(reconcile)

    async def target_of(
        self, account: str, region: str, rule_arn: str, target_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The rule and target a delivery row points at, as they are now (None when removed)."""
        resource = rule_arn.split(":rule/", 1)[-1]
        bus, _, name = resource.rpartition("/")
        book = await self._book(Where(account, region), bus or DEFAULT_BUS)
        rule = book.rules.get(name) if book else None
        if rule is None:
            return None
        target = next((t for t in rule["Targets"] if t["Id"] == target_id), None)
        return (rule, target) if target is not None else None

    # --- event buses ------------------------------------------------------------------------------

    async def create_event_bus(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["Name"]
        if name == DEFAULT_BUS:
            raise ResourceAlreadyExistsException(f"Event bus {name} already exists.")
        if "/" in name and not request.get("EventSourceName"):
            raise ValidationException("Event bus name must not contain '/'.")
        now = self.yard.clock.now()
        bus = {
            "Name": name,
            "Arn": where.bus_arn(name),
            "Description": request.get("Description"),
            "KmsKeyIdentifier": request.get("KmsKeyIdentifier"),
            "DeadLetterConfig": request.get("DeadLetterConfig"),
            "LogConfig": request.get("LogConfig"),
            "Tags": {t["Key"]: t["Value"] for t in request.get("Tags", [])},
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        created = await self.yard.db.write(lambda c: store.insert(c, where.account, where.region, "bus", "", name, bus))
        if not created:
            raise ResourceAlreadyExistsException(f"Event bus {name} already exists.")
        self.rulebook.forget((where.account, where.region, name))
        return {"EventBusArn": bus["Arn"]} | {
            key: bus[key]
            for key in ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig")
            if bus.get(key)
        }

    async def describe_event_bus(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        bus = await self.yard.db.read(lambda c: self._require_bus(c, where, bus_name(request.get("Name"))))
        return _public_bus(bus)

    async def update_event_bus(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = bus_name(request.get("Name"))

        def job(c: Any) -> dict[str, Any]:
            bus = self._require_bus(c, where, name)
            for key in ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig"):
                if key in request:
                    bus[key] = request[key]
            bus["LastModifiedTime"] = self.yard.clock.now()
            store.put(c, where.account, where.region, "bus", "", name, bus)
            return bus

        bus = await self.yard.db.write(job)
        return {
            k: bus[k]
            for k in ("Arn", "Name", "KmsKeyIdentifier", "Description", "DeadLetterConfig", "LogConfig")
            if bus.get(k)
        }

    async def delete_event_bus(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["Name"]
        if name == DEFAULT_BUS:
            raise ValidationException("Cannot delete event bus default.")

        def job(c: Any) -> None:
            if store.delete(c, where.account, where.region, "bus", "", name):
                store.delete_scope(c, where.account, where.region, "rule", name)

        await self.yard.db.write(job)  # deleting a bus that is not there succeeds, as in AWS
        self.rulebook.forget((where.account, where.region, name))
        return {}

    async def list_event_buses(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        prefix = request.get("NamePrefix", "")
        buses = await self.yard.db.read(lambda c: store.listing(c, where.account, where.region, "bus", "", prefix))
        if DEFAULT_BUS.startswith(prefix) and not any(b["Name"] == DEFAULT_BUS for b in buses):
            buses = sorted([self._default_bus(where), *buses], key=lambda b: b["Name"])
        return self._listed("EventBuses", [_public_bus(b) for b in buses], request)

    # --- permissions (the bus's resource policy) -----------------------------------------------------

    async def put_permission(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = bus_name(request.get("EventBusName"))

        def job(c: Any) -> None:
            bus = self._require_bus(c, where, name)
            if request.get("Policy"):
                try:
                    bus["Policy"] = orjson.dumps(orjson.loads(request["Policy"])).decode()
                except orjson.JSONDecodeError:
                    raise ValidationException("Policy is not valid JSON.")
            else:
                for key in ("Action", "Principal", "StatementId"):
                    if not request.get(key):
                        raise ValidationException(f"Parameter {key} is required when Policy is not given.")
                policy = orjson.loads(bus.get("Policy") or '{"Version": "2012-10-17", "Statement": []}')
                statement: dict[str, Any] = {
                    "Sid": request["StatementId"],
                    "Effect": "Allow",
                    "Principal": "*"
                    if request["Principal"] == "*"
                    else {"AWS": f"arn:aws:iam::{request['Principal']}:root"},
                    "Action": request["Action"],
                    "Resource": bus.get("Arn", where.bus_arn(name)),
                }
                if request.get("Condition"):
                    condition = request["Condition"]
                    statement["Condition"] = {"StringEquals": {condition["Key"]: condition["Value"]}}
                policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != request["StatementId"]]
                policy["Statement"].append(statement)
                bus["Policy"] = orjson.dumps(policy).decode()
            store.put(c, where.account, where.region, "bus", "", name, bus)

        await self.yard.db.write(job)
        return {}

    async def remove_permission(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = bus_name(request.get("EventBusName"))

        def job(c: Any) -> None:
            bus = self._require_bus(c, where, name)
            if request.get("RemoveAllPermissions"):
                bus.pop("Policy", None)
            else:
                policy = orjson.loads(bus.get("Policy") or '{"Statement": []}')
                kept = [s for s in policy["Statement"] if s.get("Sid") != request.get("StatementId")]
                if len(kept) == len(policy["Statement"]):
                    raise ResourceNotFoundException("Statement with the provided id does not exist.")
                policy["Statement"] = kept
                bus["Policy"] = orjson.dumps(policy).decode() if kept else None
            store.put(c, where.account, where.region, "bus", "", name, bus)

        await self.yard.db.write(job)
        return {}

    # --- tags ---------------------------------------------------------------------------------------

    async def tag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        tags = {t["Key"]: t["Value"] for t in request["Tags"]}
        await self._retag(request["ResourceARN"], lambda current: current | tags)
        return {}

    async def untag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        drop = set(request["TagKeys"])
        await self._retag(request["ResourceARN"], lambda current: {k: v for k, v in current.items() if k not in drop})
        return {}

    async def list_tags_for_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        found = await self._tagged(request["ResourceARN"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in found.get("Tags", {}).items()]}

    async def _tagged(self, arn: str) -> dict[str, Any]:
        account, region, kind, scope, name = _locate(arn)

        def job(c: Any) -> dict[str, Any]:
            if kind == "bus":
                return self._require_bus(c, Where(account, region), name)
            found = store.get(c, account, region, kind, scope, name)
            if found is None:
                raise _not_found(arn, kind, scope, name)
            return found

        return await self.yard.db.read(job)

    async def _retag(self, arn: str, change: Any) -> None:
        account, region, kind, scope, name = _locate(arn)

        def job(c: Any) -> None:
            found = (
                self._require_bus(c, Where(account, region), name)
                if kind == "bus"
                else store.get(c, account, region, kind, scope, name)
            )
            if found is None:
                raise _not_found(arn, kind, scope, name)
            found["Tags"] = change(found.get("Tags", {}))
            store.put(c, account, region, kind, scope, name, found)

        await self.yard.db.write(job)


def _locate(arn: str) -> tuple[str, str, str, str, str]:
    parts = parse_as(arn, "events")
    if parts is None:
        raise ValidationException(f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format.")
    region, account, resource = parts.region, parts.account, parts.resource
    kind, _, rest = resource.partition("/")
    if kind == "event-bus":
        return account, region, "bus", "", rest
    if kind == "rule":
        bus, _, name = rest.rpartition("/")
        return account, region, "rule", bus or DEFAULT_BUS, name
    if kind in ("archive", "connection", "api-destination"):
        return account, region, kind, "", rest.split("/")[0]
    raise ResourceNotFoundException(f"Resource {arn} does not exist.")


def _not_found(arn: str, kind: str, scope: str, name: str) -> ResourceNotFoundException:
    """AWS names a missing rule the way DescribeRule does (AWS-recorded for the tag operations)."""
    if kind == "rule":
        return rule_not_found(name, scope)
    return ResourceNotFoundException(f"Resource {arn} does not exist.")


def _public_bus(bus: dict[str, Any]) -> dict[str, Any]:
    out = {key: bus[key] for key in BUS_FIELDS if bus.get(key)}
    for key in ("CreationTime", "LastModifiedTime"):
        if bus.get(key) is not None:
            out[key] = bus[key]
    return out
