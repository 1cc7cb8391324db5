"""A state machine as an EventBridge rule target: each event starts an execution with it as input.

The execution is staged (``stage_start_execution``), so a PutEvents that routes to a state machine
starts the execution in the transaction that accepts the event: exactly once. A rule target's
input is the payload (the event, or what the target's Input/InputPath/InputTransformer make of it).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from eventyard import arn
from eventyard.errors import EventyardError
from eventyard.service import RequestContext
from eventyard.staging import StagedCall
from eventyard.targets import StagedCalls

if TYPE_CHECKING:
    from eventyard.workflows.service import WorkflowService


class MachineTarget:
    def __init__(self, service: WorkflowService) -> None:
        self.service = service

    def _request(
        self, target: dict[str, Any], payload: str, event: dict[str, Any]
    ) -> tuple[RequestContext, dict[str, Any]]:
        """StartExecution of the target; the execution is named for the event (AWS-recorded: the
        name starts with the event's id)."""
        parts = arn.parse_as(target["Arn"], "states")
        if parts is None:
            raise EventyardError(f"Target {target['Arn']} is not a state machine.", code="ResourceNotFoundException")
        context = RequestContext(account=parts.account, region=parts.region, endpoint=self.service.yard.endpoint)
        name = f"{event.get('id', '')}_{uuid.uuid4()}"[:80]
        return context, {"stateMachineArn": target["Arn"], "input": payload, "name": name}

    async def deliver(self, target: dict[str, Any], payload: str, event: dict[str, Any], rule: dict[str, Any]) -> None:
        context, request = self._request(target, payload, event)
        await self.service.yard.call("stepfunctions", "StartExecution", request, context, trusted=True)

    async def stage(self, target: dict[str, Any], items: list[tuple[str, dict[str, Any]]]) -> Any:
        calls: list[StagedCall] = []
        for payload, event in items:
            context, request = self._request(target, payload, event)
            try:
                calls.append(await self.service.stage_start_execution(context, request))
            except EventyardError:  # a missing machine, an express one: delivered (and dead-lettered) later
                return None
        return StagedCalls(calls, [], _executions)


def _executions(results: list[Any]) -> dict[int, dict[str, Any]]:
    """Each item's execution by its position."""
    return {
        position: {"executionArn": result["executionArn"]}
        for position, result in enumerate(results)
        if isinstance(result, dict) and "executionArn" in result
    }
