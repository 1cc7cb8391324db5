"""AWS Step Functions: :class:`WorkflowService` joins the operation groups.

Every method takes the request as botocore's model names it (already checked against the model by
the gateway or the in-process client) and returns the response as boto3 shows it. The groups:

- ``machines.py``: CreateStateMachine, DescribeStateMachine, UpdateStateMachine,
  DeleteStateMachine, ListStateMachines, ValidateStateMachineDefinition;
- ``versions.py`` and ``aliases.py``: versions and aliases of a state machine;
- ``activities.py``: the activities' catalogue;
- ``tagging.py``: tags of state machines and activities;
- ``test_state.py``: TestState, one state run through the interpreter's state handlers;
- ``executions.py``: StartExecution, StartSyncExecution, StopExecution, DescribeExecution,
  ListExecutions, GetExecutionHistory, DescribeStateMachineForExecution, RedriveExecution;
- ``callbacks.py``: SendTaskSuccess/Failure/Heartbeat and GetActivityTask;
- ``map_runs.py``: ListMapRuns, DescribeMapRun, UpdateMapRun.

Standard executions run durably on the kernel (``engine.py``); Express ones in memory (``express.py``).
"""

from __future__ import annotations

from typing import Any

from eventyard.workflows import execution_store
from eventyard.workflows.activities import ActivityOperations, activity_in
from eventyard.workflows.aliases import AliasOperations
from eventyard.workflows.callbacks import ActivityWaiters, CallbackOperations
from eventyard.workflows.catalogue import finish_deleting_in
from eventyard.workflows.catalogue_store import MIGRATIONS
from eventyard.workflows.engine import OWNER, ExecutionEngine
from eventyard.workflows.executions import ExecutionOperations
from eventyard.workflows.express import ExpressExecutions
from eventyard.workflows.machines import StateMachineOperations
from eventyard.workflows.map_runs import MapRunOperations
from eventyard.workflows.mocks import MockConfig
from eventyard.workflows.tagging import TagOperations
from eventyard.workflows.target import MachineTarget
from eventyard.workflows.test_state import StateTestOperations
from eventyard.workflows.versions import VersionOperations


class WorkflowService(
    StateMachineOperations,
    VersionOperations,
    AliasOperations,
    ActivityOperations,
    TagOperations,
    StateTestOperations,
    ExecutionOperations,
    CallbackOperations,
    MapRunOperations,
):
    """Step Functions in-process: every operation of botocore's ``stepfunctions`` model."""

    name = "stepfunctions"
    migrations = [*MIGRATIONS, *execution_store.MIGRATIONS]

    def __init__(self, yard: Any) -> None:
        super().__init__(yard)
        self.engine = ExecutionEngine(self)
        self.express = ExpressExecutions(self)
        self.activity_waiters = ActivityWaiters()
        self.activity_listener = None
        self.mocks = MockConfig.from_environment()  # SFN_MOCK_CONFIG, or serve --mock-config
        yard.kernel.register(self.engine)
        target = MachineTarget(self)
        yard.targets.register("states", "stateMachine:", target.deliver, stage=target.stage)

    async def start(self) -> None:
        await super().start()
        await self.listen_for_activities()

        def reconcile(c: Any) -> None:  # executions left RUNNING by a run without timers
            for arn in execution_store.running_without_timer(c):
                self.yard.kernel.ensure(c, OWNER, arn, self.yard.clock.now())

        await self.yard.db.write(reconcile)

    async def stop(self) -> None:
        await self.express.stop()
        if self.activity_listener is not None:
            self.activity_listener.stop()
            self.activity_listener = None
        await super().stop()

    # --- the seams between the catalogue and the executions -------------------------------------

    def running_executions(self, c: Any, state_machine_arn: str) -> bool:
        return execution_store.has_running(c, state_machine_arn)

    def machine_execution_ended(self, c: Any, state_machine_arn: str) -> None:
        """A DELETING machine goes once its last execution ended."""
        if not execution_store.has_running(c, state_machine_arn):
            finish_deleting_in(c, state_machine_arn)

    async def activity_exists(self, context: Any, activity_arn: str) -> bool:
        await self.yard.db.read(lambda c: activity_in(c, context.account, context.region, activity_arn))
        return True
