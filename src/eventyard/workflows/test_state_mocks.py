"""TestState's ``mock``: a mocked result or error, checked as AWS checks it.

AWS (botocore's documentation; the texts are AWS-recorded):

- a mock is for Task, Map and Parallel states only (``State type 'Pass' is not supported when a
  mock is specified``) and holds ``result`` or ``errorOutput``, not both (``A test mock should
  have only one of the following fields: [result, errorOutput].``); ``revealSecrets`` cannot go
  with it; ``result`` must be JSON (``Mocked result must be valid JSON``);
- a Map's mocked result is its array of iteration results (``Mocked result must be an array.``),
  or with a ResultWriter the writer's object (``Mocked result must be a JSON object.``); a
  Parallel's is one result per branch (``Mocked result must contain the same number of items as
  number of Parallel branches.``);
- a Task's mocked result is checked against the model of the API the integration calls, per
  ``fieldValidationMode``: STRICT (the default) wants every required member and every present
  member of the right type, PRESENT only the latter, NONE nothing. A finding is ``Mock result
  schema validation error: Field 'StatusCode' must be a number`` (or ``Required field 'X' is
  missing``, ``... is not an expected value``, ``... is smaller than the minimum length``, ``... is
  less than the minimum value``, ``... exceeds the maximum value``). Members the model lacks are
  allowed (Step Functions adds ``SdkHttpMetadata``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from botocore.model import Shape

from eventyard.errors import ValidationException
from eventyard.workflows.model import State
from eventyard.workflows.tasks import parse_resource
from eventyard.workflows.test_state_tasks import capitalized, integration_of

MOCKABLE = ("Task", "Map", "Parallel")
_NUMBERS = frozenset({"integer", "long", "float", "double"})


@dataclass(frozen=True, slots=True)
class Mock:
    """A checked mock: a result (``failure`` None) or an error to raise (``failure`` = (error, cause))."""

    result: Any = None
    failure: tuple[str, str] | None = None


def read_mock(given: dict[str, Any], state: State, reveal_secrets: bool) -> Mock:
    """The request's mock for ``state``; ValidationException (AWS's texts) when AWS refuses it."""
    if state.type not in MOCKABLE:
        raise ValidationException(f"State type '{state.type}' is not supported when a mock is specified")
    if "result" in given and "errorOutput" in given:
        raise ValidationException("A test mock should have only one of the following fields: [result, errorOutput].")
    if reveal_secrets:
        raise ValidationException("TestState does not support RevealSecrets when a mock is specified.")
    if "errorOutput" in given:
        failure = given["errorOutput"]
        return Mock(failure=(str(failure.get("error", "")), str(failure.get("cause", ""))))
    if "result" not in given:
        raise ValidationException("A test mock should have one of the following fields: [result, errorOutput].")
    try:
        result = orjson.loads(given["result"])
    except orjson.JSONDecodeError:
        raise ValidationException("Mocked result must be valid JSON") from None
    _check_shape(state, result, given.get("fieldValidationMode", "STRICT"))
    return Mock(result=result)


def _check_shape(state: State, result: Any, mode: str) -> None:
    if state.type == "Map":
        if "ResultWriter" in state.raw:
            if not isinstance(result, dict):
                raise ValidationException("Mocked result must be a JSON object.")
        elif not isinstance(result, list):
            raise ValidationException("Mocked result must be an array.")
    elif state.type == "Parallel":
        if not isinstance(result, list):
            raise ValidationException("Mocked result must be an array.")
        if len(result) != len(state.branches):
            raise ValidationException(
                "Mocked result must contain the same number of items as number of Parallel branches."
            )
    elif mode != "NONE" and isinstance(result, dict):
        integration = integration_of(parse_resource(str(state.raw.get("Resource", ""))))
        shape = integration.output_shape() if integration is not None else None
        if shape is not None:
            problem = _problem(shape, result, "", strict=mode == "STRICT")
            if problem:
                raise ValidationException(f"Mock result schema validation error: {problem}")


def _problem(shape: Shape, value: Any, name: str, *, strict: bool) -> str | None:
    """The first way ``value`` breaks ``shape`` (``name`` is the field), or None."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return f"Field '{name}' must be an object"
        for member_name, member in shape.members.items():
            shown = capitalized(member_name)
            if shown in value:
                problem = _problem(member, value[shown], shown, strict=strict)
                if problem:
                    return problem
            elif strict and member_name in shape.required_members:
                return f"Required field '{shown}' is missing"
        return None
    if kind == "list":
        if not isinstance(value, list):
            return f"Field '{name}' must be an array"
        return next((p for item in value if (p := _problem(shape.member, item, name, strict=strict))), None)
    if kind == "map":
        return None if isinstance(value, dict) else f"Field '{name}' must be an object"
    if kind == "boolean":
        return None if isinstance(value, bool) else f"Field '{name}' must be a boolean"
    if kind in _NUMBERS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"Field '{name}' must be a number"
        return _range(shape, value, name)
    if kind == "timestamp":
        return None if isinstance(value, (str, int, float)) and not isinstance(value, bool) else _string(name)
    if kind == "blob":
        if isinstance(value, (dict, list)):  # a JSON payload (Lambda's Payload) is carried as JSON
            return None
        return _length(shape, value, name) if isinstance(value, str) else _string(name)
    if not isinstance(value, str):
        return _string(name)
    if shape.enum and value not in shape.enum:
        return f"Field '{name}' is not an expected value"
    return _length(shape, value, name)


def _string(name: str) -> str:
    return f"Field '{name}' must be a string"


def _length(shape: Shape, value: str, name: str) -> str | None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and len(value) < low:
        return f"Field '{name}' is smaller than the minimum length"
    if high is not None and len(value) > high:
        return f"Field '{name}' exceeds the maximum length"
    return None


def _range(shape: Shape, value: float, name: str) -> str | None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        return f"Field '{name}' is less than the minimum value"
    if high is not None and value > high:
        return f"Field '{name}' exceeds the maximum value"
    return None
