"""Create-time checks of JSONPath paths, Reference Paths and intrinsic function calls.

ASL (JSONPath states) has three kinds of path value:

- a *Path* (``InputPath``, ``OutputPath``, a ``"key.$"`` value): any JSONPath AWS's Jayway engine
  reads, wildcards and filters included;
- a *Reference Path* (``ResultPath``, ``ItemsPath``, a Choice ``Variable``, ``SecondsPath``...): a
  path that can only name one node, so ``.name``, ``['name']`` and ``[index]`` steps only;
- an *intrinsic function* call (``States.Format('{}', $.a)``), allowed where a ``"key.$"`` value is.

Every path starts at ``$`` (the input), ``$$`` (the context object) or ``$name`` (a variable).
These checks say only whether the text is well formed; what a path selects is the evaluator's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from eventyard.workflows.validate_report import Report

INTRINSIC_FUNCTIONS = frozenset(
    {
        "States.Format",
        "States.StringToJson",
        "States.JsonToString",
        "States.Array",
        "States.ArrayPartition",
        "States.ArrayContains",
        "States.ArrayRange",
        "States.ArrayGetItem",
        "States.ArrayLength",
        "States.ArrayUnique",
        "States.Base64Encode",
        "States.Base64Decode",
        "States.Hash",
        "States.JsonMerge",
        "States.MathRandom",
        "States.MathAdd",
        "States.StringSplit",
        "States.UUID",
    }
)

_ROOT = re.compile(r"\$\$|\$[A-Za-z_][A-Za-z0-9_]*|\$")
_DOT_NAME = re.compile(r"[^.\[\]\s()]+(\(\))?")
_REF_NAME = re.compile(r"[^.\[\]*?@()\s]+")
_INDEX_LIST = re.compile(r"\s*-?\d+\s*(,\s*-?\d+\s*)*")
_SLICE = re.compile(r"\s*-?\d*\s*:\s*-?\d*\s*(:\s*-?\d*\s*)?")
_QUOTED_LIST = re.compile(r"\s*('([^'\\]|\\.)*'|\"([^\"\\]|\\.)*\")\s*(,\s*('([^'\\]|\\.)*'|\"([^\"\\]|\\.)*\")\s*)*")
_REF_BRACKET = re.compile(r"\[\s*(\d+|'([^'\\]|\\.)*'|\"([^\"\\]|\\.)*\")\s*\]")


def _balanced_end(text: str, start: int, opening: str, closing: str) -> int:
    """Index just past the bracket that closes the one at ``start``, skipping quoted text; -1 if none."""
    depth = 0
    quote = ""
    index = start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return -1


def _bracket_is_valid(content: str) -> bool:
    stripped = content.strip()
    if stripped == "*":
        return True
    if stripped.startswith("?(") and stripped.endswith(")"):
        return _balanced_end(stripped, 1, "(", ")") == len(stripped)
    if stripped.startswith("(") and stripped.endswith(")"):
        return _balanced_end(stripped, 0, "(", ")") == len(stripped)
    return any(pattern.fullmatch(content) for pattern in (_INDEX_LIST, _SLICE, _QUOTED_LIST))


def is_json_path(text: str) -> bool:
    """A JSONPath as AWS accepts in ``InputPath``, ``OutputPath`` and ``"key.$"`` values."""
    root = _ROOT.match(text)
    if root is None:
        return False
    index = root.end()
    while index < len(text):
        if text.startswith("..", index):
            index += 2
            if index < len(text) and text[index] == "[":
                continue
            if text.startswith("*", index):
                index += 1
                continue
            name = _DOT_NAME.match(text, index)
            if name is None:
                return False
            index = name.end()
        elif text[index] == ".":
            index += 1
            if text.startswith("[", index):  # Jayway reads "$.[0]" as "$[0]"
                continue
            if text.startswith("*", index):
                index += 1
                continue
            name = _DOT_NAME.match(text, index)
            if name is None:
                return False
            index = name.end()
        elif text[index] == "[":
            end = _balanced_end(text, index, "[", "]")
            if end < 0 or not _bracket_is_valid(text[index + 1 : end - 1]):
                return False
            index = end
        else:
            return False
    return True


def is_reference_path(text: str) -> bool:
    """A path that names a single node: only ``.name``, ``['name']`` and ``[index]`` steps."""
    root = _ROOT.match(text)
    if root is None:
        return False
    index = root.end()
    while index < len(text):
        if text.startswith(".[", index):
            index += 1
        elif text[index] == "." and not text.startswith("..", index):
            name = _REF_NAME.match(text, index + 1)
            if name is None:
                return False
            index = name.end()
        elif text[index] == "[":
            bracket = _REF_BRACKET.match(text, index)
            if bracket is None:
                return False
            index = bracket.end()
        else:
            return False
    return True


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_FUNCTION_NAME = re.compile(r"States\.[A-Za-z0-9]+")
_LITERAL_WORD = re.compile(r"(true|false|null)\b")


def _parse_argument(text: str, index: int) -> int:
    """Index just past one intrinsic argument starting at ``index``; -1 when it is malformed."""
    if index >= len(text):
        return -1
    char = text[index]
    if char == "'":
        index += 1
        while index < len(text):
            if text[index] == "\\":
                index += 2
                continue
            if text[index] == "'":
                return index + 1
            index += 1
        return -1
    if char == "$":
        end = index
        depth = 0
        while end < len(text):
            current = text[end]
            if current == "[":
                depth += 1
            elif current == "]":
                depth -= 1
            elif depth == 0 and (current in ",)" or current.isspace()):
                break
            end += 1
        return end if is_json_path(text[index:end]) else -1
    if text.startswith("States.", index):
        return _parse_call(text, index)
    for pattern in (_NUMBER, _LITERAL_WORD):
        match = pattern.match(text, index)
        if match:
            return match.end()
    return -1


def _parse_call(text: str, index: int) -> int:
    """Index just past ``States.Name(arg, ...)`` starting at ``index``; -1 when it is malformed."""
    name = _FUNCTION_NAME.match(text, index)
    if name is None or name.group() not in INTRINSIC_FUNCTIONS:
        return -1
    index = _skip_space(text, name.end())
    if index >= len(text) or text[index] != "(":
        return -1
    index = _skip_space(text, index + 1)
    if index < len(text) and text[index] == ")":
        return index + 1
    while True:
        index = _parse_argument(text, index)
        if index < 0:
            return -1
        index = _skip_space(text, index)
        if index >= len(text):
            return -1
        if text[index] == ")":
            return index + 1
        if text[index] != ",":
            return -1
        index = _skip_space(text, index + 1)


def is_intrinsic_call(text: str) -> bool:
    """A well-formed call of a known ``States.*`` intrinsic function."""
    stripped = text.strip()
    return _parse_call(stripped, 0) == len(stripped)


def is_path_or_intrinsic(value: Any) -> bool:
    return isinstance(value, str) and (is_json_path(value) or is_intrinsic_call(value))


def check_path(report: Report, value: Any, field_name: str, location: str, *, nullable: bool = True) -> None:
    """``InputPath``/``OutputPath``: a JSONPath, or null (which discards the input or output)."""
    if value is None and nullable:
        return
    if not isinstance(value, str) or not is_json_path(value):
        report.schema(f"The value for the field '{field_name}' must be a valid JSONPath", location)


def check_reference_path(report: Report, value: Any, field_name: str, location: str, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str) or not is_reference_path(value):
        report.schema(f"The value for the field '{field_name}' must be a valid Reference Path", location)


def check_payload_template(report: Report, template: Any, location: str) -> None:
    """``Parameters``/``ResultSelector``/``ItemSelector``: every ``"key.$"`` holds a path or intrinsic."""
    if isinstance(template, Mapping):
        for key, value in template.items():
            here = f"{location}/{key}"
            if key.endswith(".$"):
                if not is_path_or_intrinsic(value):
                    report.schema(
                        f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call",
                        here,
                    )
            else:
                check_payload_template(report, value, here)
    elif isinstance(template, list):
        for index, item in enumerate(template):
            check_payload_template(report, item, f"{location}[{index}]")
