"""Rule and target operations: PutRule, DescribeRule, Enable/Disable, List*, PutTargets, RemoveTargets."""

from __future__ import annotations

from typing import Any

from eventyard import arn
from eventyard.bus import store
from eventyard.bus.base import BusBase
from eventyard.bus.errors import LimitExceededException, ValidationException, rule_not_found
from eventyard.bus.names import DEFAULT_BUS, Where, bus_name
from eventyard.bus.patterns import parse_pattern
from eventyard.bus.transform import validate_target_input
from eventyard.service import RequestContext

MAX_TARGETS_PER_RULE = 5
RULE_FIELDS = ("Name", "Arn", "EventPattern", "ScheduleExpression", "State", "Description", "RoleArn", "EventBusName")


def _public(rule: dict[str, Any], fields: tuple[str, ...] = RULE_FIELDS) -> dict[str, Any]:
    return {key: rule[key] for key in fields if rule.get(key) is not None}


class RuleOperations(BusBase):
    """The rule and target half of :class:`~eventyard.bus.service.BusService`."""

    async def put_rule(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        bus = bus_name(request.get("EventBusName"))
        name = request["Name"]
        pattern, schedule = request.get("EventPattern"), request.get("ScheduleExpression")
        if not pattern and not schedule:
            raise ValidationException("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if pattern:
            parse_pattern(pattern)  # raises InvalidEventPatternException with AWS's reason
        if schedule:
            if bus != DEFAULT_BUS:
                raise ValidationException("ScheduleExpression is supported only on the default event bus.")
            self._check_schedule(schedule)
        now = self.yard.clock.now()
        arn = where.rule_arn(bus, name)

        def job(c: Any) -> dict[str, Any]:
            self._require_bus(c, where, bus)
            old = store.get(c, where.account, where.region, "rule", bus, name, for_update=True)
            rule = {
                "Name": name,
                "Arn": arn,
                "EventBusName": bus,
                "State": request.get("State", "ENABLED"),
                "EventPattern": pattern,
                "ScheduleExpression": schedule,
                "Description": request.get("Description"),
                "RoleArn": request.get("RoleArn"),
                "Targets": old["Targets"] if old else [],
                "Tags": (old or {}).get("Tags", {}) | {t["Key"]: t["Value"] for t in request.get("Tags", [])},
                "CreatedAt": old["CreatedAt"] if old else now,
                "ScheduleAnchor": old.get("ScheduleAnchor", now)
                if old and old.get("ScheduleExpression") == schedule
                else now,
            }
            if old and old.get("ScheduleExpression") == schedule and "LastFired" in old:
                rule["LastFired"] = old["LastFired"]  # an update must not fire past times again
            if old and old.get("State") == "DISABLED" and rule["State"] != "DISABLED":
                rule["LastFired"] = now  # times that passed while disabled do not fire
            store.put(c, where.account, where.region, "rule", bus, name, rule)
            if schedule or (old and old.get("ScheduleExpression")):
                self.schedules.arm(c, rule)
            return rule

        rule = await self.yard.db.write(job)
        self.rulebook.changed((where.account, where.region, bus), rule, name)
        return {"RuleArn": arn}

    async def describe_rule(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        rule = await self._rule(context, request["Name"], request.get("EventBusName"))
        return _public(rule) | {"CreatedBy": context.account}

    async def enable_rule(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        await self._set_state(context, request, "ENABLED")
        return {}

    async def disable_rule(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        await self._set_state(context, request, "DISABLED")
        return {}

    async def delete_rule(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        bus = bus_name(request.get("EventBusName"))
        name = request["Name"]

        def job(c: Any) -> None:
            rule = store.get(c, where.account, where.region, "rule", bus, name)
            if rule is None:
                # AWS: deleting a rule that is not there succeeds, unless its custom bus is not there either
                self._require_bus(c, where, bus)
                return
            if rule["Targets"] and not request.get("Force"):
                raise ValidationException("Rule can't be deleted since it has targets.")
            store.delete(c, where.account, where.region, "rule", bus, name)
            if rule.get("ScheduleExpression"):
                self.schedules.disarm(c, rule["Arn"])

        await self.yard.db.write(job)
        self.rulebook.changed((where.account, where.region, bus), None, name)
        return {}

    async def list_rules(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        bus = bus_name(request.get("EventBusName"))

        def job(c: Any) -> list[dict[str, Any]]:
            self._require_bus(c, where, bus)
            return store.listing(c, where.account, where.region, "rule", bus, request.get("NamePrefix", ""))

        rules = await self.yard.db.read(job)
        return self._listed("Rules", [_public(rule) for rule in rules], request)

    async def list_rule_names_by_target(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        bus = bus_name(request.get("EventBusName"))
        arn = request["TargetArn"]
        rules = await self.yard.db.read(lambda c: store.listing(c, where.account, where.region, "rule", bus))
        names = [rule["Name"] for rule in rules if any(t["Arn"] == arn for t in rule["Targets"])]
        return self._listed("RuleNames", names, request)

    async def put_targets(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        bus = bus_name(request.get("EventBusName"))
        name = request["Rule"]
        accepted = request["Targets"]
        for position, target in enumerate(accepted, start=1):
            _check_target(target, position)

        def change(rule: dict[str, Any]) -> None:
            targets = {t["Id"]: t for t in rule["Targets"]}
            for target in accepted:
                targets[target["Id"]] = target
            if len(targets) > MAX_TARGETS_PER_RULE:
                raise LimitExceededException("The requested resource exceeds the maximum number allowed.")
            rule["Targets"] = list(targets.values())

        rule = await self._change(where, "rule", bus, name, change, lambda: rule_not_found(name, bus))
        self.rulebook.changed((where.account, where.region, bus), rule, name)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    async def remove_targets(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        bus = bus_name(request.get("EventBusName"))
        name = request["Rule"]
        ids = set(request["Ids"])

        def change(rule: dict[str, Any]) -> None:
            rule["Targets"] = [t for t in rule["Targets"] if t["Id"] not in ids]

        rule = await self._change(where, "rule", bus, name, change, lambda: rule_not_found(name, bus))
        self.rulebook.changed((where.account, where.region, bus), rule, name)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    async def list_targets_by_rule(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        rule = await self._rule(context, request["Rule"], request.get("EventBusName"))
        return self._listed("Targets", rule["Targets"], request)

    # --- shared ---------------------------------------------------------------------------------

    async def _rule(self, context: RequestContext, name: str, bus_or_arn: str | None) -> dict[str, Any]:
        where = Where(context.account, context.region)
        bus = bus_name(bus_or_arn)
        return await self._find(where, "rule", bus, name, lambda: rule_not_found(name, bus))

    async def _set_state(self, context: RequestContext, request: dict[str, Any], state: str) -> None:
        where = Where(context.account, context.region)
        bus = bus_name(request.get("EventBusName"))
        name = request["Name"]
        now = self.yard.clock.now()

        def job(c: Any) -> dict[str, Any]:
            rule = store.get(c, where.account, where.region, "rule", bus, name, for_update=True)
            if rule is None:
                raise rule_not_found(name, bus)
            if state == "ENABLED" and rule.get("State") == "DISABLED":
                rule["ScheduleAnchor"] = now  # a rate schedule counts from when it was enabled again
                rule["LastFired"] = now  # and times that passed while disabled do not fire
            rule["State"] = state
            store.put(c, where.account, where.region, "rule", bus, name, rule)
            if rule.get("ScheduleExpression"):
                self.schedules.arm(c, rule)
            return rule

        rule = await self.yard.db.write(job)
        self.rulebook.changed((where.account, where.region, bus), rule, name)


def _check_target(target: dict[str, Any], position: int) -> None:
    """AWS rejects a bad target for the whole request (ValidationException), not as a failed entry."""
    parts = arn.parse(target["Arn"])
    if parts is None:
        raise ValidationException(
            f"Parameter {target['Arn']} is not valid. Reason: Provided Arn is not in correct format."
        )
    if parts.service == "sqs" and parts.resource.endswith(".fifo") and not target.get("SqsParameters"):
        # a FIFO queue needs the group its messages go to (AWS's answer, also from CloudFormation)
        raise ValidationException(f"Parameter(s) SqsParameters must be specified for target: {target['Id']}.")
    validate_target_input(target, position=position)
