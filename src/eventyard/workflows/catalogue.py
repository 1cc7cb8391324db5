"""The seam between the catalogue (state machines, versions, aliases) and the execution side.

StartExecution, StartSyncExecution, ListExecutions and the ``states:startExecution`` integration
take any of three ARNs and need the configuration they name:

- ``arn:aws:states:us-east-1:000000000000:stateMachine:orders``: the machine's current revision;
- ``...:stateMachine:orders:3``: version 3, frozen when it was published;
- ``...:stateMachine:orders:live``: an alias, which routes to one of its (one or two) versions
  at random by weight; the choice is injectable (``choose`` returns a number in [0, 1)).

Two doors, one answer (:class:`ResolvedMachine`):

    resolved = await service.catalogue.resolve(context, arn)          # on the event loop
    resolved = resolve_in(connection, account, region, arn)           # inside a db job

Both raise AWS's errors: ``InvalidArn`` (AWS's texts) for text that is not a state machine ARN,
``StateMachineDoesNotExist: State Machine Does Not Exist: '<arn as given>'`` for a machine, version
or alias that is not there (in this account and region). A machine being deleted resolves, with
``status`` DELETING: StartExecution answers ``StateMachineDeleting`` for it.

Deleting: DeleteStateMachine sets DELETING and removes the machine at once unless
``busy(connection, machine_arn)`` (the execution side's "has running executions") says otherwise;
then :func:`finish_deleting_in` removes it when the last execution ends. Rows are keyed by ARN
text, so execution rows refer to ``state_machine_arn`` / ``version_arn`` / ``alias_arn`` directly.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from eventyard.service import RequestContext
from eventyard.storage.base import Database
from eventyard.workflows import arns
from eventyard.workflows import catalogue_store as store
from eventyard.workflows.api_errors import machine_not_found

#: Resolved machines a node keeps at most (see ``Catalogue``).
MAX_RESOLVED = 1024
#: A draw in [0, 1) that picks an alias's version by weight (``random.random`` unless a test injects one).
Chooser = Callable[[], float]

ACTIVE = "ACTIVE"
DELETING = "DELETING"


@dataclass(frozen=True, slots=True)
class ResolvedMachine:
    """What an ARN names, ready to run: the base machine, the version and alias taken, and the
    configuration (the version's when a version or alias was named, else the machine's current one)."""

    state_machine_arn: str
    version_arn: str | None
    alias_arn: str | None
    name: str
    definition: str
    type: str
    role_arn: str
    logging_configuration: Mapping[str, Any]
    tracing_configuration: Mapping[str, Any]
    revision_id: str | None
    status: str
    encryption_configuration: Mapping[str, Any] | None = None
    #: When this configuration was made: the machine's last change, or the version's publication.
    updated_at: float = 0.0


def machine_version_arn(state_machine_arn: str, version: int) -> str:
    """``...:stateMachine:orders`` + 3 -> ``...:stateMachine:orders:3``."""
    return arns.version_arn(state_machine_arn, version)


def pick_version(routing: Sequence[Mapping[str, Any]], draw: float) -> str:
    """The version an alias routes one execution to, for a ``draw`` in [0, 1) (weights sum to 100)."""
    point = draw * 100
    total = 0.0
    for route in routing:
        total += route["weight"]
        if point < total:
            return str(route["stateMachineVersionArn"])
    return str(max(routing, key=lambda route: route["weight"])["stateMachineVersionArn"])


def resolve_in(c: Any, account: str, region: str, arn: str, *, choose: Chooser = random.random) -> ResolvedMachine:
    """Resolve ``arn`` inside a db job (``c`` is the job's connection); see the module doc."""
    ref = arns.parse_machine(arn)
    if ref.account != account or ref.region != region:
        raise machine_not_found(arn)
    machine = store.machine(c, ref.machine_arn)
    if machine is None:
        raise machine_not_found(arn)
    version_arn: str | None = None
    alias_arn: str | None = None
    if ref.version is not None:
        version_arn = arns.version_arn(machine.arn, ref.version)
    elif ref.alias is not None:
        alias = store.alias(c, arns.alias_arn(machine.arn, ref.alias))
        if alias is None:
            raise machine_not_found(arn)
        alias_arn = alias.arn
        version_arn = pick_version(alias.routing, choose())
    if version_arn is None:
        return _resolved(machine, machine.config, None, None, machine.updated_at)
    version = store.version(c, version_arn)
    if version is None:
        raise machine_not_found(arn)
    return _resolved(machine, version.config, version.arn, alias_arn, version.created_at)


def _resolved(
    machine: store.MachineRow,
    config: store.Configuration,
    version_arn: str | None,
    alias_arn: str | None,
    updated_at: float,
) -> ResolvedMachine:
    return ResolvedMachine(
        state_machine_arn=machine.arn,
        version_arn=version_arn,
        alias_arn=alias_arn,
        name=machine.name,
        definition=config.definition,
        type=machine.type,
        role_arn=config.role_arn,
        logging_configuration=config.logging,
        tracing_configuration=config.tracing,
        revision_id=config.revision_id,
        status=machine.status,
        encryption_configuration=config.encryption,
        updated_at=updated_at,
    )


def delete_in(c: Any, machine_arn: str, busy: Callable[[Any, str], bool]) -> None:
    """DeleteStateMachine's job: versions and aliases go at once; the machine too unless ``busy``
    says executions still run (then it stays, DELETING, until :func:`finish_deleting_in`)."""
    machine = store.machine(c, machine_arn, lock=True)
    if machine is None:
        return
    if not busy(c, machine_arn):
        store.delete_machine(c, machine_arn)
        return
    for version in store.versions_of(c, machine_arn):
        store.delete_version(c, version.arn)
    for alias in store.aliases_of(c, machine_arn):
        store.delete_alias(c, alias.arn)
    if machine.status != DELETING:
        store.update_machine(c, replace(machine, status=DELETING))


def finish_deleting_in(c: Any, machine_arn: str) -> bool:
    """Remove a DELETING machine (the execution side calls this when its last execution ended);
    True when it was removed, False when there was no DELETING machine of that ARN."""
    machine = store.machine(c, machine_arn, lock=True)
    if machine is None or machine.status != DELETING:
        return False
    store.delete_machine(c, machine_arn)
    return True


class Catalogue:
    """The catalogue as the operations and the execution side reach it on the event loop."""

    def __init__(self, db: Database, choose: Chooser = random.random) -> None:
        self.db = db
        #: The draw that routes alias executions; a test may replace it.
        self.choose = choose
        #: Machines and versions resolved, by (account, region, ARN): every StartExecution resolves
        #: one. Only where this node makes every change (not ``shared_by_nodes``); each change made
        #: through the catalogue's operations calls :meth:`forget`. Aliases (a draw per execution)
        #: and DELETING machines are not kept.
        self._resolved: dict[tuple[str, str, str], ResolvedMachine] | None = None if db.shared_by_nodes else {}

    async def resolve(self, context: RequestContext, arn: str) -> ResolvedMachine:
        """Resolve a state machine, version or alias ARN of the caller's namespace (see the module doc)."""
        cache = self._resolved
        key = (context.account, context.region, arn)
        if cache is not None:
            found = cache.get(key)
            if found is not None:
                return found
        resolved = await self.db.read(lambda c: resolve_in(c, context.account, context.region, arn, choose=self.choose))
        if cache is not None and resolved.alias_arn is None and resolved.status != DELETING:
            if len(cache) >= MAX_RESOLVED:
                cache.clear()
            cache[key] = resolved
        return resolved

    def forget(self) -> None:
        """A machine, version or alias changed: resolve afresh from now on."""
        if self._resolved is not None:
            self._resolved.clear()
