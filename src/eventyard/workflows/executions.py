"""Executions: start, stop, describe, list, history, redrive; and what ends an execution.

Standard executions are durable (``engine``): StartExecution writes the execution, its
ExecutionStarted event and its timer in one transaction, claimed by this node, which runs it the
moment the transaction commits. Express executions run in memory (``express``).
"""

from __future__ import annotations

import base64
import dataclasses
import re
from typing import TYPE_CHECKING, Any

import orjson

from eventyard import arn as arns
from eventyard.errors import ClientError
from eventyard.ids import new_uuid
from eventyard.kernel import Timer
from eventyard.service import RequestContext, Service
from eventyard.staging import CannotStage, StagedCall
from eventyard.workflows import execution_store as store
from eventyard.workflows.api_errors import (
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionNotRedrivable,
    InvalidArn,
    InvalidExecutionInput,
    InvalidName,
    StateMachineDeleting,
    StateMachineTypeNotSupported,
)
from eventyard.workflows.catalogue import Catalogue, ResolvedMachine
from eventyard.workflows.engine import OWNER, ExecutionEngine, InlineEnd, computes_only, run_inline
from eventyard.workflows.history import payload
from eventyard.workflows.mocks import ENVIRONMENT

if TYPE_CHECKING:
    from eventyard.workflows.express import ExpressExecutions

_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")
#: AWS keeps an execution redrivable for 14 days after it ended.
REDRIVE_WINDOW = 14 * 86_400
MAX_REDRIVES = 1000
STATUS_EVENT = "Step Functions Execution Status Change"


def execution_arn(machine_arn: str, name: str) -> str:
    """``...:stateMachine:orders[:3|:live]`` + ``run-1`` -> ``...:execution:orders:run-1``."""
    parts = machine_arn.split(":")
    return ":".join([*parts[:5], "execution", parts[6], name])


def parse_execution_arn(text: str) -> arns.Arn:
    found = arns.parse_as(text, "states")
    if found is None or found.resource_type not in ("execution", "express"):
        raise InvalidArn(f"Invalid Arn: '{text}'")
    if found.resource_type == "express":
        raise InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")
    return found


def _json_input(text: Any) -> Any:
    try:
        return orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError) as error:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{error}'")


class ExecutionOperations(Service):
    catalogue: Catalogue
    engine: ExecutionEngine
    express: ExpressExecutions

    # --- start --------------------------------------------------------------------------------------

    async def start_execution(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        machine_arn, case = self._test_case(request["stateMachineArn"])
        machine = await self.catalogue.resolve(context, machine_arn)
        if machine.type == "EXPRESS":
            return await self.express.start(context, machine, request, test_case=case)
        staged = await self._staged_start(context, machine, request, parent_token=None, test_case=case)
        result = await self.yard.db.write(staged.write)
        staged.committed()
        return dict(result)

    async def start_sync_execution(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        machine_arn, case = self._test_case(request["stateMachineArn"])
        machine = await self.catalogue.resolve(context, machine_arn)
        if machine.type != "EXPRESS":
            raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
        return await self.express.start_sync(context, machine, request, test_case=case)

    def _test_case(self, machine_arn: str) -> tuple[str, str | None]:
        """``<state machine ARN>#<test case>`` runs a test case of the mock configuration (see ``mocks``)."""
        base, found, case = machine_arn.partition("#")
        if not found:
            return machine_arn, None
        mocks = getattr(self, "mocks", None)
        if mocks is None:
            raise ClientError(
                f"Invalid Arn: '{machine_arn}' (a test case needs a mock configuration:"
                f" --mock-config or {ENVIRONMENT})",
                code="InvalidArn",
            )
        return base, case

    async def stage_start_execution(
        self, context: RequestContext, request: dict[str, Any], *, parent_token: str | None = None
    ) -> StagedCall:
        """StartExecution staged for another transaction (a parent's task, exactly once)."""
        machine = await self.catalogue.resolve(context, request["stateMachineArn"])
        if machine.type == "EXPRESS":
            if parent_token is not None:
                raise StateMachineTypeNotSupported("Express state machines do not support '.sync' executions.")
            raise CannotStage("an express execution runs in memory")
        return await self._staged_start(context, machine, request, parent_token=parent_token)

    async def _staged_start(
        self,
        context: RequestContext,
        machine: ResolvedMachine,
        request: dict[str, Any],
        *,
        parent_token: str | None,
        test_case: str | None = None,
    ) -> StagedCall:
        if machine.status == "DELETING":
            raise StateMachineDeleting(f"State machine is being deleted: '{machine.state_machine_arn}'")
        name = request.get("name") or new_uuid()
        if not _NAME.match(name):
            raise InvalidName(f"Invalid Name: '{name}'")
        text = request.get("input", "{}")
        _json_input(text)
        now = self.yard.clock.now()
        arn = execution_arn(machine.version_arn or machine.alias_arn or machine.state_machine_arn, name)
        details = {
            "loggingConfiguration": machine.logging_configuration,
            "tracingConfiguration": machine.tracing_configuration,
            "revisionId": machine.revision_id,
            "updateDate": machine.updated_at or now,
        }
        if test_case is not None:
            details["testCase"] = test_case
        row = store.ExecutionRow(
            execution_arn=arn, account=context.account, region=context.region,
            state_machine_arn=machine.state_machine_arn, version_arn=machine.version_arn,
            alias_arn=machine.alias_arn, name=name, status="RUNNING",
            definition_hash=store.definition_hash(machine.definition), role_arn=machine.role_arn, input=text,
            output=None, error=None, cause=None, started_at=now, stopped_at=None, snapshot=None,
            history_length=1, redrive_count=0, redrive_at=None, parent_token=parent_token,
            trace_header=request.get("traceHeader"), details=orjson.dumps(details).decode(),
        )  # fmt: skip
        started = {
            "timestamp": now,
            "type": "ExecutionStarted",
            "id": 1,
            "previousEventId": 0,
            "executionStartedEventDetails": {
                "input": payload(orjson.loads(text)),
                "inputDetails": {"truncated": False},
                "roleArn": machine.role_arn,
                **({"stateMachineAliasArn": machine.alias_arn} if machine.alias_arn else {}),
                **({"stateMachineVersionArn": machine.version_arn} if machine.version_arn else {}),
            },
        }
        status_event = await self._status_event(context, row, "RUNNING")
        ended: InlineEnd | None = None
        end_event: StagedCall | None = None
        if parent_token is None and test_case is None and computes_only(row.definition_hash, machine.definition):
            ended = await run_inline(row, machine.definition, self.yard.clock)
            if ended is not None:
                result = ended.result
                end_event = await self.status_event_for(
                    row, result.status, stopped_at=ended.stopped_at, output=ended.output, error=result.error,
                    cause=result.cause,
                )  # fmt: skip
        timers: list[Timer] = []
        answer = {"executionArn": arn, "startDate": now}
        kernel = self.yard.kernel

        def write(c: Any) -> dict[str, Any]:
            first = row if ended is None else _ended_row(row, ended)
            if not store.insert_execution(c, first, machine.definition, started, ended.events if ended else ()):
                existing = store.execution(c, arn)
                if existing is not None and existing.status == "RUNNING" and existing.input == text:
                    return {"executionArn": arn, "startDate": existing.started_at}  # the same call again
                raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
            if status_event is not None:
                status_event.write(c)
            if ended is None:
                timers.extend(kernel.add_claimed(c, OWNER, [(arn, "")], now))
                return answer
            result = ended.result
            self.execution_ended(c, first, result.status, ended.output, result.error, result.cause, ended.stopped_at)
            if end_event is not None:
                end_event.write(c)
            return answer

        def committed() -> None:
            if timers:  # its first firing starts from what was just written, without reading it back
                self.engine.started(row, machine.definition)
            kernel.fire_now(timers)
            if status_event is not None:
                status_event.committed()
            if end_event is not None:
                end_event.committed()

        return StagedCall(write, committed)

    # --- what ends an execution (inside the engine's last transaction) -------------------------------

    def execution_ended(
        self,
        c: Any,
        row: store.ExecutionRow,
        status: str,
        output: str | None,
        error: str | None,
        cause: str | None,
        now: float,
    ) -> None:
        """A parent waiting for this execution (``.sync``) gets its outcome, and its timer fires; a
        machine deleted meanwhile goes with its last execution."""
        self.machine_execution_ended(c, row.state_machine_arn)
        if row.parent_token is None:
            return
        parent = store.attempt(c, row.parent_token, for_update=True)
        if parent is None:
            return
        if status == "SUCCEEDED":
            described = self._described(row, status, output, error, cause, now)
            store.resolve_attempt(c, parent.token, "succeeded", orjson.dumps(described).decode(), None, None)
        else:
            described = self._described(row, status, output, error, cause, now)
            error_name = "States.TaskFailed" if status != "TIMED_OUT" else "States.Timeout"
            store.resolve_attempt(c, parent.token, "failed", None, error_name, orjson.dumps(described).decode())
        self.engine.wake(c, parent.execution_arn)

    def _described(
        self, row: store.ExecutionRow, status: str, output: str | None, error: str | None, cause: str | None, now: float
    ) -> dict[str, Any]:
        """The child's DescribeExecution as a ``.sync:2`` parent sees it (Input and Output parsed)."""
        described: dict[str, Any] = {
            "ExecutionArn": row.execution_arn,
            "StateMachineArn": row.version_arn or row.state_machine_arn,
            "Name": row.name,
            "Status": status,
            "StartDate": int(row.started_at * 1000),
            "StopDate": int(now * 1000),
            "Input": orjson.loads(row.input),
            "InputDetails": {"Included": True},
            "RedriveCount": row.redrive_count,
        }
        if output is not None:
            described["Output"] = orjson.loads(output)
            described["OutputDetails"] = {"Included": True}
        if error is not None:
            described["Error"] = error
        if cause is not None:
            described["Cause"] = cause
        return described

    def _status_events_wanted(self, account: str, region: str) -> bool:
        """Whether the default bus may keep a status change event: not when the bus is not served, nor
        when (by its caches) no rule and no archive of the default bus can take events of aws.states."""
        bus = self.yard.api.services.get("events")
        if bus is None:
            return False
        may_route = getattr(bus, "may_route", None)
        return may_route is None or bool(may_route(account, region, "default", "aws.states"))

    async def _status_event(self, context: RequestContext, row: store.ExecutionRow, status: str) -> StagedCall | None:
        """AWS's "Step Functions Execution Status Change" event on the default bus, staged."""
        if not self._status_events_wanted(row.account, row.region):
            return None
        detail = {
            "executionArn": row.execution_arn,
            "stateMachineArn": row.version_arn or row.state_machine_arn,
            "name": row.name,
            "status": status,
            "startDate": int(row.started_at * 1000),
            "stopDate": int(row.stopped_at * 1000) if row.stopped_at else None,
            "input": row.input,
            "output": row.output,
            "inputDetails": {"included": True},
            "outputDetails": {"included": True} if row.output is not None else None,
            "error": row.error,
            "cause": row.cause,
            "redriveCount": row.redrive_count,
        }
        entry = {
            "Source": "aws.states",
            "DetailType": STATUS_EVENT,
            "Detail": orjson.dumps(detail).decode(),
            "Resources": [row.execution_arn],
        }
        return await self.yard.api.stage("events", "PutEvents", {"Entries": [entry]}, context, trusted=True)

    async def status_event_for(self, row: store.ExecutionRow, status: str, **changes: Any) -> StagedCall | None:
        """The status change event of ``row`` as it will be once ``changes`` are written."""
        if not self._status_events_wanted(row.account, row.region):
            return None
        ended = dataclasses.replace(row, **changes)
        context = RequestContext(account=row.account, region=row.region, endpoint=self.yard.endpoint)
        return await self._status_event(context, ended, status)

    def machine_execution_ended(self, c: Any, state_machine_arn: str) -> None:
        """Overridden by the service: a DELETING machine goes with its last execution."""

    # --- reading ------------------------------------------------------------------------------------

    async def _row(self, execution: str) -> store.ExecutionRow:
        parse_execution_arn(execution)
        row = await self.yard.db.read(lambda c: store.execution(c, execution))
        if row is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{execution}'")
        return row

    async def describe_execution(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = await self._row(request["executionArn"])
        answer: dict[str, Any] = {
            "executionArn": row.execution_arn,
            "stateMachineArn": row.state_machine_arn,
            "name": row.name,
            "status": row.status,
            "startDate": row.started_at,
            "input": row.input,
            "inputDetails": {"included": True},
        }
        if row.version_arn:
            answer["stateMachineVersionArn"] = row.version_arn
        if row.alias_arn:
            answer["stateMachineAliasArn"] = row.alias_arn
        if row.stopped_at is not None:
            answer["stopDate"] = row.stopped_at
        if row.output is not None:
            answer["output"] = row.output
            answer["outputDetails"] = {"included": True}
        if row.error is not None:
            answer["error"] = row.error
        if row.cause is not None:
            answer["cause"] = row.cause
        if row.trace_header:
            answer["traceHeader"] = row.trace_header
        answer["redriveCount"] = row.redrive_count
        if row.redrive_at is not None:
            answer["redriveDate"] = row.redrive_at
        status, reason = self._redrivable(row)
        answer["redriveStatus"] = status
        if reason:
            answer["redriveStatusReason"] = reason
        return answer

    def _redrivable(self, row: store.ExecutionRow) -> tuple[str, str | None]:
        if row.status not in ("FAILED", "TIMED_OUT", "ABORTED"):
            return "NOT_REDRIVABLE", f"Execution is {row.status} and cannot be redriven"
        if row.redrive_count >= MAX_REDRIVES:
            return "NOT_REDRIVABLE", "Execution has been redriven the maximum number of times"
        if row.stopped_at is not None and self.yard.clock.now() - row.stopped_at > REDRIVE_WINDOW:
            return "NOT_REDRIVABLE", "Execution can no longer be redriven: it ended more than 14 days ago"
        if row.snapshot is None:
            return "NOT_REDRIVABLE", "Execution cannot be redriven: it has no unsuccessful step to continue from"
        return "REDRIVABLE", None

    async def describe_state_machine_for_execution(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        row = await self._row(request["executionArn"])
        definition = await self.yard.db.read(lambda c: store.definition(c, row.definition_hash))
        details = orjson.loads(row.details)
        answer: dict[str, Any] = {
            "stateMachineArn": row.version_arn or row.state_machine_arn,
            "name": row.state_machine_arn.rsplit(":", 1)[-1],
            "definition": definition,
            "roleArn": row.role_arn,
            "updateDate": details.get("updateDate") or row.started_at,
        }
        for key in ("loggingConfiguration", "tracingConfiguration", "revisionId"):
            if details.get(key) is not None:
                answer[key] = details[key]
        answer.setdefault("loggingConfiguration", {"level": "OFF", "includeExecutionData": False})
        answer.setdefault("tracingConfiguration", {"enabled": False})
        return answer

    async def list_executions(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        target = request.get("stateMachineArn")
        if request.get("mapRunArn"):
            return {"executions": []}
        if not target:
            raise ClientError("Must provide a StateMachine ARN or MapRun ARN", code="ValidationException")
        machine = await self.catalogue.resolve(context, target)
        if machine.type == "EXPRESS":
            raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
        limit = request.get("maxResults") or 100
        after = _read_token(request.get("nextToken"))
        version = machine.version_arn if machine.version_arn and target == machine.version_arn else None
        rows = await self.yard.db.read(
            lambda c: store.list_executions(
                c, machine.state_machine_arn, request.get("statusFilter"), after, limit + 1, version
            )
        )
        listed = []
        for row in rows[:limit]:
            item: dict[str, Any] = {
                "executionArn": row.execution_arn,
                "stateMachineArn": row.state_machine_arn,
                "name": row.name,
                "status": row.status,
                "startDate": row.started_at,
                "redriveCount": row.redrive_count,
            }
            if row.stopped_at is not None:
                item["stopDate"] = row.stopped_at
            if row.version_arn:
                item["stateMachineVersionArn"] = row.version_arn
            if row.alias_arn:
                item["stateMachineAliasArn"] = row.alias_arn
            if row.redrive_at is not None:
                item["redriveDate"] = row.redrive_at
            listed.append(item)
        answer: dict[str, Any] = {"executions": listed}
        if len(rows) > limit:
            last = rows[limit - 1]
            answer["nextToken"] = _make_token(last.started_at, last.execution_arn)
        return answer

    async def get_execution_history(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = await self._row(request["executionArn"])
        limit = request.get("maxResults") or 100
        reverse = bool(request.get("reverseOrder"))
        token = request.get("nextToken")
        if token:
            try:
                after = int(base64.urlsafe_b64decode(token.encode()).decode())
            except (ValueError, UnicodeDecodeError):
                raise ClientError(f"Invalid Token: '{token}'", code="InvalidToken")
        else:
            after = row.history_length + 1 if reverse else 0
        found = await self.yard.db.read(lambda c: store.events(c, row.execution_arn, after, limit + 1, reverse))
        shown = found[:limit]
        if request.get("includeExecutionData") is False:
            shown = [_without_data(event) for event in shown]
        answer: dict[str, Any] = {"events": shown}
        if len(found) > limit:
            answer["nextToken"] = base64.urlsafe_b64encode(str(shown[-1]["id"]).encode()).decode()
        return answer

    # --- stop and redrive ---------------------------------------------------------------------------

    async def stop_execution(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["executionArn"]
        row = await self._row(arn)
        now = self.yard.clock.now()
        error, cause = request.get("error"), request.get("cause")
        status_event = await self.status_event_for(row, "ABORTED", stopped_at=now, error=error, cause=cause)

        def job(c: Any) -> float:
            current = store.execution(c, arn, for_update=True)
            if current is None:
                raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
            if current.status != "RUNNING":
                return current.stopped_at or now
            details: dict[str, Any] = {}
            if error is not None:
                details["error"] = error
            if cause is not None:
                details["cause"] = cause
            event = {
                "timestamp": now,
                "type": "ExecutionAborted",
                "id": current.history_length + 1,
                "previousEventId": current.history_length,
                "executionAbortedEventDetails": details,
            }
            store.add_events(c, arn, [event])
            store.finish_execution(
                c,
                arn,
                "ABORTED",
                None,
                error,
                cause,
                now,
                current.history_length + 1,
                _redrive_snapshot(current.snapshot),
            )
            for attempt in store.attempts_of(c, arn):
                if attempt.status in ("waiting", "started"):
                    store.resolve_attempt(c, attempt.token, "failed", None, "States.Aborted", "the execution stopped")
            self.yard.kernel.cancel(c, OWNER, arn)
            self.execution_ended(c, current, "ABORTED", None, error, cause, now)
            if status_event is not None:
                status_event.write(c)
            return now

        stopped = await self.yard.db.write(job)
        if status_event is not None:
            status_event.committed()
        return {"stopDate": stopped}

    async def redrive_execution(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["executionArn"]
        row = await self._row(arn)
        now = self.yard.clock.now()
        status_event = await self.status_event_for(row, "RUNNING", stopped_at=None, error=None, cause=None)

        def job(c: Any) -> None:
            current = store.execution(c, arn, for_update=True)
            if current is None:
                raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
            status, reason = self._redrivable(current)
            if status != "REDRIVABLE":
                raise ExecutionNotRedrivable(f"Execution with the provided ARN cannot be redriven: {reason}")
            event = {
                "timestamp": now,
                "type": "ExecutionRedriven",
                "id": current.history_length + 1,
                "previousEventId": current.history_length,
                "executionRedrivenEventDetails": {"redriveCount": current.redrive_count + 1},
            }
            store.add_events(c, arn, [event])
            store.redrive_execution(c, arn, now, current.history_length + 1)
            if current.snapshot is not None:  # the state entered again follows the ExecutionRedriven event
                snapshot = orjson.loads(current.snapshot)
                snapshot["root"]["lastEvent"] = current.history_length + 1
                store.save_progress(c, arn, orjson.dumps(snapshot).decode(), current.history_length + 1)
            self.engine.wake(c, arn)
            if status_event is not None:
                status_event.write(c)

        await self.yard.db.write(job)
        if status_event is not None:
            status_event.committed()
        return {"redriveDate": now}


def _ended_row(row: store.ExecutionRow, ended: InlineEnd) -> store.ExecutionRow:
    """The row of an execution whose inline run ended (see ``engine.run_inline``)."""
    result = ended.result
    return dataclasses.replace(
        row,
        status=result.status,
        output=ended.output,
        error=result.error,
        cause=result.cause,
        stopped_at=ended.stopped_at,
        snapshot=ended.redrive,
        history_length=row.history_length + len(ended.events),
    )


def _redrive_snapshot(snapshot: str | None) -> str | None:
    """Where a redrive continues: the unsuccessful step, entered again with its retries reset."""
    if snapshot is None:
        return None
    data = orjson.loads(snapshot)
    root = data.get("root") or {}
    for key in ("entered", "retryAt", "task"):
        root.pop(key, None)
    root["retries"] = []
    root["children"] = {}
    return orjson.dumps(data).decode()


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    """includeExecutionData=false: the event without its input, output and parameters."""
    shown = dict(event)
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            shown[key] = {k: v for k, v in value.items() if k not in ("input", "output", "parameters")}
    return shown


def _make_token(started_at: float, arn: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([started_at, arn])).decode()


def _read_token(token: Any) -> tuple[float, str] | None:
    if not token:
        return None
    try:
        started_at, arn = orjson.loads(base64.urlsafe_b64decode(str(token).encode()))
        return float(started_at), str(arn)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise ClientError(f"Invalid Token: '{token}'", code="InvalidToken")
