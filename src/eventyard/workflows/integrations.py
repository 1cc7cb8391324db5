"""Task states of durable executions: what each Resource calls, and how its outcome is kept.

Every Task attempt has an id (also its task token). How the attempt is carried out, and what a
crash in the middle of it means, depends on where its effect lands:

- **inside the yard** (``sqs:sendMessage``, ``events:putEvents``, ``states:startExecution``, the
  ``aws-sdk`` calls of services we serve): the call is staged (``eventyard.staging``) and its
  writes commit in the execution's own checkpoint, with the attempt's outcome: exactly once. A
  crash before that commit left no effect, so the attempt simply runs again.
- **outside the yard** (a function, ``http:invoke``): the progress so far commits first, then the
  call is made, then its outcome commits. A crash while the call runs loses its answer: the attempt
  fails with ``States.TaskFailed`` ("the task was interrupted"), as a lost worker would, and the
  state's Retry/Catch decide; the history shows it.
- **a callback** (``.waitForTaskToken``), **an activity**, **a ``.sync`` child**: the attempt
  waits on its row in ``sfn_attempts``; SendTaskSuccess/Failure, the activity worker or the
  child's end resolves it and fires the execution's timer. Heartbeat and timeout deadlines are
  the timer's due time, so no coroutine waits.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from eventyard.errors import EventyardError
from eventyard.models import model_for
from eventyard.service import RequestContext
from eventyard.workflows import execution_store as store
from eventyard.workflows.errors import StatesError
from eventyard.workflows.retry import heartbeat_timeout, task_timeout
from eventyard.workflows.runtime import ExecutionTimedOut
from eventyard.workflows.tasks import Resource, TaskRequest

if TYPE_CHECKING:
    from eventyard.workflows.engine import DurableRun

#: ``aws-sdk:<id>`` service ids -> our services (botocore names), and their error prefix.
SDK_SERVICES = {
    "sqs": ("sqs", "Sqs"),
    "sns": ("sns", "Sns"),
    "eventbridge": ("events", "EventBridge"),
    "sfn": ("stepfunctions", "Sfn"),
    "kinesis": ("kinesis", "Kinesis"),
    "lambda": ("lambda", "Lambda"),
}
#: Optimised integrations: (resourceType, action) -> (service, operation).
OPTIMISED = {
    ("sqs", "sendMessage"): ("sqs", "SendMessage"),
    ("sns", "publish"): ("sns", "Publish"),
    ("events", "putEvents"): ("events", "PutEvents"),
    ("states", "startExecution"): ("stepfunctions", "StartExecution"),
    ("lambda", "invoke"): ("lambda", "Invoke"),
}
#: How the optimised integrations name a service's errors (the SDK v1 names AWS reports).
OPTIMISED_ERRORS = {
    "sqs": ("SQS", "AmazonSQS"),
    "sns": ("SNS", "AmazonSNS"),
    "events": ("EventBridge", "AmazonEventBridge"),
    "stepfunctions": ("StepFunctions", "AWSStepFunctions"),
    "lambda": ("Lambda", "AWSLambda"),
}
#: Members the optimised integrations accept as any JSON value and send as JSON text.
_TEXT_FIELDS = {"sqs": ("MessageBody",), "sns": ("Message",), "stepfunctions": ("Input",)}
#: Where a scheduled activity task wakes the GetActivityTask polls of other nodes.
ACTIVITY_CHANNEL = "states_activity"
#: Whose effects happen outside the yard's database.
OUTSIDE = frozenset({"lambda"})
INTERRUPTED = (
    "The task was interrupted: the node running it stopped before its result was recorded "
    "(Eventyard resumed the execution from its last committed step)."
)


class ServiceTasks:
    """The TaskInvoker of durable executions (see the module doc)."""

    handles_deadlines = True  # timeouts and heartbeats are the execution timer's due times

    def __init__(self, run: DurableRun) -> None:
        self.run = run
        self.yard = run.yard

    @property
    def context(self) -> RequestContext:
        row = self.run.row
        assert row is not None
        return RequestContext(account=row.account, region=row.region, endpoint=self.yard.endpoint)

    async def invoke(self, request: TaskRequest) -> Any:
        resource = request.resource
        if resource.kind == "activity":
            return await self._activity(request)
        call = self._call_for(resource, request.parameters)
        if resource.pattern == "waitForTaskToken":
            return await self._callback(request, call)
        if resource.pattern in ("sync", "sync:2"):
            return await self._sync_child(request, call)
        return await self._request_response(request, call)

    # --- the patterns -------------------------------------------------------------------------------

    async def _request_response(self, request: TaskRequest, call: _Call) -> Any:
        token = _token(request)
        recorded = self.run.attempts.get(token)
        if recorded is not None and recorded.status in ("succeeded", "failed"):
            return _outcome(recorded)
        if call.outside:
            if request.resumed and (request.attempt or {}).get("phase") == "started" and recorded is None:
                raise StatesError("States.TaskFailed", INTERRUPTED)
            await self.run.checkpoint()  # what led here is durable before the world is touched
            try:
                result = await call.send()
            except StatesError as failure:
                await self._record(token, None, failure)
                raise
            await self._record(token, result, None)
            return result
        return await self._local_effect(request, call, token, "effect", "succeeded")

    async def _callback(self, request: TaskRequest, call: _Call) -> Any:
        token = _token(request)
        recorded = self.run.attempts.get(token)
        if recorded is None:  # the call has not been made (or its effect never committed)
            if call.outside:
                await self.run.checkpoint(lambda c: self._add_waiting(c, token, "callback"))
                response = await call.send()
            else:
                response = await self._local_effect(request, call, token, "callback", "waiting")
            request.submitted(response)
        elif (request.attempt or {}).get("phase") != "submitted":
            request.submitted(orjson.loads(recorded.input) if recorded.input else {})
        return await self._wait(request, token)

    async def _sync_child(self, request: TaskRequest, call: _Call) -> Any:
        if call.service != "stepfunctions" or call.operation != "StartExecution":
            raise StatesError(
                "States.Runtime", f"Eventyard runs '.sync' only for states:startExecution, not {request.resource.arn}."
            )
        token = _token(request)
        if token not in self.run.attempts:
            response = await self._local_effect(request, call, token, "child", "waiting", parent_token=token)
            request.submitted(response)
        elif (request.attempt or {}).get("phase") != "submitted":
            recorded = self.run.attempts[token]
            request.submitted(orjson.loads(recorded.input) if recorded.input else {})
        result = await self._wait(request, token)
        return result if request.resource.pattern == "sync:2" else _sync_v1(result)

    async def _activity(self, request: TaskRequest) -> Any:
        token = _token(request)
        if token not in self.run.attempts:
            parameters = orjson.dumps(request.parameters).decode()

            def schedule(c: Any) -> None:
                self._add_waiting(c, token, "activity", activity_arn=request.resource.arn, input=parameters)
                c.notify(ACTIVITY_CHANNEL, request.resource.arn)  # GetActivityTask polls on other nodes

            await self.run.checkpoint(schedule)
            self.run.engine.service.activity_scheduled(request.resource.arn)
        return await self._wait(request, token)

    # --- waiting on an attempt's row -----------------------------------------------------------------

    async def _wait(self, request: TaskRequest, token: str) -> Any:
        """Until the attempt has an outcome, or its heartbeat or timeout runs out (as timers)."""
        run = self.run
        execution = run.execution
        assert execution is not None
        attempt_started = float((request.attempt or {}).get("at", run.clock.now()))
        first = True
        while True:
            recorded = run.attempts.get(token) if first else await run.refresh(token)
            first = False
            if recorded is not None:
                if recorded.kind == "activity" and recorded.started_at is not None:
                    request.started(recorded.worker)  # ActivityStarted, even when the outcome came already
                if recorded.status in ("succeeded", "failed"):
                    return _outcome(recorded)
            now = run.clock.now()
            deadlines = []
            if request.timeout_seconds is not None:
                deadlines.append((attempt_started + request.timeout_seconds, "States.Timeout"))
            if request.heartbeat_seconds is not None:
                beat = max(attempt_started, (recorded.heartbeat_at or 0.0) if recorded else 0.0)
                deadlines.append((beat + request.heartbeat_seconds, "States.HeartbeatTimeout"))
            for moment, error in sorted(deadlines):
                if now >= moment:
                    raise heartbeat_timeout() if error == "States.HeartbeatTimeout" else task_timeout()
            if execution.deadline is not None and now >= execution.deadline:
                raise ExecutionTimedOut
            moments = [moment for moment, _ in deadlines]
            if execution.deadline is not None:
                moments.append(execution.deadline)
            await run.hooks.park(min(moments) if moments else None)

    # --- effects and their records ------------------------------------------------------------------

    async def _local_effect(
        self, request: TaskRequest, call: _Call, token: str, kind: str, status: str, *, parent_token: str | None = None
    ) -> Any:
        """Stage ``call`` and commit its writes with the attempt's row and the progress so far."""
        staged = await call.stage(parent_token)
        now = self.run.clock.now()
        execution_arn = self.run.arn

        def effect(c: Any) -> Any:
            result = call.task_result(staged.write(c))
            text = orjson.dumps(result).decode()
            if status == "succeeded":
                store.add_attempt(c, token, execution_arn, kind, now, status=status, output=text)
            else:  # waiting: the response the submission answered is kept for a resumed run
                store.add_attempt(c, token, execution_arn, kind, now, status=status, input=text)
            return result

        try:
            result = await self.run.checkpoint(effect)
        except EventyardError as error:  # refused when written (a child execution that exists)
            raise call.failure(error) from error
        staged.committed()
        self.run.attempts[token] = store.Attempt(
            token,
            execution_arn,
            kind,
            None,
            status,
            None,
            None,
            orjson.dumps(result).decode(),
            None,
            None,
            None,
            now,
            None,
        )
        return result

    def _add_waiting(
        self, c: Any, token: str, kind: str, *, activity_arn: str | None = None, input: str | None = None
    ) -> None:
        store.add_attempt(c, token, self.run.arn, kind, self.run.clock.now(), activity_arn=activity_arn, input=input)

    async def _record(self, token: str, result: Any, failure: StatesError | None) -> None:
        execution_arn, now = self.run.arn, self.run.clock.now()
        if failure is None:
            text = orjson.dumps(result).decode()
            await self.run.checkpoint(
                lambda c: store.add_attempt(c, token, execution_arn, "effect", now, status="succeeded", output=text)
            )
        else:
            error, cause = failure.error, failure.cause
            await self.run.checkpoint(
                lambda c: store.add_attempt(
                    c, token, execution_arn, "effect", now, status="failed", error=error, cause=cause
                )
            )

    def _call_for(self, resource: Resource, parameters: Any) -> _Call:
        execution = self.run.execution
        assert execution is not None
        call = call_for(self.yard, self.context, resource, parameters, execution.info.execution_arn)
        call.workflows = self.run.engine.service
        return call


def call_for(yard: Any, context: RequestContext, resource: Resource, parameters: Any, execution_arn: str) -> _Call:
    """The service call a Task's Resource makes with ``parameters`` (see the module doc)."""
    action = resource.resource.split(".", 1)[0]
    if resource.kind == "lambda":  # a function ARN: the function is called with the state's input
        request = {"FunctionName": resource.arn, "Payload": orjson.dumps(parameters)}
        return _Call(yard, context, "lambda", "Invoke", request, errors="function", answer=_function_payload)
    if resource.resource_type.startswith("aws-sdk:"):
        sdk = resource.resource_type.split(":", 1)[1]
        served = SDK_SERVICES.get(sdk)
        if served is None:
            raise StatesError("States.Runtime", f"Eventyard does not serve the {sdk} API: {resource.arn}")
        service, prefix = served
        operation = action[:1].upper() + action[1:]
        return _Call(yard, context, service, operation, _dict(parameters), errors=("sdk", prefix))
    known = OPTIMISED.get((resource.resource_type, action))
    if known is None:
        raise StatesError(
            "States.Runtime", f"Eventyard does not serve the integration {resource.resource_type}:{action}."
        )
    service, operation = known
    request = _dict(parameters)
    answer: Callable[[Any], Any] | None = None
    if service == "lambda":
        request = {**request, "Payload": orjson.dumps(request.get("Payload"))} if "Payload" in request else request
        answer = _invoke_answer
    if service == "events":
        request = {**request, "Entries": [_event_entry(e, execution_arn) for e in request.get("Entries") or []]}
    for field in _TEXT_FIELDS.get(service, ()):  # a JSON value given where the API takes text is sent as JSON
        if field in request and not isinstance(request[field], str):
            request = {**request, field: orjson.dumps(request[field]).decode()}
    return _Call(yard, context, service, operation, request, errors=("optimised", service), answer=answer)


def _event_entry(entry: Any, execution_arn: str) -> Any:
    """events:putEvents: a Detail object is sent as JSON text, and the event names the execution
    and its state machine in ``resources`` (AWS-recorded)."""
    if not isinstance(entry, dict):
        return entry
    entry = dict(entry)
    if isinstance(entry.get("Detail"), (dict, list)):
        entry["Detail"] = orjson.dumps(entry["Detail"]).decode()
    parts = execution_arn.split(":")
    machine_arn = ":".join([*parts[:5], "stateMachine", parts[6]])
    entry["Resources"] = [*entry.get("Resources", []), machine_arn, execution_arn]
    return entry


class _Call:
    """One service call a task makes: staged inside the yard, or sent; errors named as AWS names them."""

    def __init__(
        self,
        yard: Any,
        context: RequestContext,
        service: str,
        operation: str,
        request: dict[str, Any],
        *,
        errors: Any,
        answer: Callable[[Any], Any] | None = None,
    ) -> None:
        self.yard = yard
        self.context = context
        self.workflows: Any = None  # the workflow service, to stage StartExecution of a child
        self.service = service
        self.operation = operation
        self.request = request
        self.errors = errors
        self.answer = answer or _plain
        #: Its effect lands outside the yard's database, or cannot be staged into it: it is sent,
        #: with the progress committed before and its outcome after.
        self.outside = service in OUTSIDE or not (
            (service == "stepfunctions" and operation == "StartExecution") or yard.api.can_stage(service, operation)
        )

    @property
    def api_request(self) -> dict[str, Any]:
        """The request in the API's member names (Step Functions' are camelCase; tasks write PascalCase),
        a JSON value given for a text member sent as JSON text, as Step Functions sends it."""
        operations = model_for(self.service).operations
        shape = operations[self.operation].input_shape if self.operation in operations else None
        return _model_names(self.request, shape) if shape is not None else self.request

    def task_result(self, result: Any) -> Any:
        """The answer as a task sees it: PascalCase members, timestamps in epoch milliseconds; an
        AWS SDK integration's blobs (GetRecords' ``Records[].Data``) as base64 text, as on the wire:
        JSON has no bytes (a blob parameter is taken as base64 text likewise, by the API's parser)."""
        if self.service != "stepfunctions":
            if isinstance(self.errors, tuple) and self.errors[0] == "sdk":
                operations = model_for(self.service).operations
                shape = operations[self.operation].output_shape if self.operation in operations else None
                result = _blobs_as_text(result, shape) if shape is not None else result
            return self.answer(result)
        shape = model_for(self.service).operations[self.operation].output_shape
        return self.answer(_task_names(result, shape) if shape is not None else result)

    async def send(self) -> Any:
        try:
            result = await self.yard.call(self.service, self.operation, self.api_request, self.context)
        except EventyardError as error:
            raise self.failure(error) from error
        return self.task_result(result)

    async def stage(self, parent_token: str | None) -> Any:
        api = self.yard.api
        try:
            request = self.api_request
            if self.service == "stepfunctions" and self.operation == "StartExecution" and self.workflows is not None:
                return await self.workflows.stage_start_execution(self.context, request, parent_token=parent_token)
            return await api.stage(self.service, self.operation, request, self.context)
        except EventyardError as error:
            raise self.failure(error) from error

    def failure(self, error: EventyardError) -> StatesError:
        style = self.errors
        if style == "function":
            return StatesError(f"Lambda.{_exception_name(error.code)}", error.message)
        request_id = "00000000-0000-0000-0000-000000000000"
        if style[0] == "sdk":
            prefix = style[1]
            cause = f"{error.message} (Service: {prefix}, Status Code: {error.status}, Request ID: {request_id})"
            return StatesError(f"{prefix}.{_exception_name(error.shape or error.code)}", cause)
        prefix, service_name = OPTIMISED_ERRORS.get(style[1], (style[1].capitalize(), style[1]))
        cause = (
            f"{error.message} (Service: {service_name}; Status Code: {error.status}; Error Code: {error.code};"
            f" Request ID: {request_id}; Proxy: null)"
        )
        return StatesError(f"{prefix}.{_exception_name(error.shape or error.code)}", cause)


def _model_names(value: Any, shape: Any) -> Any:
    """Task parameters (PascalCase) in a model's member names, matched without regard to case."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        by_lower = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = by_lower.get(key.lower(), key)
            member = shape.members.get(name)
            out[name] = _model_names(item, member) if member is not None else item
        return out
    if kind == "list" and isinstance(value, list):
        return [_model_names(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _model_names(item, shape.value) for key, item in value.items()}
    if kind == "string" and isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return value


def _blobs_as_text(value: Any, shape: Any) -> Any:
    """An answer with each blob member as its base64 text."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: _blobs_as_text(v, members[k]) if k in members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_blobs_as_text(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _blobs_as_text(item, shape.value) for key, item in value.items()}
    if kind == "blob" and isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return value


def _task_names(value: Any, shape: Any) -> Any:
    """An answer as tasks see it: members capitalised, timestamps as epoch milliseconds."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            member = shape.members.get(key)
            out[key[:1].upper() + key[1:]] = _task_names(item, member) if member is not None else item
        return out
    if kind == "list" and isinstance(value, list):
        return [_task_names(item, shape.member) for item in value]
    if kind == "timestamp" and isinstance(value, (int, float)):
        return int(value * 1000)
    return value


def _token(request: TaskRequest) -> str:
    assert request.attempt is not None
    return str(request.attempt["id"])


def _outcome(recorded: store.Attempt) -> Any:
    if recorded.status == "failed":
        failure = StatesError(recorded.error or "States.TaskFailed", recorded.cause or "")
        # SendTaskFailure without an error (or a cause): AWS records none, and a catcher's error
        # output has "Error": null ("Cause": null) (AWS-recorded: test_callback, no_error_field)
        if recorded.error is None:
            failure.reported_error = None  # type: ignore[attr-defined]
        if recorded.cause is None:
            failure.reported_cause = None  # type: ignore[attr-defined]
        raise failure
    return orjson.loads(recorded.output) if recorded.output else None


def _dict(parameters: Any) -> dict[str, Any]:
    return dict(parameters) if isinstance(parameters, dict) else {}


def _plain(result: Any) -> Any:
    return result


def _exception_name(code: str) -> str:
    name = code.rsplit(".", 1)[-1]
    return name if name.endswith("Exception") else f"{name}Exception"


def _function_payload(result: Any) -> Any:
    """A function ARN called directly: the task's result is the function's answer."""
    body = result.get("Payload", b"") if isinstance(result, dict) else b""
    document = orjson.loads(body) if body else None
    if isinstance(result, dict) and result.get("FunctionError"):
        error = document.get("errorType", "Error") if isinstance(document, dict) else "Error"
        raise StatesError(str(error), orjson.dumps(document).decode())
    return document


def _invoke_answer(result: Any) -> Any:
    """lambda:invoke: the Invoke response, its Payload parsed (a function error fails the task)."""
    if not isinstance(result, dict):
        return result
    body = result.get("Payload", b"")
    document = orjson.loads(body) if body else None
    if result.get("FunctionError"):
        error = document.get("errorType", "Error") if isinstance(document, dict) else "Error"
        raise StatesError(str(error), orjson.dumps(document).decode())
    answer = {key: value for key, value in result.items() if key not in ("Payload", "LogResult")}
    return {**answer, "Payload": document}


def _sync_v1(result: Any) -> Any:
    """``.sync`` (not ``:2``) reports the child's Input and Output as JSON text."""
    if not isinstance(result, dict):
        return result
    shown = dict(result)
    for key in ("Input", "Output"):
        if key in shown and not isinstance(shown[key], str):
            shown[key] = orjson.dumps(shown[key]).decode()
    return shown
