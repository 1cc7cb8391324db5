"""State machine aliases: Create, Describe, Update, Delete, List.

AWS (botocore's documentation; AWS-recorded answers where noted):

- an alias is ``<machine ARN>:<name>`` and routes executions to one or two versions of that
  machine, by weights (0-100) summing to 100. The checks and their recorded texts:
  ``Routing configuration must contain state machine version ARNs. Received: [...]``,
  ``... must contain distinct state machine version ARNs. Received: [...]``,
  ``Sum of routing configuration weights must equal 100. Received: [70, 29]``;
- CreateStateMachineAlias is idempotent on name, description and routing; the same name with
  anything else is ``ConflictException: Failed to create alias because an alias with the same
  name and a different routing configuration already exists.`` (recorded, also for a different
  description); at most 100 aliases per machine;
- a missing alias is ``ResourceNotFound: Request references a resource that does not exist.``
  (recorded for UpdateStateMachineAlias), except for DeleteStateMachineAlias, which succeeds;
- ListStateMachineAliases lists oldest first (recorded; the documentation says newest first),
  and given a version ARN lists the aliases that route to that version.
"""

from __future__ import annotations

from typing import Any

from eventyard.errors import ValidationException
from eventyard.service import RequestContext
from eventyard.workflows import arns
from eventyard.workflows import catalogue_store as store
from eventyard.workflows.api_errors import (
    ConflictException,
    InvalidArn,
    ResourceNotFound,
    ServiceQuotaExceededException,
    machine_not_found,
)
from eventyard.workflows.catalogue import DELETING
from eventyard.workflows.paging import paginate
from eventyard.workflows.service_base import WorkflowBase
from eventyard.workflows.versions import deleting

MAX_ALIASES = 100


def _missing() -> ResourceNotFound:
    return ResourceNotFound("Request references a resource that does not exist.")


def check_routing(routing: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The machine an alias's routing configuration points into, and the routing with canonical
    version ARNs; ValidationException (AWS's texts) for a routing AWS refuses."""
    given = [str(route["stateMachineVersionArn"]) for route in routing]
    refs = []
    for text in given:
        try:
            ref = arns.parse_machine(text)
        except InvalidArn:
            ref = None
        if ref is None or ref.version is None:
            raise ValidationException(
                f"Routing configuration must contain state machine version ARNs. Received: [{', '.join(given)}]"
            )
        refs.append(ref)
    canonical = [arns.version_arn(ref.machine_arn, ref.version) for ref in refs if ref.version is not None]
    if len(set(canonical)) != len(canonical):
        raise ValidationException(
            f"Routing configuration must contain distinct state machine version ARNs. Received: [{', '.join(given)}]"
        )
    machines = {ref.machine_arn for ref in refs}
    if len(machines) != 1:
        raise ValidationException(
            "Routing configuration must contain state machine version ARNs of the same state machine. "
            f"Received: [{', '.join(given)}]"
        )
    weights = [int(route["weight"]) for route in routing]
    if sum(weights) != 100:
        raise ValidationException(
            f"Sum of routing configuration weights must equal 100. Received: [{', '.join(map(str, weights))}]"
        )
    routes = [{"stateMachineVersionArn": arn, "weight": w} for arn, w in zip(canonical, weights, strict=True)]
    return machines.pop(), routes


def _check_versions(c: Any, machine_arn: str, routes: list[dict[str, Any]]) -> None:
    machine = store.machine(c, machine_arn)
    if machine is None:
        raise _missing()
    if machine.status == DELETING:
        raise deleting(machine_arn)
    for route in routes:
        if store.version(c, route["stateMachineVersionArn"]) is None:
            raise _missing()


def _alias_ref(context: RequestContext, given: str) -> arns.MachineRef:
    ref = arns.parse_machine(given)
    if ref.alias is None:
        raise InvalidArn(f"Invalid Arn: '{given}'")
    return ref


def _mine(context: RequestContext, ref: arns.MachineRef) -> bool:
    return (ref.account, ref.region) == (context.account, context.region)


def _shown(alias: store.AliasRow) -> dict[str, Any]:
    shown: dict[str, Any] = {"stateMachineAliasArn": alias.arn, "name": alias.name}
    if alias.description is not None:
        shown["description"] = alias.description
    shown["routingConfiguration"] = alias.routing
    shown["creationDate"] = alias.created_at
    shown["updateDate"] = alias.updated_at
    return shown


class AliasOperations(WorkflowBase):
    async def create_state_machine_alias(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        machine_arn, routes = check_routing(request["routingConfiguration"])
        ref = arns.parse_machine(machine_arn)
        if not _mine(context, ref):
            raise _missing()
        arn = arns.alias_arn(machine_arn, request["name"])
        description = request.get("description")
        now = self.now()

        def job(c: Any) -> store.AliasRow:
            _check_versions(c, machine_arn, routes)
            existing = store.alias(c, arn, lock=True)
            if existing is not None:
                if existing.description == description and existing.routing == routes:
                    return existing
                raise ConflictException(
                    "Failed to create alias because an alias with the same name and a different routing "
                    "configuration already exists."
                )
            if len(store.aliases_of(c, machine_arn)) >= MAX_ALIASES:
                raise ServiceQuotaExceededException(
                    f"The state machine {machine_arn} has reached the maximum of {MAX_ALIASES} aliases."
                )
            alias = store.AliasRow(arn, machine_arn, request["name"], description, routes, now, now)
            store.put_alias(c, alias)
            return alias

        alias = await self.yard.db.write(job)
        self.catalogue.forget()
        return {"stateMachineAliasArn": alias.arn, "creationDate": alias.created_at}

    async def describe_state_machine_alias(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = _alias_ref(context, request["stateMachineAliasArn"])
        arn = arns.alias_arn(ref.machine_arn, str(ref.alias))
        alias = await self.yard.db.read(lambda c: store.alias(c, arn)) if _mine(context, ref) else None
        if alias is None:
            raise _missing()
        return _shown(alias)

    async def update_state_machine_alias(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = _alias_ref(context, request["stateMachineAliasArn"])
        if "description" not in request and "routingConfiguration" not in request:
            raise ValidationException(
                "Either the description or the routingConfiguration must be specified to update an alias."
            )
        routes = None
        if "routingConfiguration" in request:
            machine_arn, routes = check_routing(request["routingConfiguration"])
            if machine_arn != ref.machine_arn:
                raise ValidationException(
                    "Routing configuration must contain state machine version ARNs of the alias's state machine. "
                    f"Received: [{', '.join(r['stateMachineVersionArn'] for r in request['routingConfiguration'])}]"
                )
        if not _mine(context, ref):
            raise _missing()
        arn = arns.alias_arn(ref.machine_arn, str(ref.alias))
        now = self.now()

        def job(c: Any) -> None:
            alias = store.alias(c, arn, lock=True)
            if alias is None:
                raise _missing()
            if routes is not None:
                _check_versions(c, ref.machine_arn, routes)
            store.put_alias(
                c,
                store.AliasRow(
                    alias.arn,
                    alias.machine_arn,
                    alias.name,
                    request.get("description", alias.description),
                    routes if routes is not None else alias.routing,
                    alias.created_at,
                    now,
                ),
            )

        await self.yard.db.write(job)
        self.catalogue.forget()
        return {"updateDate": now}

    async def delete_state_machine_alias(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = _alias_ref(context, request["stateMachineAliasArn"])
        if _mine(context, ref):
            arn = arns.alias_arn(ref.machine_arn, str(ref.alias))
            await self.yard.db.write(lambda c: store.delete_alias(c, arn))
            self.catalogue.forget()
        return {}

    async def list_state_machine_aliases(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        given = request["stateMachineArn"]
        ref = arns.parse_machine(given)
        if ref.alias is not None or not _mine(context, ref):
            raise machine_not_found(given)

        def job(c: Any) -> list[store.AliasRow]:
            if store.machine(c, ref.machine_arn) is None:
                raise machine_not_found(given)
            aliases = store.aliases_of(c, ref.machine_arn)
            if ref.version is None:
                return aliases
            version_arn = arns.version_arn(ref.machine_arn, ref.version)
            if store.version(c, version_arn) is None:
                raise machine_not_found(given)
            return [a for a in aliases if any(r["stateMachineVersionArn"] == version_arn for r in a.routing)]

        aliases = await self.yard.db.read(job)
        chosen, token = paginate(aliases, request, f"aliases {given}", lambda a: [a.created_at, a.name])
        answer: dict[str, Any] = {
            "stateMachineAliases": [{"stateMachineAliasArn": a.arn, "creationDate": a.created_at} for a in chosen]
        }
        if token:
            answer["nextToken"] = token
        return answer
