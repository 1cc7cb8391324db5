"""AWS Step Functions: :class:`WorkflowService` joins the operation groups.

Every method takes the request as botocore's model names it (already checked against the model by
the gateway or the in-process client) and returns the response as boto3 shows it. The groups:

- ``machines.py``: CreateStateMachine, DescribeStateMachine, UpdateStateMachine,
  DeleteStateMachine, ListStateMachines, ValidateStateMachineDefinition;
- ``versions.py`` and ``aliases.py``: versions and aliases of a state machine;
- ``activities.py``: the activities' catalogue;
- ``tagging.py``: tags of state machines and activities;
- ``test_state.py``: TestState, one state run through the interpreter's state handlers.

The execution side (executions, history, activity tasks, callbacks, map runs) adds its groups to
the bases; it finds what a state machine, version or alias ARN names through ``catalogue.py``.
"""

from __future__ import annotations

from typing import Any

from eventyard.workflows.activities import ActivityOperations
from eventyard.workflows.aliases import AliasOperations
from eventyard.workflows.catalogue_store import MIGRATIONS
from eventyard.workflows.machines import StateMachineOperations
from eventyard.workflows.tagging import TagOperations
from eventyard.workflows.test_state import StateTestOperations
from eventyard.workflows.versions import VersionOperations


class WorkflowService(
    StateMachineOperations,
    VersionOperations,
    AliasOperations,
    ActivityOperations,
    TagOperations,
    StateTestOperations,
):
    """Step Functions in-process: the catalogue and TestState (the execution side joins here)."""

    name = "stepfunctions"
    migrations = MIGRATIONS

    def __init__(self, yard: Any) -> None:
        super().__init__(yard)

    async def start(self) -> None:
        await super().start()

    async def stop(self) -> None:
        await super().stop()
