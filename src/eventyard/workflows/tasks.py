"""The seam between a Task state and whatever does the work.

A Task state names a ``Resource`` ARN; the interpreter resolves the state's parameters and hands a
:class:`TaskRequest` to a :class:`TaskInvoker`. The durable service plugs in Lambda-like functions,
SQS, EventBridge, nested executions, callbacks and activities behind that one method; tests and
``eventyard workflow run`` use :class:`CallableTasks`, a table of Python callables keyed by ARN.

Resource ARNs come in three shapes (AWS "Service integrations" and "Activities"):

- ``arn:aws:states:::sqs:sendMessage.waitForTaskToken``: an optimised or SDK integration; the
  suffix after the last ``.`` (``sync``, ``sync:2``, ``waitForTaskToken``) is the integration pattern;
- ``arn:aws:lambda:us-east-1:123:function:name``: a Lambda function called directly;
- ``arn:aws:states:us-east-1:123:activity:name``: an activity polled by workers.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from eventyard.workflows.errors import StatesError

PATTERNS = ("waitForTaskToken", "sync:2", "sync")


@dataclass(frozen=True, slots=True)
class Resource:
    """A Task state's ``Resource`` taken apart the way history events report it."""

    arn: str
    kind: str  # "service", "lambda" (a function ARN called directly) or "activity"
    resource_type: str  # taskScheduledEventDetails.resourceType: "lambda", "sqs", "aws-sdk:s3" ...
    resource: str  # taskScheduledEventDetails.resource: "invoke", "sendMessage.waitForTaskToken" ...
    pattern: str  # "request-response", "sync", "sync:2" or "waitForTaskToken"
    region: str


def parse_resource(arn: str) -> Resource:
    """Split a Resource ARN into the parts the history and the task invoker need."""
    parts = arn.split(":")
    region = parts[3] if len(parts) > 3 and parts[3] else "us-east-1"
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return Resource(arn, "lambda", "lambda", arn, "request-response", region)
    if len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity":
        return Resource(arn, "activity", "activity", arn, "request-response", region)
    # arn:aws:states:::service:action[.pattern] or arn:aws:states:::aws-sdk:service:action
    tail = parts[5:] if len(parts) > 5 else parts[-1:]
    if tail and tail[0] == "aws-sdk" and len(tail) >= 3:
        resource_type, resource = f"aws-sdk:{tail[1]}", ":".join(tail[2:])
    elif len(tail) >= 2:
        resource_type, resource = tail[0], ":".join(tail[1:])
    else:
        resource_type, resource = "", ":".join(tail)
    pattern = "request-response"
    for candidate in PATTERNS:
        if resource.endswith("." + candidate):
            pattern = candidate
            break
    return Resource(arn, "service", resource_type, resource, pattern, region)


@dataclass(slots=True)
class TaskRequest:
    """Everything an integration needs to run one attempt of a Task state.

    ``parameters`` are already resolved (Parameters or Arguments applied). ``task_token`` is set
    when the pattern is ``waitForTaskToken``: the integration passes it on and the result comes
    back later through ``SendTaskSuccess``/``SendTaskFailure``. An integration that supports
    heartbeats calls :meth:`heartbeat` whenever the worker reports one.
    """

    resource: Resource
    parameters: Any
    state_name: str
    execution_arn: str
    task_token: str | None = None
    timeout_seconds: float | None = None
    heartbeat_seconds: float | None = None
    credentials: Any = None
    on_heartbeat: Callable[[float | None], None] | None = None
    on_started: Callable[[str | None], None] | None = None
    on_submitted: Callable[[Any], None] | None = None
    #: The attempt as the execution records it: ``id`` (its task token), ``retry``, ``at`` (when it
    #: was scheduled) and ``phase`` (scheduled, started, submitted); ``resumed`` when an execution
    #: continues an attempt a previous run began (the invoker must not start the work again blindly).
    attempt: dict[str, Any] | None = None
    resumed: bool = False

    def heartbeat(self, at: float | None = None) -> None:
        """Record that the worker is alive (at ``at``, default now), pushing back the HeartbeatSeconds deadline."""
        if self.on_heartbeat is not None:
            self.on_heartbeat(at)

    def started(self, worker_name: str | None = None) -> None:
        """An activity worker picked the task up (``ActivityStarted`` names the worker)."""
        if self.on_started is not None:
            self.on_started(worker_name)

    def submitted(self, response: Any) -> None:
        """A ``.waitForTaskToken`` or ``.sync`` call was accepted; the result comes later (``TaskSubmitted``)."""
        if self.on_submitted is not None:
            self.on_submitted(response)


class TaskNotImplemented(StatesError):
    """The invoker has nothing behind a resource: a Task fails with it as it is; an ItemReader or a
    ResultWriter (S3, which Eventyard does not serve) turns it into AWS's reader/writer failure."""


class TaskInvoker(Protocol):
    """Runs one attempt of a Task: returns the task's result or raises :class:`StatesError`."""

    async def invoke(self, request: TaskRequest) -> Any: ...


TaskFunction = Callable[..., Any | Awaitable[Any]]


class CallableTasks:
    """An in-process :class:`TaskInvoker`: Python callables keyed by Resource ARN.

    A callable receives the resolved parameters (and the :class:`TaskRequest` if it accepts a
    second argument); it may be sync or async. An exception that is a :class:`StatesError` fails
    the task with its error name; any other exception fails it the way a Lambda function's
    unhandled exception does: error = the exception's class name, cause = its message.
    """

    def __init__(self, functions: Mapping[str, TaskFunction] | None = None) -> None:
        self.functions: dict[str, TaskFunction] = dict(functions or {})
        self.calls: list[TaskRequest] = []

    def register(self, arn: str, function: TaskFunction) -> None:
        self.functions[arn] = function

    async def invoke(self, request: TaskRequest) -> Any:
        self.calls.append(request)
        function = self._lookup(request.resource)
        invoke_api = request.resource.resource_type == "lambda" and request.resource.resource.startswith("invoke")
        if function is None and invoke_api:
            function = self._lookup_function(lambda_invoke_function_name(request.parameters))
            if function is not None:
                payload = request.parameters.get("Payload") if isinstance(request.parameters, dict) else None
                result = await self._call(function, payload, request, lambda_style=True)
                return {"ExecutedVersion": "$LATEST", "Payload": result, "StatusCode": 200}
        if function is None:
            raise TaskNotImplemented(
                "States.TaskFailed" if request.resource.kind != "lambda" else "Lambda.ResourceNotFoundException",
                f"No task implementation registered for resource {request.resource.arn}",
            )
        return await self._call(function, request.parameters, request, lambda_style=request.resource.kind == "lambda")

    async def _call(self, function: TaskFunction, payload: Any, request: TaskRequest, *, lambda_style: bool) -> Any:
        try:
            takes_request = len(inspect.signature(function).parameters) >= 2
        except (TypeError, ValueError):
            takes_request = False
        try:
            result = function(payload, request) if takes_request else function(payload)
            if inspect.isawaitable(result):
                result = await result
        except StatesError:
            raise
        except Exception as exc:  # the task's own failure, reported as AWS reports a function error
            name = type(exc).__name__
            if lambda_style:  # Lambda reports errorType as the error and the error document as the cause
                raise StatesError(name, orjson.dumps({"errorMessage": str(exc), "errorType": name}).decode()) from exc
            raise StatesError(name, str(exc)) from exc
        return result

    def _lookup(self, resource: Resource) -> TaskFunction | None:
        return self.functions.get(resource.arn)

    def _lookup_function(self, name: str | None) -> TaskFunction | None:
        """A function named by ``FunctionName``: a full ARN, a partial one, or a bare name."""
        if name is None:
            return None
        if name in self.functions:
            return self.functions[name]
        bare = name.split(":function:")[-1].split(":")[0]
        for arn, function in self.functions.items():
            if arn.split(":function:")[-1].split(":")[0] == bare and ":function:" in arn:
                return function
        return None


def lambda_invoke_function_name(parameters: Any) -> str | None:
    """The ``FunctionName`` an ``arn:aws:states:::lambda:invoke`` task calls, if any."""
    if isinstance(parameters, dict):
        name = parameters.get("FunctionName")
        return name if isinstance(name, str) else None
    return None
