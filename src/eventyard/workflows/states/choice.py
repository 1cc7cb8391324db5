"""Choice: the first rule that holds picks the next state.

ASL (AWS "Choice workflow state"):

- Rules are tried in order; the first that evaluates true sends the execution to its ``Next``.
  If none does, ``Default`` is taken; without a Default the state fails with
  ``States.NoChoiceMatched``.
- JSONPath rules compare the value at ``Variable`` with a literal or, for ``*Path`` operators,
  with the value at another path. A comparison whose value has the wrong type is simply false
  (a string is never ``NumericEquals`` 42). ``StringMatches`` takes ``*`` as a wildcard; ``\\*``
  and ``\\\\`` are a literal asterisk and backslash. Timestamps are RFC 3339 and compared as
  instants. ``IsPresent`` tests whether the path exists (a null value is present); every other
  operator needs the path to exist, or the state fails with ``States.Runtime``.
- ``And``, ``Or`` and ``Not`` combine rules; JSONata rules are a ``Condition`` expression.
- A Choice state's output is its (filtered) input. State-level ``Assign`` applies whichever rule
  matches; a rule's own ``Assign``/``Output`` add to and take precedence over the state's.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from eventyard.workflows import dataflow
from eventyard.workflows.errors import StatesError
from eventyard.workflows.model import ABSENT, State
from eventyard.workflows.runtime import Outcome, StateRun

_MISSING = object()

# A compiled rule: (test(run, data) -> bool, next, assign, output)
Test = Callable[[StateRun, Any], bool]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_timestamp(value: Any) -> datetime.datetime | None:
    """An RFC 3339 timestamp with a ``T`` and a zone, as Choice and Wait accept it; else None."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


def _compile_pattern(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _compare(kind: str, relation: str) -> Callable[[Any, Any], bool]:
    def ordered(left: Any, right: Any) -> bool:
        if relation == "Equals":
            return bool(left == right)
        if relation == "LessThan":
            return bool(left < right)
        if relation == "GreaterThan":
            return bool(left > right)
        if relation == "LessThanEquals":
            return bool(left <= right)
        return bool(left >= right)

    if kind == "String":
        return lambda a, b: isinstance(a, str) and isinstance(b, str) and ordered(a, b)
    if kind == "Numeric":
        return lambda a, b: _is_number(a) and _is_number(b) and ordered(a, b)
    if kind == "Boolean":
        return lambda a, b: isinstance(a, bool) and isinstance(b, bool) and a is b
    if kind == "Timestamp":

        def timestamps(a: Any, b: Any) -> bool:
            left, right = parse_timestamp(a), parse_timestamp(b)
            return left is not None and right is not None and ordered(left, right)

        return timestamps
    raise ValueError(kind)


_OPERATOR = re.compile(
    r"^(String|Numeric|Boolean|Timestamp)(Equals|LessThanEquals|GreaterThanEquals|LessThan|GreaterThan)(Path)?$"
)

_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_number,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: parse_timestamp(v) is not None,
}


def _value_at(run: StateRun, path: str, data: Any) -> Any:
    try:
        return dataflow.select(run, path, data)
    except StatesError as exc:
        if exc.error == "States.Runtime":
            return _MISSING
        raise


def _invalid_path(run: StateRun, path: str) -> StatesError:
    return StatesError(
        "States.Runtime",
        run.runtime_prefix() + f"Invalid path '{path}': The choice state's condition path references an invalid value.",
    )


def compile_rule(rule: dict[str, Any]) -> Test:
    """One JSONPath choice rule (or nested boolean expression) as a function of the input."""
    if "And" in rule:
        parts = [compile_rule(r) for r in rule["And"]]
        return lambda run, data: all(part(run, data) for part in parts)
    if "Or" in rule:
        parts = [compile_rule(r) for r in rule["Or"]]
        return lambda run, data: any(part(run, data) for part in parts)
    if "Not" in rule:
        inner = compile_rule(rule["Not"])
        return lambda run, data: not inner(run, data)
    variable = rule.get("Variable", "$")
    for key, expected in rule.items():
        if key == "IsPresent":
            return _presence_test(variable, bool(expected))
        if key in _TYPE_TESTS:
            return _type_test(variable, _TYPE_TESTS[key], expected)
        if key == "StringMatches":
            return _matches_test(variable, _compile_pattern(str(expected)))
        match = _OPERATOR.match(key)
        if match:
            return _comparison_test(variable, _compare(match.group(1), match.group(2)), expected, bool(match.group(3)))
    raise StatesError("States.Runtime", f"Unsupported choice rule: {sorted(rule)}")


def _present(run: StateRun, variable: str, data: Any) -> Any:
    value = _value_at(run, variable, data)
    if value is _MISSING:
        raise _invalid_path(run, variable)
    return value


def _presence_test(variable: str, expected: bool) -> Test:
    return lambda run, data: (_value_at(run, variable, data) is not _MISSING) is expected


def _type_test(variable: str, test: Callable[[Any], bool], expected: Any) -> Test:
    return lambda run, data: test(_present(run, variable, data)) is bool(expected)


def _matches_test(variable: str, pattern: re.Pattern[str]) -> Test:
    def test(run: StateRun, data: Any) -> bool:
        value = _present(run, variable, data)
        return isinstance(value, str) and pattern.fullmatch(value) is not None

    return test


def _comparison_test(variable: str, compare: Callable[[Any, Any], bool], expected: Any, is_path: bool) -> Test:
    def test(run: StateRun, data: Any) -> bool:
        value = _present(run, variable, data)
        other = _present(run, expected, data) if is_path else expected
        return compare(value, other)

    return test


def _compiled(state: State) -> list[tuple[Test | None, dict[str, Any]]]:
    if state.compiled is None:
        rules = state.raw.get("Choices") or []
        state.compiled = [(None if state.jsonata else compile_rule(rule), rule) for rule in rules]
    compiled: list[tuple[Test | None, dict[str, Any]]] = state.compiled
    return compiled


async def run_choice(run: StateRun) -> Outcome:
    state = run.state
    if state.jsonata:
        return _run_jsonata(run)
    data = dataflow.effective_input(run)
    chosen: dict[str, Any] | None = None
    for test, rule in _compiled(state):
        if test is not None and test(run, data):
            chosen = rule
            break
    next_state = _next(run, chosen)
    assigned = dataflow.jsonpath_assign(run, state.assign, data) or {}
    if chosen is not None and chosen.get("Assign") is not None:
        assigned.update(dataflow.resolve(run, chosen["Assign"], data))
    return Outcome(dataflow.filter_output(run, data), next_state, assigned or None)


def _run_jsonata(run: StateRun) -> Outcome:
    state = run.state
    chosen: dict[str, Any] | None = None
    for index, rule in enumerate(state.raw.get("Choices") or []):
        condition = dataflow.evaluate(run, rule.get("Condition"), f"Choices[{index}]/Condition")
        if not isinstance(condition, bool):
            raise StatesError(
                "States.QueryEvaluationError",
                run.runtime_prefix()
                + f"The JSONata expression '{rule.get('Condition')}' specified for the field 'Condition' "
                f"returned an unexpected data type. Expected Boolean.",
            )
        if condition:
            chosen = rule
            break
    next_state = _next(run, chosen)
    assigned: dict[str, Any] = {}
    if state.assign is not ABSENT and state.assign is not None:
        assigned.update(dataflow.evaluate(run, state.assign, "Assign"))
    if chosen is not None and chosen.get("Assign") is not None:
        assigned.update(dataflow.evaluate(run, chosen["Assign"], "Assign"))
    if chosen is not None and "Output" in chosen:
        output = dataflow.evaluate(run, chosen["Output"], "Output")
    elif state.output is not ABSENT:
        output = dataflow.evaluate(run, state.output, "Output")
    else:
        output = run.raw_input
    return Outcome(output, next_state, assigned or None)


def _next(run: StateRun, chosen: dict[str, Any] | None) -> str:
    if chosen is not None:
        return str(chosen["Next"])
    default = run.state.raw.get("Default")
    if default is None:
        raise StatesError("States.NoChoiceMatched", f"No Matches! in state '{run.state.name}'")
    return str(default)
