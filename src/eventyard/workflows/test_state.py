"""TestState: run one state, alone or picked from a whole machine, and show what it did.

AWS (botocore's documentation; AWS-recorded texts):

- ``definition`` is one state, or with ``stateName`` a whole machine holding that state (``State
  not found in definition``). A lone state is validated as the state ``StateName`` of a machine
  (AWS's diagnostics name that location), its transitions pointing anywhere.
- Map and Parallel states need a mock (``InvalidDefinition: TestState API does not support Map or
  Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]``); so
  do activities and ``.sync`` / ``.waitForTaskToken`` tasks. A Task without a mock needs a role
  (``RoleArn must be specified when testing a Task state``). ``context`` (a Context object for the
  state) and ``stateConfiguration.mapIterationFailureCount`` need a mock.
- ``inspectionLevel`` INFO answers status, output, error, cause and nextState; DEBUG and TRACE add
  ``inspectionData``. (TRACE's HTTP request and response are for HTTP tasks, which Eventyard does
  not call.)

The run itself is ``test_state_run.py``; mocks are checked in ``test_state_mocks.py``; an unmocked
Task calls this yard's services (``test_state_tasks.py``).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from eventyard.clock import VirtualClock
from eventyard.errors import InvalidDefinition, ValidationException
from eventyard.ids import new_uuid
from eventyard.service import RequestContext
from eventyard.workflows.api_errors import InvalidExecutionInput
from eventyard.workflows.model import ABSENT, State, iter_states, parse_definition
from eventyard.workflows.runtime import ExecutionInfo
from eventyard.workflows.service_base import WorkflowBase, check_role_arn
from eventyard.workflows.tasks import parse_resource
from eventyard.workflows.test_state_context import check_context
from eventyard.workflows.test_state_mocks import Mock, read_mock
from eventyard.workflows.test_state_run import Trial, TrialResult, run_trial
from eventyard.workflows.test_state_tasks import YardTasks
from eventyard.workflows.validate import check_definition, invalid_definition_message

LONE_STATE = "StateName"
_LONE_TRANSITION = re.compile(rf"^/States/{LONE_STATE}/(Next|Default|Choices\[\d+\]/Next|Catch\[\d+\]/Next)$")
#: Inspection members that carry JSON values (sent as JSON text); the others are numbers or objects.
_JSON_MEMBERS = frozenset(
    {
        "input",
        "afterArguments",
        "afterInputPath",
        "afterParameters",
        "result",
        "afterResultSelector",
        "afterResultPath",
        "variables",
        "afterItemsPath",
        "afterItemSelector",
        "afterItemBatcher",
        "afterItemsPointer",
    }
)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _load(text: str, what: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        if what == "input":
            raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{error}'") from None
        raise ValidationException(f"Invalid {what}: '{error}'") from None


def _state_of(definition: str, state_name: str | None) -> State:
    """The state to test: picked by name from a machine, or a lone state validated as AWS does."""
    if state_name is not None:
        errors = [d for d in check_definition(definition) if d.severity == "ERROR"]
        if errors:
            raise InvalidDefinition(invalid_definition_message(errors))
        found = [s for s in iter_states(parse_definition(definition)) if s.name == state_name]
        if not found:
            raise ValidationException("State not found in definition")
        return found[0]
    try:
        lone = orjson.loads(definition)
    except orjson.JSONDecodeError:
        lone = None
    if not isinstance(lone, dict):
        raise InvalidDefinition(invalid_definition_message(check_definition(definition)))
    machine = {"StartAt": LONE_STATE, "States": {LONE_STATE: lone}}
    errors = [
        d
        for d in check_definition(machine)
        if d.severity == "ERROR"
        and d.code != "MISSING_END_STATE"
        and not (d.code == "MISSING_TRANSITION_TARGET" and _LONE_TRANSITION.match(d.location or ""))
    ]
    if errors:
        raise InvalidDefinition(invalid_definition_message(errors))
    return parse_definition(machine).states[LONE_STATE]


def _check_unmocked(state: State, request: dict[str, Any]) -> None:
    if state.type in ("Map", "Parallel"):
        raise InvalidDefinition(
            "TestState API does not support Map or Parallel states. "
            "Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"
        )
    if "context" in request:
        raise ValidationException("TestState does not support a Context object when a mock is not specified.")
    if (request.get("stateConfiguration") or {}).get("mapIterationFailureCount") is not None:
        raise ValidationException("TestState does not support MapIterationFailureCount when a mock is not specified.")
    if state.type == "Task":
        resource = parse_resource(str(state.raw.get("Resource", "")))
        if resource.kind == "activity" or resource.pattern != "request-response":
            raise ValidationException(
                "TestState supports Activity tasks and the .sync and .waitForTaskToken service integration "
                "patterns only when a mock is specified."
            )
        if not request.get("roleArn"):
            raise ValidationException("RoleArn must be specified when testing a Task state")


def _check_configuration(state: State, request: dict[str, Any], mock: Mock) -> None:
    configuration = request.get("stateConfiguration") or {}
    failures = configuration.get("mapIterationFailureCount")
    if failures is not None and isinstance(mock.result, list) and failures > len(mock.result):
        raise ValidationException(
            "Map iteration failure count must be less than or equal to the number of Map iterations"
        )
    caused_by = configuration.get("errorCausedByState")
    if caused_by is not None and state.type in ("Map", "Parallel"):
        inner = [s.name for branch in state.branches for s in iter_states(branch)]
        if state.processor is not None:
            inner += [s.name for s in iter_states(state.processor)]
        if caused_by not in inner:
            raise ValidationException(f"State '{caused_by}' from errorCausedByState not found in the state under test")


def _identity(context: RequestContext, role: str | None, state_input: Any, now: float) -> ExecutionInfo:
    """The throwaway execution a tested state runs in: AWS shows an ``express:`` ARN and random names."""
    machine, execution = new_uuid(), new_uuid()
    where = f"arn:aws:states:{context.region}:{context.account}"
    return ExecutionInfo(
        execution_arn=f"{where}:express:{machine}:{execution}",
        name=execution,
        state_machine_arn=f"{where}:stateMachine:{machine}",
        state_machine_name=machine,
        role_arn=role,  # type: ignore[arg-type]  # AWS shows a null RoleArn when none was given
        start_time=now,
        input=state_input,
    )


def _answer(result: TrialResult, level: str) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    if result.output is not ABSENT:
        answer["output"] = _json(result.output)
    if result.error is not None:
        answer["error"] = result.error
    if result.cause is not None:
        answer["cause"] = result.cause
    if level in ("DEBUG", "TRACE"):
        answer["inspectionData"] = {
            key: _json(value) if key in _JSON_MEMBERS else value for key, value in result.inspection.items()
        }
    if result.next_state is not None:
        answer["nextState"] = result.next_state
    answer["status"] = result.status
    return answer


class StateTestOperations(WorkflowBase):
    """TestState (named so that pytest does not take the class for a test)."""

    __test__ = False

    async def test_state(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        state = _state_of(request["definition"], request.get("stateName"))
        mock = None
        if "mock" in request:
            mock = read_mock(request["mock"], state, bool(request.get("revealSecrets")))
            _check_configuration(state, request, mock)
        else:
            _check_unmocked(state, request)
        role = check_role_arn(request["roleArn"]) if request.get("roleArn") else None
        state_input = _load(request["input"], "input") if "input" in request else {}
        variables = _load(request["variables"], "variables") if "variables" in request else {}
        if not isinstance(variables, dict):
            raise ValidationException("Invalid variables: the variables must be a JSON object")
        given_context = None
        if "context" in request:
            given_context = check_context(_load(request["context"], "Context object"), state)
        configuration = request.get("stateConfiguration") or {}
        # An unmocked Task calls real services: its timeouts run on the yard's own clock. Anything else
        # runs on a clock that jumps over waits (a Wait state, a mocked task's back-off) at once.
        clock = (
            self.yard.clock if state.type == "Task" and mock is None else VirtualClock(self.now(), auto_advance=True)
        )
        info = _identity(context, role, state_input, clock.now())
        if configuration.get("mapItemReaderData") is not None:
            _load(configuration["mapItemReaderData"], "mapItemReaderData")  # what the reader read: JSON, else refused
        trial = Trial(
            state=state,
            input=state_input,
            info=info,
            variables=variables,
            context=given_context,
            mock=mock,
            retry_count=int(configuration.get("retrierRetryCount") or 0),
            map_failures=configuration.get("mapIterationFailureCount"),
        )
        tasks = YardTasks(self.yard.call, set(self.yard.services), context)
        result = await run_trial(trial, tasks, clock)
        return _answer(result, request.get("inspectionLevel", "INFO"))
