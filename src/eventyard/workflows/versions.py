"""State machine versions: PublishStateMachineVersion, ListStateMachineVersions, DeleteStateMachineVersion.

AWS ("State machine versions", AWS-recorded where noted):

- a version freezes the machine's current revision (definition, role, logging, tracing,
  encryption) under the next number, 1, 2, ...; numbers are never reused after a deletion;
- publishing is idempotent: a revision that has a version already answers that version (also
  the first revision, which has no revisionId);
- ``revisionId`` is a precondition: another current revision is ``ConflictException: Failed to
  publish the State Machine version for revision <given>. The current State Machine revision is
  <current>.``;
- versions list newest first; one routed to by an alias cannot be deleted (``ConflictException:
  Version to be deleted must not be referenced by an alias. Current list of aliases referencing
  this version: [name, ...]``); deleting a version that is not there succeeds;
- at most 1000 versions per machine (``ServiceQuotaExceededException``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from eventyard.service import RequestContext
from eventyard.workflows import arns
from eventyard.workflows import catalogue_store as store
from eventyard.workflows.api_errors import (
    ConflictException,
    InvalidArn,
    ServiceQuotaExceededException,
    StateMachineDeleting,
    machine_not_found,
)
from eventyard.workflows.catalogue import DELETING
from eventyard.workflows.paging import paginate
from eventyard.workflows.service_base import WorkflowBase

MAX_VERSIONS = 1000


def publish_in(c: Any, machine: store.MachineRow, description: str | None, now: float) -> store.VersionRow:
    """The version of the machine's current revision: the one published already, or a new one."""
    versions = store.versions_of(c, machine.arn)
    for version in versions:
        if version.config.revision_id == machine.config.revision_id:
            return version
    if len(versions) >= MAX_VERSIONS:
        raise ServiceQuotaExceededException(
            f"The state machine {machine.arn} has reached the maximum of {MAX_VERSIONS} versions."
        )
    number = machine.next_version
    version = store.VersionRow(
        arns.version_arn(machine.arn, number), machine.arn, number, machine.config, description, now
    )
    store.insert_version(c, version)
    store.update_machine(c, replace(machine, next_version=number + 1))
    return version


def deleting(arn: str) -> StateMachineDeleting:
    return StateMachineDeleting(f"State machine is being deleted: '{arn}'")


class VersionOperations(WorkflowBase):
    async def publish_state_machine_version(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
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
        now = self.now()

        def job(c: Any) -> store.VersionRow:
            machine = store.machine(c, ref.machine_arn, lock=True)
            if machine is None:
                raise machine_not_found(given)
            if machine.status == DELETING:
                raise deleting(machine.arn)
            wanted = request.get("revisionId")
            if wanted is not None and wanted != machine.config.revision_id:
                raise ConflictException(
                    f"Failed to publish the State Machine version for revision {wanted}. "
                    f"The current State Machine revision is {machine.config.revision_id}."
                )
            return publish_in(c, machine, request.get("description"), now)

        version = await self.yard.db.write(job)
        self.catalogue.forget()
        return {"creationDate": version.created_at, "stateMachineVersionArn": version.arn}

    async def list_state_machine_versions(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        given = request["stateMachineArn"]
        ref = arns.parse_machine(given)
        if ref.version is not None or ref.alias is not None:
            raise InvalidArn(f"Invalid Arn: '{given}'")
        mine = (ref.account, ref.region) == (context.account, context.region)
        versions = await self.yard.db.read(lambda c: store.versions_of(c, ref.machine_arn)) if mine else []
        chosen, token = paginate(versions, request, f"versions {ref.machine_arn}", lambda v: v.version, descending=True)
        answer: dict[str, Any] = {
            "stateMachineVersions": [{"stateMachineVersionArn": v.arn, "creationDate": v.created_at} for v in chosen]
        }
        if token:
            answer["nextToken"] = token
        return answer

    async def delete_state_machine_version(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        given = request["stateMachineVersionArn"]
        ref = arns.parse_machine(given)
        if ref.version is None:
            raise InvalidArn(f"Invalid Arn: '{given}'")
        if (ref.account, ref.region) != (context.account, context.region):
            return {}
        version_arn = arns.version_arn(ref.machine_arn, ref.version)

        def job(c: Any) -> None:
            if store.version(c, version_arn) is None:
                return
            routed = [
                alias.name
                for alias in store.aliases_of(c, ref.machine_arn)
                if any(route["stateMachineVersionArn"] == version_arn for route in alias.routing)
            ]
            if routed:
                raise ConflictException(
                    "Version to be deleted must not be referenced by an alias. "
                    f"Current list of aliases referencing this version: [{', '.join(routed)}]"
                )
            store.delete_version(c, version_arn)

        await self.yard.db.write(job)
        self.catalogue.forget()
        return {}
