"""``variableReferences``: which workflow variables each state reads (DescribeStateMachine and
DescribeStateMachineForExecution show it).

AWS-recorded answers show the rules: a map of state name (states of Parallel branches and Map
processors included, flat) to the sorted names of the variables the state reads; states that read
none are left out, and a machine that reads none has no ``variableReferences`` at all.

- JSONPath states read a variable where a path is expected and the path starts with ``$name``:
  the ``*Path`` fields (InputPath, OutputPath, ItemsPath, SecondsPath, ErrorPath...), a Choice
  rule's ``Variable`` and ``...Path`` operands, values of ``.$`` keys in payload templates
  (Parameters, ResultSelector, ItemSelector, Assign...), and the arguments of intrinsic functions.
  A plain string ``"$bucket"`` under a key without ``.$`` is a literal, not a reference.
- JSONata states read the ``$name`` variables of their ``{% %}`` expressions, other than
  ``$states``, the functions they call and the names the expression binds itself.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import jsonata
import orjson

from eventyard.workflows.intrinsics import Call, IntrinsicSyntaxError, PathArgument, is_intrinsic, parse_intrinsic
from eventyard.workflows.validate_jsonata import ast_children

_VARIABLE_PATH = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)")
_NESTED = frozenset({"Branches", "ItemProcessor", "Iterator"})
_PATH_FIELDS = frozenset(
    {
        "InputPath",
        "OutputPath",
        "ItemsPath",
        "SecondsPath",
        "TimestampPath",
        "ErrorPath",
        "CausePath",
        "MaxConcurrencyPath",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentagePath",
        "TimeoutSecondsPath",
        "HeartbeatSecondsPath",
        "MaxItemsPath",
        "MaxItemsPerBatchPath",
        "MaxInputBytesPerBatchPath",
        "Variable",
    }
)


#: Answers by a digest of the definition, so that a cache of large definitions holds no definition text.
_ANSWERS: OrderedDict[bytes, dict[str, list[str]]] = OrderedDict()
_CACHED = 256


def variable_references(definition: str) -> dict[str, list[str]]:
    """The ``variableReferences`` of a (valid) definition's text; {} when nothing reads a variable."""
    key = hashlib.blake2b(definition.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    found = _ANSWERS.get(key)
    if found is None:
        found = _ANSWERS[key] = _references(definition)
        if len(_ANSWERS) > _CACHED:
            _ANSWERS.popitem(last=False)
    else:
        _ANSWERS.move_to_end(key)
    return {name: list(names) for name, names in found.items()}


def _references(definition: str) -> dict[str, list[str]]:
    try:
        machine = orjson.loads(definition)
    except orjson.JSONDecodeError:
        return {}
    found: dict[str, set[str]] = {}
    if isinstance(machine, dict):
        _scope(machine, machine.get("QueryLanguage") == "JSONata", found)
    return {name: sorted(names) for name, names in found.items() if names}


def _scope(scope: dict[str, Any], jsonata_default: bool, found: dict[str, set[str]]) -> None:
    states = scope.get("States")
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        language = state.get("QueryLanguage")
        uses_jsonata = language == "JSONata" if language is not None else jsonata_default
        names = found.setdefault(name, set())
        for key, value in state.items():
            if key not in _NESTED:
                names.update(_jsonata_reads(value) if uses_jsonata else _jsonpath_reads(key, value))
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                _scope(branch, uses_jsonata, found)
        processor = state.get("ItemProcessor", state.get("Iterator"))
        if isinstance(processor, dict):
            _scope(processor, uses_jsonata, found)


# --- JSONPath ------------------------------------------------------------------------------------------


def _jsonpath_reads(key: str, value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if key in _PATH_FIELDS or key.endswith(".$") or (key.endswith("Path") and key not in ("ResultPath",)):
            yield from _path_reads(value)
    elif isinstance(value, dict):
        for inner_key, inner in value.items():
            yield from _jsonpath_reads(inner_key, inner)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                yield from _jsonpath_reads("", item)


def _path_reads(text: str) -> Iterator[str]:
    if is_intrinsic(text):
        try:
            yield from _call_reads(parse_intrinsic(text))
        except IntrinsicSyntaxError:
            return
        return
    match = _VARIABLE_PATH.match(text)
    if match:
        yield match.group(1)


def _call_reads(call: Call) -> Iterator[str]:
    for argument in call.arguments:
        if isinstance(argument, Call):
            yield from _call_reads(argument)
        elif isinstance(argument, PathArgument):
            match = _VARIABLE_PATH.match(argument.path)
            if match:
                yield match.group(1)


# --- JSONata -------------------------------------------------------------------------------------------


def _jsonata_reads(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith("{%") and value.endswith("%}"):
            yield from _expression_reads(value[2:-2].strip())
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _jsonata_reads(inner)
    elif isinstance(value, list):
        for item in value:
            yield from _jsonata_reads(item)


@functools.lru_cache(maxsize=4096)
def _expression_reads(expression: str) -> tuple[str, ...]:
    try:
        tree = jsonata.Jsonata(expression).ast
    except Exception:  # a definition that passed validation parses; anything else reads nothing
        return ()
    read: set[str] = set()
    bound: set[str] = set()
    called: set[int] = set()
    _walk(tree, read, bound, called)
    return tuple(sorted(read - bound - {"states", "", "$"}))


def _walk(node: Any, read: set[str], bound: set[str], called: set[int]) -> None:
    kind = getattr(node, "type", None)
    if kind == "function" and getattr(getattr(node, "procedure", None), "type", None) == "variable":
        called.add(id(node.procedure))
    elif kind == "lambda":
        bound.update(str(argument.value) for argument in getattr(node, "arguments", None) or [])
        _walk(node.body, read, bound, called)
        return
    elif kind == "bind" and getattr(node.lhs, "type", None) == "variable":
        bound.add(str(node.lhs.value))
    if kind == "variable" and id(node) not in called:
        read.add(str(node.value))
    for child in ast_children(node):
        _walk(child, read, bound, called)
    for step in getattr(node, "steps", None) or []:
        _walk(step, read, bound, called)
