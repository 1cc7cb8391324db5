"""The 18 intrinsic functions of Step Functions: ``States.Format('{} items', $.count)`` and friends.

An expression is parsed once (cached by its text) into a small tree of calls, literals and paths,
then evaluated against the state's data, the context object (``$$``) and the workflow variables
(``$name``). AWS runs these on the JVM, so results follow Java: numbers print like ``Double.toString``
(``2.5``, ``1.0E7``), JSON is compact, ``StringSplit`` splits like ``StringTokenizer`` (every
delimiter character splits, empty tokens vanish), a seeded ``MathRandom`` draws from
``java.util.Random``.

Failures at run time are ``States.Runtime`` (what AWS reports for an intrinsic whose arguments are
wrong or whose path argument matches nothing), with the cause
``The function '<expression>' had the following error: <detail>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from eventyard.workflows.errors import StatesError
from eventyard.workflows.paths import JsonPathMiss, JsonPathSyntaxError, evaluate_path, to_json

INTRINSIC_ERROR = "States.Runtime"
_CALL_START = re.compile(r"\s*States\.([A-Za-z0-9]+)\(")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_INT32 = (-(2**31), 2**31 - 1)
_MAX_NESTING = 10


class IntrinsicError(StatesError):
    """An intrinsic call that failed; ``fragment`` is the cause without the state prefix."""

    def __init__(self, fragment: str) -> None:
        super().__init__(INTRINSIC_ERROR, fragment)
        self.fragment = fragment


class IntrinsicSyntaxError(ValueError):
    """The text is not a well-formed intrinsic call (create-time validation reports it)."""


class _InvalidArguments(Exception):
    """Raised inside a function; becomes ``Invalid arguments in States.X``."""


# --- parsing ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    raw: str | None = None  # a string literal's text between the quotes, escapes kept (States.Format)


@dataclass(frozen=True, slots=True)
class PathArgument:
    path: str


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    arguments: tuple[Literal | PathArgument | Call, ...]


def is_intrinsic(text: Any) -> bool:
    """Whether ``text`` is an intrinsic call (``States.Name(...)``) rather than a path."""
    return isinstance(text, str) and _CALL_START.match(text) is not None


@lru_cache(maxsize=4096)
def parse_intrinsic(expression: str) -> Call:
    """The call tree of ``expression``; raises IntrinsicSyntaxError."""
    call, position = _parse_call(expression, 0, 1)
    if expression[position:].strip():
        raise IntrinsicSyntaxError(f"Unexpected text after the call at position {position} in '{expression}'")
    return call


def check_intrinsic(expression: str) -> str | None:
    """Why ``expression`` is not a valid intrinsic call (syntax, unknown function, argument count)."""
    try:
        call = parse_intrinsic(expression)
    except IntrinsicSyntaxError as error:
        return str(error)
    return _check_call(call)


def _check_call(call: Call) -> str | None:
    if call.name not in _FUNCTIONS:
        return f"The function 'States.{call.name}' is not supported"
    low, high = _FUNCTIONS[call.name][1]
    if not low <= len(call.arguments) <= high:
        return f"Invalid arguments in States.{call.name}: expected {_arity_text(low, high)}, got {len(call.arguments)}"
    for argument in call.arguments:
        if isinstance(argument, Call) and (problem := _check_call(argument)):
            return problem
    return None


def _arity_text(low: int, high: int) -> str:
    if high == low:
        return f"{low} argument(s)"
    return f"at least {low} argument(s)" if high > 1000 else f"{low} to {high} argument(s)"


def _parse_call(text: str, position: int, depth: int) -> tuple[Call, int]:
    if depth > _MAX_NESTING:
        raise IntrinsicSyntaxError(f"Intrinsic functions can be nested at most {_MAX_NESTING} deep in '{text}'")
    match = _CALL_START.match(text, position)
    if not match:
        raise IntrinsicSyntaxError(f"Expected 'States.<Function>(' at position {position} in '{text}'")
    position = match.end()
    arguments: list[Literal | PathArgument | Call] = []
    position = _skip_spaces(text, position)
    if text.startswith(")", position):
        return Call(match.group(1), ()), position + 1
    while True:
        argument, position = _parse_argument(text, _skip_spaces(text, position), depth)
        arguments.append(argument)
        position = _skip_spaces(text, position)
        if text.startswith(",", position):
            position += 1
        elif text.startswith(")", position):
            return Call(match.group(1), tuple(arguments)), position + 1
        else:
            raise IntrinsicSyntaxError(f"Expected ',' or ')' at position {position} in '{text}'")


def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\n\r":
        position += 1
    return position


def _parse_argument(text: str, position: int, depth: int) -> tuple[Literal | PathArgument | Call, int]:
    if text.startswith("'", position):
        return _parse_string(text, position)
    if text.startswith("States.", position):
        return _parse_call(text, position, depth + 1)
    if text.startswith("$", position):
        end = _path_end(text, position)
        return PathArgument(text[position:end].rstrip()), end
    for word, value in (("true", True), ("false", False), ("null", None)):
        if text.startswith(word, position):
            return Literal(value), position + len(word)
    number = _NUMBER.match(text, position)
    if number:
        literal = number.group()
        is_int = re.fullmatch(r"-?\d+", literal) is not None
        return Literal(int(literal) if is_int else float(literal)), number.end()
    raise IntrinsicSyntaxError(f"Unexpected argument at position {position} in '{text}'")


def _parse_string(text: str, position: int) -> tuple[Literal, int]:
    chars: list[str] = []
    start = position + 1
    position = start
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            following = text[position + 1]
            chars.append(following if following in "'{}\\" else char + following)
            position += 2
        elif char == "'":
            return Literal("".join(chars), raw=text[start:position]), position + 1
        else:
            chars.append(char)
            position += 1
    raise IntrinsicSyntaxError(f"Unterminated string literal in '{text}'")


def _path_end(text: str, position: int) -> int:
    """Where a path argument ends: the ``,`` or ``)`` outside its brackets, parentheses and quotes."""
    depth, quote = 0, ""
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            if depth == 0:
                return position
            depth -= 1
        elif char == "," and depth == 0:
            return position
        position += 1
    return position


# --- evaluation ------------------------------------------------------------------------------------


def evaluate_intrinsic(
    expression: str, data: Any, *, context: Any = None, variables: dict[str, Any] | None = None
) -> Any:
    """The value of an intrinsic call; raises IntrinsicError (States.Runtime) like AWS."""
    try:
        call = parse_intrinsic(expression)
    except IntrinsicSyntaxError as error:
        raise IntrinsicError(f"The function '{expression}' had the following error: {error}") from None
    return _evaluate(call, expression, data, context, variables)


def _evaluate(
    node: Literal | PathArgument | Call, expression: str, data: Any, context: Any, variables: dict[str, Any] | None
) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, PathArgument):
        try:
            return evaluate_path(node.path, data, context=context, variables=variables, strict_index=True)
        except (JsonPathMiss, JsonPathSyntaxError):
            shown = "$" + node.path[2:] if node.path.startswith("$$") else node.path
            raise IntrinsicError(
                f"The function '{expression}' had the following error: The JsonPath argument for the field "
                f"'{shown}' could not be found in the input '{to_json(data)}'"
            ) from None
    entry = _FUNCTIONS.get(node.name)
    if entry is None:
        raise IntrinsicError(
            f"The function '{expression}' had the following error: The function 'States.{node.name}' is not supported"
        )
    function, (low, high) = entry
    arguments = [_evaluate(argument, expression, data, context, variables) for argument in node.arguments]
    try:
        if not low <= len(arguments) <= high:
            raise _InvalidArguments
        if node.name == "Format":
            first = node.arguments[0]
            template = first.raw if isinstance(first, Literal) and first.raw is not None else arguments[0]
            return _format(template, arguments[1:])
        return function(*arguments)
    except _InvalidArguments:
        raise IntrinsicError(
            f"The function '{expression}' had the following error: Invalid arguments in States.{node.name}"
        ) from None


# --- Java-compatible rendering ---------------------------------------------------------------------


def java_number(value: int | float) -> str:
    """A number as the JVM prints it: ints plainly, doubles like ``Double.toString`` (2.5, 100.0, 1.0E7)."""
    if isinstance(value, bool) or not isinstance(value, float):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "e" not in text else f"{value:f}"
    sign, digits, exponent = _shortest_digits(value)
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{sign}{mantissa}E{len(digits) - 1 + exponent}"


def _shortest_digits(value: float) -> tuple[str, str, int]:
    """Sign, shortest round-trip digits and the power of ten they are scaled by."""
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exponent, int)
    return ("-" if value < 0 else ""), "".join(map(str, digits)), exponent


def java_json(value: Any) -> str:
    """Compact JSON as Jackson writes it (doubles in Java notation, non-ASCII kept)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{java_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(java_json(item) for item in value) + "]"
    if isinstance(value, float):
        return java_number(value)
    return json.dumps(value, ensure_ascii=False)


def _text_of(value: Any) -> str:
    """An argument as States.Format prints it: Java's ``toString`` of the value.

    AWS turns an object argument into a Java map and prints ``{Arg1=1, Arg2=[]}``, not JSON
    (test_generic.snapshot.json test_format_2, test_context_json_path with ``$$.StateMachine``);
    strings inside it are bare and lists print as ``[a, b]``.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return java_number(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_text_of(item)}" for key, item in value.items()) + "}"
    return "[" + ", ".join(_text_of(item) for item in value) + "]"


def _json_key(value: Any) -> str:
    """A key equal for JSON values Jackson calls equal (object key order ignored, 1 and 1.0 differ)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# --- the functions ---------------------------------------------------------------------------------


def _require(condition: bool) -> None:
    if not condition:
        raise _InvalidArguments


def _number(value: Any) -> int | float:
    _require(isinstance(value, int | float) and not isinstance(value, bool))
    _require(not isinstance(value, float) or math.isfinite(value))
    return value


def _integer(value: Any) -> int:
    """A number argument truncated toward zero, as a Java ``(int)`` cast does."""
    return int(_number(value))


def _format(template: Any, arguments: list[Any]) -> str:
    _require(isinstance(template, str))
    parts: list[str] = []
    used = 0
    position = 0
    while position < len(template):
        char = template[position]
        if char == "\\" and position + 1 < len(template):
            parts.append(template[position + 1])
            position += 2
            continue
        if char == "{":
            _require(template.startswith("{}", position) and used < len(arguments))
            parts.append(_text_of(arguments[used]))
            used += 1
            position += 2
            continue
        _require(char != "}")
        parts.append(char)
        position += 1
    _require(used == len(arguments))
    return "".join(parts)


def _string_to_json(text: Any) -> Any:
    _require(isinstance(text, str))
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, _InvalidArguments):
        raise _InvalidArguments from None


def _reject_constant(name: str) -> Any:
    raise _InvalidArguments


def _array(value: Any) -> list[Any]:
    _require(isinstance(value, list))
    return value


def _array_partition(array: Any, size: Any) -> list[list[Any]]:
    items, chunk = _array(array), _integer(size)
    _require(chunk > 0)
    return [items[i : i + chunk] for i in range(0, len(items), chunk)]


def _array_contains(array: Any, looking_for: Any) -> bool:
    key = _json_key(looking_for)
    return any(_json_key(item) == key for item in _array(array))


def _array_range(start: Any, end: Any, step: Any) -> list[int]:
    first, last, stride = _integer(start), _integer(end), _integer(step)
    _require(stride != 0)
    count = max(0, (last - first) // stride + 1)
    _require(count <= 1000)
    return [first + i * stride for i in range(count)]


def _array_get_item(array: Any, index: Any) -> Any:
    items, position = _array(array), _integer(index)
    _require(0 <= position < len(items))
    return items[position]


def _array_unique(array: Any) -> list[Any]:
    seen: set[str] = set()
    unique = []
    for item in _array(array):
        key = _json_key(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _bounded_string(value: Any) -> str:
    _require(isinstance(value, str) and len(value) <= 10000)
    return value


def _base64_encode(text: Any) -> str:
    return base64.b64encode(_bounded_string(text).encode()).decode("ascii")


def _base64_decode(text: Any) -> str:
    encoded = _bounded_string(text)
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        raise _InvalidArguments from None


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(data: Any, algorithm: Any) -> str:
    text = _bounded_string(data)
    _require(algorithm in _HASHES)
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


def _json_merge(left: Any, right: Any, deep: Any) -> dict[str, Any]:
    _require(isinstance(left, dict) and isinstance(right, dict) and deep is False)
    return {**left, **right}


def _math_random(start: Any, end: Any, seed: Any = None) -> int:
    low, high = _integer(start), _integer(end)
    _require(low < high)
    if seed is None:
        return random.randrange(low, high)
    return low + JavaRandom(_integer(seed)).next_int(high - low)


def _math_add(left: Any, right: Any) -> int:
    total = 0
    for operand in (left, right):
        value = math.floor(_number(operand) + 0.5)  # Java's Math.round: half up
        _require(_INT32[0] <= value <= _INT32[1])
        total += value
    _require(_INT32[0] <= total <= _INT32[1])
    return total


def _string_split(text: Any, delimiters: Any) -> list[str]:
    _require(isinstance(text, str) and isinstance(delimiters, str))
    if not delimiters:
        return [text] if text else []
    return [token for token in re.split("[" + re.escape(delimiters) + "]", text) if token]


class JavaRandom:
    """``java.util.Random``: the 48-bit LCG, so a seeded States.MathRandom repeats across runs."""

    _MULTIPLIER = 0x5DEECE66D
    _MASK = (1 << 48) - 1

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ self._MULTIPLIER) & self._MASK

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * self._MULTIPLIER + 0xB) & self._MASK
        return self._seed >> (48 - bits)

    def next_double(self) -> float:
        return ((self._next(26) << 27) + self._next(27)) * 2.0**-53

    def next_int(self, bound: int) -> int:
        if bound & -bound == bound:
            return (bound * self._next(31)) >> 31
        while True:
            bits = self._next(31)
            value = bits % bound
            if bits - value + (bound - 1) < 2**31:
                return value


_MANY = 1 << 30
_FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[int, int]]] = {
    "Format": (lambda *args: None, (1, _MANY)),
    "StringToJson": (_string_to_json, (1, 1)),
    "JsonToString": (java_json, (1, 1)),
    "Array": (lambda *args: list(args), (0, _MANY)),
    "ArrayPartition": (_array_partition, (2, 2)),
    "ArrayContains": (_array_contains, (2, 2)),
    "ArrayRange": (_array_range, (3, 3)),
    "ArrayGetItem": (_array_get_item, (2, 2)),
    "ArrayLength": (lambda array: len(_array(array)), (1, 1)),
    "ArrayUnique": (_array_unique, (1, 1)),
    "Base64Encode": (_base64_encode, (1, 1)),
    "Base64Decode": (_base64_decode, (1, 1)),
    "Hash": (_hash, (2, 2)),
    "JsonMerge": (_json_merge, (3, 3)),
    "MathRandom": (_math_random, (2, 3)),
    "MathAdd": (_math_add, (2, 2)),
    "StringSplit": (_string_split, (2, 2)),
    "UUID": (lambda: str(uuid.uuid4()), (0, 0)),
}
