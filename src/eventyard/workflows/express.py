"""Express executions: in memory, at-least-once, at most five minutes, as AWS documents them.

StartSyncExecution runs one to its end and answers with its outcome; StartExecution of an EXPRESS
machine answers at once and runs it in the background. Nothing is stored: AWS keeps no history of
Express executions either (DescribeExecution, GetExecutionHistory and StopExecution refuse their
ARNs). Task states call the yard's services through the same dispatch as any caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from eventyard.service import RequestContext
from eventyard.workflows.engine import described
from eventyard.workflows.interpreter import ExecutionResult, Interpreter
from eventyard.workflows.runtime import ExecutionInfo
from eventyard.workflows.tasks import TaskRequest

if TYPE_CHECKING:
    from eventyard.workflows.executions import ExecutionOperations, ResolvedMachine

#: AWS: an Express workflow runs for at most five minutes.
MAX_SECONDS = 300.0
_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")


class ExpressTasks:
    """Task states of Express executions: request-response calls through the yard's dispatch."""

    def __init__(self, operations: ExecutionOperations, context: RequestContext) -> None:
        self.operations = operations
        self.context = context

    async def invoke(self, request: TaskRequest) -> Any:
        from eventyard.workflows.integrations import call_for

        call = call_for(self.operations.yard, self.context, request.resource, request.parameters, request.execution_arn)
        return await call.send()


class ExpressExecutions:
    def __init__(self, operations: ExecutionOperations) -> None:
        self.operations = operations
        self.yard = operations.yard
        self._running: set[asyncio.Task[Any]] = set()

    def _prepare(
        self, context: RequestContext, machine: ResolvedMachine, request: dict[str, Any], *, sync: bool = False
    ) -> tuple[ExecutionInfo, Any]:
        from eventyard.workflows.executions import InvalidExecutionInput, InvalidName

        name = request.get("name") or str(uuid.uuid4())
        if not _NAME.match(name):
            raise InvalidName(f"Invalid Name: '{name}'")
        try:
            value = orjson.loads(request.get("input", "{}"))
        except orjson.JSONDecodeError as error:
            raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{error}'")
        base = (machine.version_arn or machine.alias_arn or machine.state_machine_arn).split(":")
        arn = ":".join([*base[:5], "express", base[6], name, str(uuid.uuid4())])
        info = ExecutionInfo(
            execution_arn=arn,
            name=name,
            state_machine_arn=machine.version_arn or machine.state_machine_arn,
            state_machine_name=machine.name,
            role_arn=machine.role_arn,
            start_time=self.yard.clock.now(),
            input=value,
            # AWS-recorded: $$.Execution has RedriveCount 0 in an asynchronous Express execution and
            # no RedriveCount in a synchronous one
            redrive_count=None if sync else 0,
        )
        return info, value

    async def _run(
        self,
        context: RequestContext,
        machine: ResolvedMachine,
        info: ExecutionInfo,
        value: Any,
        test_case: str | None = None,
    ) -> Any:
        tasks: Any = ExpressTasks(self.operations, context)
        mocks = getattr(self.operations, "mocks", None)
        if test_case is not None and mocks is not None:
            from eventyard.workflows.mocks import MockedTasks

            tasks = MockedTasks(mocks, machine.name, test_case, tasks)
        interpreter = Interpreter(machine.definition, tasks=tasks, clock=self.yard.clock)
        execution = asyncio.ensure_future(interpreter.run(value, info=info))
        limit = asyncio.ensure_future(self.yard.clock.sleep(MAX_SECONDS))
        try:
            await asyncio.wait({execution, limit}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            limit.cancel()
        if execution.done():
            return execution.result()
        execution.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await execution
        return ExecutionResult("TIMED_OUT", error="States.Timeout")  # past its five minutes, as AWS ends it

    async def start(
        self,
        context: RequestContext,
        machine: ResolvedMachine,
        request: dict[str, Any],
        *,
        test_case: str | None = None,
    ) -> dict[str, Any]:
        info, value = self._prepare(context, machine, request)
        task = asyncio.ensure_future(self._run(context, machine, info, value, test_case))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return {"executionArn": info.execution_arn, "startDate": info.start_time}

    async def start_sync(
        self,
        context: RequestContext,
        machine: ResolvedMachine,
        request: dict[str, Any],
        *,
        test_case: str | None = None,
    ) -> dict[str, Any]:
        info, value = self._prepare(context, machine, request, sync=True)
        result = described(await self._run(context, machine, info, value, test_case))
        stopped = self.yard.clock.now()
        answer: dict[str, Any] = {
            "executionArn": info.execution_arn,
            "stateMachineArn": info.state_machine_arn,
            "name": info.name,
            "startDate": info.start_time,
            "stopDate": stopped,
            "status": result.status,
            "input": orjson.dumps(value).decode(),
            "inputDetails": {"included": True},
            "billingDetails": {
                "billedMemoryUsedInMB": 64,
                "billedDurationInMilliseconds": max(100, int((stopped - info.start_time) * 1000 + 99) // 100 * 100),
            },
        }
        if result.status == "SUCCEEDED":
            answer["output"] = orjson.dumps(result.output).decode()
            answer["outputDetails"] = {"included": True}
        if result.error is not None:
            answer["error"] = result.error
        if result.cause is not None:
            answer["cause"] = result.cause
        return answer

    async def stop(self) -> None:
        for task in list(self._running):
            task.cancel()
        for task in list(self._running):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
