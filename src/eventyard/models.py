"""botocore's service models, compiled once into request validators.

AWS publishes every operation's input shape (members, types, required members, lengths, ranges,
patterns, enums) as data in botocore. We compile each operation's input shape into a tree of small
checking functions at first use, so a request costs one walk over its own values and no model lookups.

Type errors (a string where a number belongs) are what AWS's deserialiser rejects:
:class:`SerializationException`. Constraint errors are reported in each service's own style: Coral's
``N validation errors detected: Value X at 'member' failed to satisfy constraint: ...`` for EventBridge,
Step Functions and Kinesis, and SQS's ``MissingParameter`` / ``InvalidParameterValue``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.loaders import Loader
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from eventyard.errors import ClientError, SerializationException, ValidationException

#: (value, where, problems) -> converted value; ``where`` is the member path, problems collects text.
Check = Callable[[Any, str, list[str]], Any]

_LOADER = Loader()
_AT_LEAST = "Member must have length greater than or equal to"
_AT_MOST = "Member must have length less than or equal to"
_PATTERN = "Member must satisfy regular expression pattern:"


class MissingParameter(ClientError):
    """SQS's style; over JSON, AWS's ``__type`` for it is ``MissingRequiredParameterException``."""

    code = "MissingParameter"
    shape = "MissingRequiredParameterException"


class InvalidParameterValue(ClientError):
    """SQS's style; over JSON, AWS's ``__type`` for it is ``InvalidParameterValueException``."""

    code = "InvalidParameterValue"
    shape = "InvalidParameterValueException"


def _coral_name(name: str) -> str:
    """Coral reports members in lower camel case: ``Name`` -> ``name``, ``stateMachineArn`` as is."""
    return name[:1].lower() + name[1:]


def _render(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return "java.nio.HeapByteBuffer"
    if isinstance(value, list | dict):
        return f"'{value}'"
    return str(value)


def _number_text(value: int | float, quoted: bool) -> str:
    return f"'{value}'" if quoted else str(value)


class _Problem(Exception):
    """A type error found while walking a request: becomes SerializationException."""


class Compiler:
    """Turns botocore shapes into :data:`Check` functions; one instance per service model."""

    def __init__(self, *, enums: bool = True, quoted_numbers: bool = True) -> None:
        self.enums = enums  # SQS's servers do not check enums (unknown attribute names get their own error)
        # Coral quotes a number it reports (``Value '1001' at 'maxResults'``, AWS-recorded); SQS does not.
        self.quoted_numbers = quoted_numbers
        self._cache: dict[tuple[str, bool], Check] = {}

    def compile(self, shape: Shape) -> Check:
        key = (shape.name, bool(shape.metadata.get("sensitive")))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        # Recursive shapes: install a trampoline before compiling the body.
        slot: list[Check] = []
        self._cache[key] = lambda value, where, problems: slot[0](value, where, problems)
        check = self._build(shape)
        slot.append(check)
        self._cache[key] = check
        return check

    def _build(self, shape: Shape) -> Check:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            return self._structure(shape)
        if kind == "list":
            assert isinstance(shape, ListShape)
            return self._list(shape)
        if kind == "map":
            assert isinstance(shape, MapShape)
            return self._map(shape)
        if kind == "string":
            return self._string(shape)
        if kind in ("integer", "long"):
            return self._number(shape, integral=True)
        if kind in ("double", "float"):
            return self._number(shape, integral=False)
        if kind == "boolean":
            return _boolean
        if kind == "blob":
            return _blob
        if kind == "timestamp":
            return _timestamp
        return lambda value, where, problems: value

    def _structure(self, shape: StructureShape) -> Check:
        members = {name: self.compile(member) for name, member in shape.members.items()}
        required = tuple(shape.required_members)
        name = shape.name

        def check(value: Any, where: str, problems: list[str]) -> Any:
            if not isinstance(value, dict):
                raise _Problem(f"Expected a structure ({name}) at '{where or 'request'}'")
            out = {}
            for key, item in value.items():
                member = members.get(key)
                if member is None:  # AWS's servers ignore members they do not know
                    continue
                if item is None:
                    continue
                out[key] = member(item, f"{where}.{key}" if where else key, problems)
            for key in required:
                if key not in out:
                    problems.append(f"required:{where + '.' if where else ''}{key}")
            return out

        return check

    def _list(self, shape: ListShape) -> Check:
        member = self.compile(shape.member)
        low, high = shape.metadata.get("min"), shape.metadata.get("max")

        def check(value: Any, where: str, problems: list[str]) -> Any:
            if not isinstance(value, list | tuple):
                raise _Problem(f"Expected a list at '{where}'")
            if low is not None and len(value) < low:
                problems.append(f"{where}|{_render(list(value))}|{_AT_LEAST} {low}")
            if high is not None and len(value) > high:
                problems.append(f"{where}|{_render(list(value))}|{_AT_MOST} {high}")
            return [member(item, f"{where}.{i + 1}.member", problems) for i, item in enumerate(value)]

        return check

    def _map(self, shape: MapShape) -> Check:
        key_check = self.compile(shape.key)
        value_check = self.compile(shape.value)
        low, high = shape.metadata.get("min"), shape.metadata.get("max")

        def check(value: Any, where: str, problems: list[str]) -> Any:
            if not isinstance(value, dict):
                raise _Problem(f"Expected a map at '{where}'")
            if low is not None and len(value) < low:
                problems.append(f"{where}|{_render(value)}|{_AT_LEAST} {low}")
            if high is not None and len(value) > high:
                problems.append(f"{where}|{_render(value)}|{_AT_MOST} {high}")
            return {
                # a value's path is "<map>.<key>.member" in AWS's words (SNS's messageAttributes, recorded)
                key_check(k, f"{where}.key", problems): value_check(v, f"{where}.{k}.member", problems)
                for k, v in value.items()
            }

        return check

    def _string(self, shape: Shape) -> Check:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        enum = tuple(shape.enum) if shape.enum and self.enums else ()
        pattern_text = shape.metadata.get("pattern")
        pattern = _compile_pattern(pattern_text) if pattern_text else None

        def check(value: Any, where: str, problems: list[str]) -> Any:
            if not isinstance(value, str):
                raise _Problem(f"Expected a string at '{where}'")
            size = len(value)
            if low is not None and size < low:
                problems.append(f"{where}|{_render(value)}|{_AT_LEAST} {low}")
            elif high is not None and size > high:
                problems.append(f"{where}|{_render(value)}|{_AT_MOST} {high}")
            elif enum and value not in enum:
                problems.append(f"{where}|{_render(value)}|Member must satisfy enum value set: [{', '.join(enum)}]")
            elif pattern is not None and pattern.fullmatch(value) is None:
                problems.append(f"{where}|{_render(value)}|{_PATTERN} {pattern_text}")
            return value

        return check

    def _number(self, shape: Shape, *, integral: bool) -> Check:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        quoted = self.quoted_numbers

        def check(value: Any, where: str, problems: list[str]) -> Any:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _Problem(f"Expected a number at '{where}'")
            if integral and isinstance(value, float):
                if not value.is_integer():
                    raise _Problem(f"Expected an integer at '{where}'")
                value = int(value)
            if low is not None and value < low:
                problems.append(
                    f"{where}|{_number_text(value, quoted)}|Member must have value greater than or equal to {low}"
                )
            elif high is not None and value > high:
                problems.append(
                    f"{where}|{_number_text(value, quoted)}|Member must have value less than or equal to {high}"
                )
            return value

        return check


def _boolean(value: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(value, bool):
        raise _Problem(f"Expected a boolean at '{where}'")
    return value


def _blob(value: Any, where: str, problems: list[str]) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):  # JSON carries blobs as base64 text
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _Problem(f"Invalid base64 at '{where}'")
    raise _Problem(f"Expected a blob at '{where}'")


def _timestamp(value: Any, where: str, problems: list[str]) -> Any:
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    if isinstance(value, bool):
        raise _Problem(f"Expected a timestamp at '{where}'")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise _Problem(f"Invalid timestamp at '{where}'")
    raise _Problem(f"Expected a timestamp at '{where}'")


@cache
def _compile_pattern(text: str) -> re.Pattern[str] | None:
    """Java regexes from the models; the few Python can't read are left unchecked."""
    try:
        return re.compile(text, re.DOTALL)
    except re.error:
        return None


class Model:
    """One service's model: operations by name, validators compiled on first use, errors by code."""

    def __init__(self, service: str) -> None:
        self.name = service
        self.service = ServiceModel(_LOADER.load_service_model(service, "service-2"), service_name=service)
        self.metadata = self.service.metadata
        self.operations: dict[str, OperationModel] = {
            name: self.service.operation_model(name) for name in self.service.operation_names
        }
        self.target_prefix: str = self.metadata.get("targetPrefix", "")
        self.json_version: str = self.metadata.get("jsonVersion", "1.0")
        self.query_compatible = "awsQueryCompatible" in self.metadata
        self.coral_style = service != "sqs"
        self._compiler = Compiler(enums=self.coral_style, quoted_numbers=self.coral_style)
        self._checks: dict[str, Check] = {}

    def validate(self, operation: str, request: Any) -> dict[str, Any]:
        """Check ``request`` against the operation's input shape, as AWS's servers do; returns it with
        blobs and timestamps converted. Members the model does not know are dropped."""
        check = self._checks.get(operation)
        if check is None:
            shape = self.operations[operation].input_shape
            if shape is None:
                self._checks[operation] = check = lambda value, where, problems: {}
            else:
                check = self._checks[operation] = self._compiler.compile(shape)
        problems: list[str] = []
        try:
            result: dict[str, Any] = check(request if request is not None else {}, "", problems)
        except _Problem as problem:
            raise SerializationException(str(problem))
        if problems and self.name == "lambda":
            problems = _lambda_problems(problems)
        if problems:
            raise self._validation_error(problems)
        return result

    def _validation_error(self, problems: list[str]) -> ClientError:
        if self.name == "sns":
            return _sns_validation_error(problems)
        if not self.coral_style:  # SQS names the first problem only
            first = problems[0]
            if first.startswith("required:"):
                return MissingParameter(f"The request must contain the parameter {first[9:].split('.')[-1]}.")
            where, value, constraint = first.split("|", 2)
            member = where.split(".")[-1]
            return InvalidParameterValue(f"Value {value} for parameter {member} is invalid. {constraint}.")
        texts = []
        for problem in problems:
            if problem.startswith("required:"):
                where, value, constraint = problem[9:], "null", "Member must not be null"
            else:
                where, value, constraint = problem.split("|", 2)
            path = ".".join(_coral_name(part) for part in where.split("."))
            texts.append(f"Value {value} at '{path}' failed to satisfy constraint: {constraint}")
        count = len(texts)
        noun = "error" if count == 1 else "errors"
        return ValidationException(f"{count} validation {noun} detected: " + "; ".join(texts))

    def error_shape(self, code: str) -> str | None:
        """The model's exception shape named ``code``, if there is one."""
        for shape in self.service.error_shapes:
            if shape.name == code:
                return shape.name
        return None


class LambdaInvalidParameterValue(ClientError):
    code = "InvalidParameterValueException"


def _lambda_problems(problems: list[str]) -> list[str]:
    """Lambda's own checks (AWS-recorded): environment variable names are not held to the model's
    pattern (``{"A": "1"}`` is accepted), and an unknown Runtime is InvalidParameterValueException
    with the value unquoted ("Value PYTHON3.9 at 'runtime' failed to satisfy constraint: ...")."""
    kept = []
    for problem in problems:
        if problem.startswith("Environment.Variables.key|"):
            continue
        if problem.startswith("Runtime|") and "enum value set" in problem:
            _, value, constraint = problem.split("|", 2)
            text = value.strip("'")
            raise LambdaInvalidParameterValue(
                f"Value {text} at 'runtime' failed to satisfy constraint: {constraint} or be a valid ARN"
            )
        kept.append(problem)
    return kept


class SnsValidationError(ClientError):
    code = "ValidationError"


class SnsInvalidParameter(ClientError):
    code = "InvalidParameter"
    shape = "InvalidParameterException"


def _sns_validation_error(problems: list[str]) -> ClientError:
    """SNS (AWS-recorded): a missing top-level member is ``InvalidParameter`` ("Invalid parameter:
    SubscriptionArn Reason: no value for required parameter"); anything deeper is Coral's text under
    the code ``ValidationError``."""
    first = problems[0]
    if first.startswith("required:") and "." not in first[9:]:
        return SnsInvalidParameter(f"Invalid parameter: {first[9:]} Reason: no value for required parameter")
    texts = []
    for problem in problems:
        if problem.startswith("required:"):
            where, value, constraint = problem[9:], "null", "Member must not be null"
        else:
            where, value, constraint = problem.split("|", 2)
        texts.append(f"Value {value} at '{'.'.join(_coral_name(p) for p in where.split('.'))}' failed to satisfy "
                     f"constraint: {constraint}")  # fmt: skip
    noun = "error" if len(texts) == 1 else "errors"
    return SnsValidationError(f"{len(texts)} validation {noun} detected: " + "; ".join(texts))


@cache
def model_for(service: str) -> Model:
    return Model(service)
