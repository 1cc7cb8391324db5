"""What a Task state under TestState calls: a mock, or one of this yard's own services.

In AWS a TestState Task calls the real integration. Here, without a mock, the integrations whose
service this yard serves (``sqs:sendMessage``, ``events:putEvents``, ``states:startExecution``, the
``aws-sdk:`` forms of those services...) go through ``yard.call``, the one way into an operation;
any other resource (a Lambda function, DynamoDB, S3, HTTP endpoints) is answered as AWS answers a
task whose resource is not there to call: the task fails (``Lambda.ResourceNotFoundException`` for a
function, ``States.TaskFailed`` naming the unserved integration otherwise).

Integrations are named as botocore names the API they call: an optimized integration
(``arn:aws:states:::sqs:sendMessage``) and an SDK integration (``...:aws-sdk:sqs:sendMessage``) both
call SQS SendMessage. Step Functions capitalises every member name it passes and returns
(``ExecutionArn`` for StartExecution's ``executionArn``), so camelCase APIs are translated both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from botocore.model import Shape

from eventyard.errors import EventyardError
from eventyard.models import model_for
from eventyard.service import RequestContext
from eventyard.workflows.errors import StatesError
from eventyard.workflows.tasks import Resource, TaskRequest

#: Optimized integrations' service part -> botocore's service name.
_OPTIMIZED = {
    "sqs": "sqs",
    "sns": "sns",
    "events": "events",
    "states": "stepfunctions",
    "lambda": "lambda",
    "dynamodb": "dynamodb",
    "kinesis": "kinesis",
    "s3": "s3",
}
#: SDK integrations' service names that differ from botocore's.
_SDK_NAMES = {"sfn": "stepfunctions", "eventbridge": "events"}
#: How integration errors are named: ``<label>.<AWS error code>``.
_LABELS = {
    "sqs": "SQS",
    "sns": "SNS",
    "events": "EventBridge",
    "stepfunctions": "StepFunctions",
    "lambda": "Lambda",
    "dynamodb": "DynamoDB",
    "kinesis": "Kinesis",
    "s3": "S3",
}


@dataclass(frozen=True, slots=True)
class Integration:
    """The API a Task resource calls: botocore's service and operation names."""

    service: str
    operation: str
    sdk: bool

    def output_shape(self) -> Shape | None:
        try:
            operation = model_for(self.service).operations.get(self.operation)
        except Exception:  # botocore has no model of that name
            return None
        return operation.output_shape if operation is not None else None

    def input_shape(self) -> Shape | None:
        try:
            operation = model_for(self.service).operations.get(self.operation)
        except Exception:
            return None
        return operation.input_shape if operation is not None else None


def integration_of(resource: Resource) -> Integration | None:
    """The API behind a service-integration resource (None for functions, activities, HTTP tasks).

    A ``.sync`` StartExecution answers as DescribeExecution does (its output is the child's
    description); other patterns' results have no model.
    """
    if resource.kind != "service":
        return None
    action = resource.resource
    for suffix in (".waitForTaskToken", ".sync:2", ".sync"):
        if action.endswith(suffix):
            action = action[: -len(suffix)]
            break
    if resource.pattern == "waitForTaskToken":
        return None
    if resource.resource_type.startswith("aws-sdk:"):
        name = resource.resource_type.split(":", 1)[1]
        return Integration(_SDK_NAMES.get(name, name), _pascal(action), True)
    service = _OPTIMIZED.get(resource.resource_type)
    if service is None:
        return None
    operation = _pascal(action)
    if service == "stepfunctions" and operation == "StartExecution" and resource.pattern.startswith("sync"):
        operation = "DescribeExecution"
    return Integration(service, operation, False)


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def capitalized(name: str) -> str:
    """A model member as Step Functions shows it in task parameters and results."""
    return _pascal(name)


def _to_model(value: Any, shape: Shape | None) -> Any:
    """Task parameters (capitalised names) -> the request as the API's model names it."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        by_shown = {capitalized(name): (name, member) for name, member in shape.members.items()}
        converted: dict[str, Any] = {}
        for key, item in value.items():
            name, member = by_shown.get(key, (key, None))
            if member is not None and member.type_name == "string" and isinstance(item, (dict, list)):
                item = orjson.dumps(item).decode()  # a JSON payload given as an object (MessageBody, Detail, Input)
            converted[name] = _to_model(item, member)
        return converted
    if kind == "list" and isinstance(value, list):
        return [_to_model(item, shape.member) for item in value]
    return value


def _from_model(value: Any, shape: Shape | None) -> Any:
    """An API's answer -> the task result, member names capitalised."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {
            capitalized(key): _from_model(item, shape.members.get(key))
            for key, item in value.items()
            if key != "ResponseMetadata"
        }
    if kind == "list" and isinstance(value, list):
        return [_from_model(item, shape.member) for item in value]
    return value


Call = Callable[[str, str, dict[str, Any], RequestContext], Any]


class YardTasks:
    """A TaskInvoker over this yard's own services (``call`` is ``yard.call``, ``served`` their names)."""

    def __init__(self, call: Call, served: set[str], context: RequestContext) -> None:
        self.call = call
        self.served = served
        self.context = context

    async def invoke(self, request: TaskRequest) -> Any:
        resource = request.resource
        if resource.kind == "lambda":
            return await self._function(resource.arn, request.parameters)
        integration = integration_of(resource)
        if integration is None or integration.service not in self.served:
            if integration is not None and integration.service == "lambda":
                name = request.parameters.get("FunctionName") if isinstance(request.parameters, dict) else None
                raise _function_not_found(str(name))
            raise StatesError(
                "States.TaskFailed",
                f"Eventyard does not serve the integration {resource.arn}: give TestState a mock to test this state.",
            )
        parameters = _to_model(request.parameters, integration.input_shape())
        try:
            answer = await self.call(integration.service, integration.operation, parameters, self.context)
        except EventyardError as error:
            raise StatesError(_error_name(integration.service, error), error.message) from None
        return _from_model(answer, integration.output_shape())

    async def _function(self, arn: str, payload: Any) -> Any:
        if "lambda" not in self.served:
            raise _function_not_found(arn)
        try:
            answer = await self.call(
                "lambda", "Invoke", {"FunctionName": arn, "Payload": orjson.dumps(payload)}, self.context
            )
        except EventyardError as error:
            raise StatesError(_error_name("lambda", error), error.message) from None
        body = answer.get("Payload") or b"null"
        return orjson.loads(body if isinstance(body, (bytes, str)) else bytes(body))


def _error_name(service: str, error: EventyardError) -> str:
    """``SQS.QueueDoesNotExistException``: the service's label and the SDK's exception name."""
    name = error.shape or error.code
    if not name.endswith("Exception"):
        name += "Exception"
    return f"{_LABELS.get(service, _pascal(service))}.{name}"


def _function_not_found(name: str) -> StatesError:
    return StatesError(
        "Lambda.ResourceNotFoundException",
        f"Function not found: {name} (Service: Lambda, Status Code: 404)",
    )
