"""Create-time checks of the JSONata expressions (``{% ... %}``) in JSONata states.

AWS parses every expression when the state machine is created. One that does not parse is
refused with ``INVALID_JSONATA_EXPRESSION`` and the JSONata parser's own message (without its
``S0xxx`` code), located at the field that holds it: ``/States/E/Output/v``. One that reads what
a Step Functions expression has no access to is refused with ``UNSUPPORTED_JSONATA_EXPRESSION``:
there is no context item (the input is ``$states.input``), so a bare name or ``$`` at the top
level, and ``$$`` anywhere, cannot be read. A string not wrapped in ``{% %}`` is a literal.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import jsonata

from eventyard.workflows.validate_report import (
    INVALID_JSONATA_EXPRESSION,
    UNSUPPORTED_JSONATA_EXPRESSION,
    Report,
    is_jsonata_string,
)

_PLACEHOLDER = re.compile(r"\{\{\w+\}\}")
_ERROR_CODE = re.compile(r"^[A-Z]\d{4}: ")


def _parse_message(error: Exception) -> str:
    """The parser's message as jsonata-js words it: token values in JSON quotes, no error code.

    jsonata-python drops the quotes jsonata-js puts around ``{{token}}`` and ``{{value}}``
    (``Expected ], got ,``), and AWS reports the jsonata-js text (``Expected "]", got ","``).
    """
    code = getattr(error, "error", None)
    template = jsonata.JException.error_codes.get(code) if isinstance(code, str) else None
    if not isinstance(template, str) or "{{{" in template:
        return _ERROR_CODE.sub("", str(error))
    filled = iter([getattr(error, "current", None), getattr(error, "expected", None)])

    def quote(_: re.Match[str]) -> str:
        value = next(filled, None)
        return json.dumps(value) if isinstance(value, str) else str(value)

    return _PLACEHOLDER.sub(quote, template)


def _own_syntax_check(expression: str) -> str | None:
    try:
        jsonata.Jsonata(expression)
    except Exception as error:  # jsonata-python raises JException, and plain errors on odd input
        return _parse_message(error)
    return None


def _syntax_checker() -> Callable[[str], str | None]:
    """The expressions module's ``check_syntax`` when it is there, else a parse with jsonata-python."""
    try:
        module = importlib.import_module("eventyard.workflows.jsonata")
    except ImportError:
        return _own_syntax_check
    checker = getattr(module, "check_syntax", None)
    return checker if callable(checker) else _own_syntax_check


@functools.lru_cache(maxsize=4096)
def check_syntax(expression: str) -> str | None:
    """None when ``expression`` (the text between ``{%`` and ``%}``) parses, else AWS's message for it.

    The verdict is the expressions module's; the wording is jsonata-js's, which AWS reports: token
    values in JSON quotes and no ``S0xxx:`` code in front.
    """
    try:
        verdict = _syntax_checker()(expression)
    except NotImplementedError:  # the expressions module is still a stub
        verdict = _own_syntax_check(expression)
    if verdict is None:
        return None
    return _own_syntax_check(expression) or _ERROR_CODE.sub("", verdict)


# The attributes of a jsonata-python AST node that hold sub-expressions.
_CHILDREN = (
    "lhs",
    "rhs",
    "expr",
    "expression",
    "expressions",
    "arguments",
    "procedure",
    "condition",
    "then",
    "_else",
    "stages",
    "predicate",
    "group",
    "lhs_object",
    "rhs_object",
    "terms",
    "pattern",
    "update",
    "delete",
)


def ast_children(node: Any) -> list[Any]:
    """The sub-expressions of a jsonata-python AST node."""
    found: list[Any] = []
    for name in _CHILDREN:
        value = getattr(node, name, None)
        for item in value if isinstance(value, list) else [value]:
            found.extend(item if isinstance(item, list) else [item])
    return [child for child in found if hasattr(child, "type")]


def _collect_references(node: Any, top: bool, found: list[str]) -> None:
    """Add to ``found`` the references AWS refuses in ``node``; ``top`` says whether ``node`` is read
    with no context item (outside any path step, predicate or function body)."""

    def note(reference: str) -> None:
        if reference not in found:
            found.append(reference)

    kind = getattr(node, "type", None)
    if kind == "variable" and node.value == "$":
        note("$$")
    elif kind == "variable" and node.value == "" and top:
        note("$")
    elif kind == "name" and top:
        note(str(node.value))
    elif kind == "path":
        steps = node.steps or []
        if top and [(getattr(step, "type", None), step.value) for step in steps[:2]] == [
            ("variable", "states"),
            ("name", "errorOutput"),
        ]:
            note("$states.errorOutput")
        for index, step in enumerate(steps):
            _collect_references(step, top and index == 0, found)
        return
    elif kind == "lambda":
        _collect_references(node.body, False, found)
        return
    if kind in ("name", "variable"):
        for stage in getattr(node, "stages", None) or []:
            _collect_references(stage, False, found)
        return
    for child in ast_children(node):
        _collect_references(child, top, found)


@functools.lru_cache(maxsize=4096)
def unsupported_references(expression: str) -> tuple[str, ...]:
    """The references AWS refuses in a parseable expression (``phone``, ``$``, ``$$``), first seen first."""
    try:
        tree = jsonata.Jsonata(expression).ast
    except Exception:  # a syntax error is reported on its own
        return ()
    found: list[str] = []
    _collect_references(tree, True, found)
    return tuple(found)


def _reference_message(reference: str) -> str:
    if reference == "$$":
        return "Reference to '$$' is not supported."
    if reference == "$states.errorOutput":
        return "Field '$states.errorOutput' does not exist."
    return f"Reference to '{reference}' at the top level is not supported."


def check_expressions(report: Report, value: Any, location: str, *, in_catcher: bool = False) -> None:
    """Check every ``{% %}`` string in ``value`` (walking objects and arrays) where AWS would.

    ``in_catcher`` is set for a catcher's own Output and Assign, the one place ``$states.errorOutput``
    exists.
    """
    if isinstance(value, str):
        if is_jsonata_string(value):
            expression = value[2:-2].strip()
            message = check_syntax(expression)
            if message is not None:
                report.add(INVALID_JSONATA_EXPRESSION, message, location)
                return
            for reference in unsupported_references(expression):
                if not (in_catcher and reference == "$states.errorOutput"):
                    report.add(UNSUPPORTED_JSONATA_EXPRESSION, _reference_message(reference), location)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_expressions(report, item, f"{location}/{key}", in_catcher=in_catcher)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_expressions(report, item, f"{location}[{index}]", in_catcher=in_catcher)
