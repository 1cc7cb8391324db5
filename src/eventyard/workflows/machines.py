"""State machines: Create, Describe, Update, Delete, List, and ValidateStateMachineDefinition.

AWS (botocore's documentation; AWS-recorded answers where noted):

- CreateStateMachine validates the definition as AWS does (``InvalidDefinition`` with AWS's
  diagnostics) for the machine's type. It is idempotent on the name, the definition *text*, the
  type, the logging, tracing and encryption configurations, ``publish`` and ``versionDescription``;
  a different ``roleArn`` or tags are ignored, anything else is ``StateMachineAlreadyExists:
  State Machine Already Exists: '<arn>'`` (recorded, also for the same definition formatted
  otherwise). ``publish`` makes version 1; ``versionDescription`` without it is a
  ValidationException (recorded).
- A new machine has no revisionId; an UpdateStateMachine that changes anything makes a new one,
  an update that changes nothing keeps it (recorded). Update takes no version or alias ARN
  (``StateMachineDoesNotExist`` naming it, recorded) and needs something to change
  (``MissingRequiredParameter``, recorded text).
- DescribeStateMachine takes a version ARN too (then ``stateMachineArn`` is the version's, with
  its ``description`` and revision); ``revisionId`` and ``encryptionConfiguration`` appear only
  when there is one. ``variableReferences`` lists, per state, the variables it reads.
- DeleteStateMachine takes only the unqualified ARN, deletes the versions and aliases with it,
  and succeeds for a machine that is not there (recorded).
- ListStateMachines lists in name order (recorded), 100 a page unless ``maxResults`` says otherwise.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from eventyard.errors import ValidationException
from eventyard.ids import new_uuid
from eventyard.service import RequestContext
from eventyard.workflows import arns, machine_config
from eventyard.workflows import catalogue_store as store
from eventyard.workflows.api_errors import (
    MissingRequiredParameter,
    StateMachineAlreadyExists,
    TooManyTags,
    invalid_token,
    machine_not_found,
)
from eventyard.workflows.catalogue import ACTIVE, DELETING, delete_in
from eventyard.workflows.paging import make_token, page_size, read_token
from eventyard.workflows.service_base import MAX_TAGS, WorkflowBase, check_role_arn, tag_map
from eventyard.workflows.validate import check_definition, validate_definition
from eventyard.workflows.variable_references import variable_references
from eventyard.workflows.versions import deleting, publish_in

_UPDATABLE = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration")


def _check_version_description(request: dict[str, Any]) -> None:
    if request.get("versionDescription") is not None and not request.get("publish"):
        raise ValidationException("Version description can only be set when publish is true")


def _same_request(machine: store.MachineRow, wanted: store.MachineRow) -> bool:
    """CreateStateMachine's idempotency check (the role and the tags are not part of it)."""
    mine, theirs = machine.config, wanted.config
    return (
        machine.type == wanted.type
        and mine.definition == theirs.definition
        and (mine.logging, mine.tracing, mine.encryption) == (theirs.logging, theirs.tracing, theirs.encryption)
        and machine.created_with == wanted.created_with
    )


def described(
    machine: store.MachineRow, config: store.Configuration, arn: str, created: float, description: str | None = None
) -> dict[str, Any]:
    """DescribeStateMachine's answer for the machine (``arn`` its own) or one of its versions."""
    shown: dict[str, Any] = {
        "stateMachineArn": arn,
        "name": machine.name,
        "status": machine.status,
        "definition": config.definition,
        "roleArn": config.role_arn,
        "type": machine.type,
        "creationDate": created,
        "loggingConfiguration": config.logging,
        "tracingConfiguration": config.tracing,
    }
    if config.revision_id is not None:
        shown["revisionId"] = config.revision_id
    if description is not None:
        shown["description"] = description
    if config.encryption is not None:
        shown["encryptionConfiguration"] = config.encryption
    references = variable_references(config.definition)
    if references:
        shown["variableReferences"] = references
    return shown


class StateMachineOperations(WorkflowBase):
    async def create_state_machine(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = arns.check_name(request["name"])
        kind = request.get("type", "STANDARD")
        role = check_role_arn(request["roleArn"])
        _check_version_description(request)
        validate_definition(request["definition"], kind)
        tags = tag_map(request.get("tags"))
        arn = arns.machine_arn(context.region, context.account, name)
        if len(tags) > MAX_TAGS:
            raise TooManyTags(f"Too many tags: a resource takes at most {MAX_TAGS}, {len(tags)} were given: '{arn}'")
        now = self.now()
        config = store.Configuration(
            definition=request["definition"],
            role_arn=role,
            logging=machine_config.logging(request.get("loggingConfiguration")),
            tracing=machine_config.tracing(request.get("tracingConfiguration")),
            encryption=machine_config.encryption(request.get("encryptionConfiguration")),
            revision_id=None,
        )
        publish = bool(request.get("publish"))
        created_with = {"publish": publish, "versionDescription": request.get("versionDescription")}
        wanted = store.MachineRow(
            arn, context.account, context.region, name, kind, ACTIVE, config, created_with, tags, 1, now, now
        )

        def job(c: Any) -> tuple[store.MachineRow, str | None]:
            existing = store.machine(c, arn, lock=True)
            if existing is None:
                if store.insert_machine(c, wanted):
                    version = publish_in(c, wanted, request.get("versionDescription"), now) if publish else None
                    return wanted, version.arn if version else None
                existing = store.machine(c, arn, lock=True)  # another node created it meanwhile
            if existing is None or existing.status == DELETING:
                raise deleting(arn)
            if not _same_request(existing, wanted):
                raise StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
            found = [v for v in store.versions_of(c, arn) if v.config.revision_id == existing.config.revision_id]
            return existing, found[0].arn if publish and found else None

        machine, version_arn = await self.yard.db.write(job)
        self.catalogue.forget()
        answer: dict[str, Any] = {"stateMachineArn": machine.arn, "creationDate": machine.created_at}
        if version_arn is not None:
            answer["stateMachineVersionArn"] = version_arn
        return answer

    async def describe_state_machine(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        given = request["stateMachineArn"]
        ref = arns.parse_machine(given)
        if ref.alias is not None or (ref.account, ref.region) != (context.account, context.region):
            raise machine_not_found(given)

        def job(c: Any) -> dict[str, Any]:
            machine = store.machine(c, ref.machine_arn)
            if machine is None:
                raise machine_not_found(given)
            if ref.version is None:
                return described(machine, machine.config, machine.arn, machine.created_at)
            version = store.version(c, arns.version_arn(machine.arn, ref.version))
            if version is None:
                raise machine_not_found(given)
            return described(machine, version.config, version.arn, version.created_at, version.description)

        shown = await self.yard.db.read(job)
        if request.get("includedData") == "METADATA_ONLY":
            shown.pop("definition", None)
            shown.pop("variableReferences", None)
        return shown

    async def update_state_machine(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        given = request["stateMachineArn"]
        ref = arns.parse_machine(given)
        if (
            ref.version is not None
            or ref.alias is not None
            or (ref.account, ref.region)
            != (
                context.account,
                context.region,
            )
        ):
            raise machine_not_found(given)
        if not any(key in request for key in _UPDATABLE):
            raise MissingRequiredParameter(
                "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration "
                "must be specified"
            )
        _check_version_description(request)
        role = check_role_arn(request["roleArn"]) if "roleArn" in request else None
        logging = machine_config.logging(request["loggingConfiguration"]) if "loggingConfiguration" in request else None
        tracing = machine_config.tracing(request["tracingConfiguration"]) if "tracingConfiguration" in request else None
        encryption = machine_config.encryption(request.get("encryptionConfiguration"))
        current = await self.yard.db.read(lambda c: store.machine(c, ref.machine_arn))
        if current is None:
            raise machine_not_found(given)
        if "definition" in request:
            validate_definition(request["definition"], current.type)
        now = self.now()

        def job(c: Any) -> tuple[store.MachineRow, str | None]:
            machine = store.machine(c, ref.machine_arn, lock=True)
            if machine is None:
                raise machine_not_found(given)
            if machine.status == DELETING:
                raise deleting(machine.arn)
            old = machine.config
            new = store.Configuration(
                definition=request.get("definition", old.definition),
                role_arn=role if role is not None else old.role_arn,
                logging=logging if logging is not None else old.logging,
                tracing=tracing if tracing is not None else old.tracing,
                encryption=encryption if "encryptionConfiguration" in request else old.encryption,
                revision_id=old.revision_id,
            )
            if new != old:
                machine = machine.with_config(replace(new, revision_id=new_uuid()), now)
                store.update_machine(c, machine)
            version = publish_in(c, machine, request.get("versionDescription"), now) if request.get("publish") else None
            return machine, version.arn if version else None

        machine, version_arn = await self.yard.db.write(job)
        self.catalogue.forget()
        answer: dict[str, Any] = {"updateDate": now}
        if machine.config.revision_id is not None:
            answer["revisionId"] = machine.config.revision_id
        if version_arn is not None:
            answer["stateMachineVersionArn"] = version_arn
        return answer

    async def delete_state_machine(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        given = request["stateMachineArn"]
        ref = arns.parse_machine(given)
        if ref.version is not None or ref.alias is not None:
            raise ValidationException(
                f"DeleteStateMachine takes an unqualified state machine ARN, not a version or alias ARN: '{given}'. "
                "Use DeleteStateMachineVersion or DeleteStateMachineAlias."
            )
        if (ref.account, ref.region) == (context.account, context.region):
            await self.yard.db.write(lambda c: delete_in(c, ref.machine_arn, self.running_executions))
            self.catalogue.forget()
        return {}

    async def list_state_machines(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        listing = "machines"
        after = read_token(request, listing)
        size = page_size(request)
        if after is not None and not isinstance(after, str):
            raise invalid_token()
        start = after or ""
        rows = await self.yard.db.read(
            lambda c: store.machines_page(c, context.account, context.region, start, size + 1)
        )
        answer: dict[str, Any] = {
            "stateMachines": [
                {"stateMachineArn": m.arn, "name": m.name, "type": m.type, "creationDate": m.created_at}
                for m in rows[:size]
            ]
        }
        if len(rows) > size:
            answer["nextToken"] = make_token(listing, rows[size - 1].name)
        return answer

    async def validate_state_machine_definition(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        found = check_definition(request["definition"], request.get("type", "STANDARD"))
        failed = any(item.severity == "ERROR" for item in found)
        if request.get("severity", "ERROR") == "ERROR":
            found = [item for item in found if item.severity == "ERROR"]
        limit = int(request.get("maxResults") or 0) or 100
        return {
            "result": "FAIL" if failed else "OK",
            "diagnostics": [item.as_dict() for item in found[:limit]],
            "truncated": len(found) > limit,
        }
