"""JSONata for states whose QueryLanguage is "JSONata", on the jsonata-python library.

A field value ``"{% expression %}"`` is evaluated with ``$states`` bound to
``{input, result, errorOutput, context}`` and every workflow variable bound as ``$name``. Step
Functions' JSONata differs from the stock language, and this module makes the library match it:

- ``$eval`` is removed; ``$partition``, ``$range``, ``$hash``, ``$random``, ``$uuid`` and ``$parse``
  are added (AWS's extensions);
- a JSON null stays a value (a key whose expression yields null keeps its key), while an expression
  that yields nothing (undefined) where a value is needed fails the state;
- every failure is ``States.QueryEvaluationError`` naming the expression and the field it was
  written in (``Output/a/b[0]``, ``Arguments/Input``, ``Assign/x``), as AWS words it.

Expressions are compiled once and cached by their text: compiling costs about twice an evaluation.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from functools import lru_cache
from typing import Any

from jsonata import Jsonata
from jsonata.jexception import JException
from jsonata.utils import Utils

from eventyard.workflows.errors import StatesError
from eventyard.workflows.intrinsics import JavaRandom

QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
_TIMEOUT_MS = 5000
_MAX_DEPTH = 100
_MAX_RANGE = 360145  # AWS refuses a $range of more elements with its memory-limit error
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


class _Undefined:
    """What an AWS extension returns for "nothing": the library's None means undefined."""


def is_expression(value: Any) -> bool:
    """Whether ``value`` is a JSONata expression string: ``{% ... %}``."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


def expression_body(value: str) -> str:
    """The expression inside ``{% %}``, trimmed (as AWS quotes it in its messages)."""
    return value[2:-2].strip() if is_expression(value) else value.strip()


@lru_cache(maxsize=4096)
def _compile(body: str) -> Jsonata:
    expression = Jsonata(body, timeout=_TIMEOUT_MS, stack=_MAX_DEPTH)
    expression.set_output_convert_nulls(False)
    expression.register_function("eval", None)  # AWS removes $eval: calling it is T1006
    for name, implementation in _AWS_FUNCTIONS.items():
        expression.register_lambda(name, implementation)
    return expression


def check_syntax(expression: str) -> str | None:
    """The parser's message for an expression that does not compile (``{% %}`` optional), or None."""
    try:
        _compile(expression_body(expression))
    except JException as error:
        return f"{error.error}: {error}"
    except Exception as error:  # the parser can fail with plain Python errors on odd input
        return str(error)
    return None


def evaluate(
    expression: str,
    *,
    states: dict[str, Any],
    variables: dict[str, Any] | None = None,
    field: str | None = None,
) -> Any:
    """The value of ``{% expr %}`` (or a bare expression) with ``$states`` and the variables bound.

    ``field`` names where the expression was written (``Output``, ``Arguments/Input``,
    ``Choices[0]/Condition``) for AWS's messages. Raises StatesError(States.QueryEvaluationError)
    when the expression fails or yields nothing (undefined).
    """
    body = expression_body(expression)
    where = f" specified for the field '{field}'" if field else ""
    try:
        compiled = _compile(body)
    except JException as error:
        raise _failure(f"The JSONata expression '{body}'{where} threw an error during evaluation. {_describe(error)}")
    bindings: dict[str, Any] = {"states": _bindable(states)}
    if variables:
        bindings.update((name, _bindable(value)) for name, value in variables.items() if name != "states")
    # The library starts an expression's time limit when it is compiled, not when it runs: a cached
    # expression would "time out" for good 5 s after its first use. A fresh limit for each run.
    compiled.environment.set_runtime_bounds(_TIMEOUT_MS, _MAX_DEPTH)
    try:
        result = compiled.evaluate(None, bindings)
    except JException as error:
        raise _failure(f"The JSONata expression '{body}'{where} threw an error during evaluation. {_describe(error)}")
    except RecursionError:
        raise _failure(f"The JSONata expression '{body}'{where} threw an error during evaluation: stack overflow")
    except (ArithmeticError, ValueError, TypeError) as error:
        raise _failure(f"The JSONata expression '{body}'{where} threw an error during evaluation: {error}")
    if result is None or isinstance(result, _Undefined):
        raise _failure(f"The JSONata expression '{body}'{where} returned nothing (undefined).")
    return _to_json(result)


def evaluate_template(
    value: Any,
    *,
    states: dict[str, Any],
    variables: dict[str, Any] | None = None,
    field: str = "Output",
) -> Any:
    """``value`` with every ``{% %}`` string in it, at any depth, replaced by its result.

    For Arguments, Output and Assign: other values are copied as they are. ``field`` is the name of
    the top-level field; nested places are named ``field/key`` and ``field[index]`` as AWS does.
    """
    if isinstance(value, str):
        return evaluate(value, states=states, variables=variables, field=field) if is_expression(value) else value
    if isinstance(value, dict):
        return {
            key: evaluate_template(item, states=states, variables=variables, field=f"{field}/{key}")
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            evaluate_template(item, states=states, variables=variables, field=f"{field}[{index}]")
            for index, item in enumerate(value)
        ]
    return value


def _failure(cause: str) -> StatesError:
    return StatesError(QUERY_EVALUATION_ERROR, cause)


def _describe(error: JException) -> str:
    return f"{error.error}: {error}"


def _bindable(value: Any) -> Any:
    # The library reads a bare None binding as undefined; a JSON null must stay null.
    return Utils.NULL_VALUE if value is None else value


def _to_json(value: Any) -> Any:
    """The library's result as plain JSON values: nulls restored, sequences as lists."""
    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("Number out of range")
    if callable(value) or isinstance(value, Jsonata.JFunctionCallable):
        return ""  # AWS serializes a function value as an empty string
    return value


# --- AWS's added functions -------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _argument_error(name: str, position: int) -> JException:
    return JException("T0410", position, None, name)


def _partition(array: Any = None, size: Any = None) -> Any:
    """``$partition(array, size)``: chunks of ``size`` (truncated toward zero); nothing for size 0 or []."""
    if array is None or size is None:
        return None
    items = array if isinstance(array, list) else [array]
    if not _is_number(size):
        raise _argument_error("partition", 2)
    chunk = int(size)
    if chunk <= 0 or not items:
        return None
    return [list(items[i : i + chunk]) for i in range(0, len(items), chunk)]


def _range(start: Any = None, end: Any = None, step: Any = None) -> Any:
    """``$range(start, end, step)``: inclusive of ``end`` when hit; one element collapses to the number."""
    if start is None or end is None or step is None:
        return None
    for position, value in enumerate((start, end, step), start=1):
        if not _is_number(value):
            raise _argument_error("range", position)
    first, last, stride = int(start), int(end), int(step)
    if stride == 0 or (last - first) * stride < 0:
        return None
    count = (last - first) // stride + 1
    if count > _MAX_RANGE:
        raise ValueError("Expression evaluation memory limit exceeded: Check for excessive memory usage")
    values = [first + i * stride for i in range(count)]
    return values[0] if len(values) == 1 else values


def _hash(data: Any = None, algorithm: Any = None) -> Any:
    """``$hash(text, algorithm)``: lowercase hex digest; algorithm is MD5, SHA-1, SHA-256, SHA-384, SHA-512."""
    if data is None or algorithm is None:
        return None
    if not isinstance(data, str):
        raise _argument_error("hash", 1)
    if algorithm not in _HASHES:
        raise _argument_error("hash", 2)
    return hashlib.new(_HASHES[algorithm], data.encode()).hexdigest()


def _random(seed: Any = None) -> float:
    """``$random([seed])``: a number in [0, 1), repeatable for an integer seed."""
    if seed is None or seed is Utils.NULL_VALUE:
        return random.random()
    if not _is_number(seed):
        raise _argument_error("random", 1)
    return JavaRandom(int(seed)).next_double()


def _parse(text: Any = None) -> Any:
    """``$parse(json)``: the JSON value the string holds (AWS's replacement for ``$eval``)."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise _argument_error("parse", 1)
    try:
        parsed = json.loads(text)
    except ValueError:
        raise JException("D3140", 0, None, text) from None
    return Utils.NULL_VALUE if parsed is None else parsed


_AWS_FUNCTIONS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": lambda: str(uuid.uuid4()),
    "parse": _parse,
}
