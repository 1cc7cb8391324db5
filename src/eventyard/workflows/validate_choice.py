"""Create-time checks of a Choice state's rules.

ASL: "A Choice state MUST have a Choices field whose value is a non-empty array", each element a
Choice Rule. In a JSONPath state a rule has a ``Variable`` (a Reference Path) and exactly one
comparison operator, or is a Boolean expression (``And``/``Or`` over rules, ``Not`` over one); in a
JSONata state it has a ``Condition`` instead. Top-level rules MUST have a ``Next``; rules nested in
``And``/``Or``/``Not`` MUST NOT.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventyard.workflows.validate_common import check_assign, language_mismatch
from eventyard.workflows.validate_jsonata import check_expressions
from eventyard.workflows.validate_paths import check_reference_path
from eventyard.workflows.validate_report import (
    Report,
    StateContext,
    check_object,
    check_required,
    is_jsonata_string,
    is_number,
)

_COMPARISONS = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")

# Operator name -> the JSON type its operand must have.
OPERATORS: dict[str, str] = {
    **{f"String{name}": "STRING" for name in _COMPARISONS},
    "StringMatches": "STRING",
    **{f"Numeric{name}": "NUMBER" for name in _COMPARISONS},
    "BooleanEquals": "BOOLEAN",
    **{f"Timestamp{name}": "STRING" for name in _COMPARISONS},
    **{f"{kind}{name}Path": "PATH" for kind in ("String", "Numeric", "Timestamp") for name in _COMPARISONS},
    "BooleanEqualsPath": "PATH",
    **{name: "BOOLEAN" for name in ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")},
    "And": "RULES",
    "Or": "RULES",
    "Not": "RULE",
}

_JSONPATH_RULE_FIELDS = frozenset({"Variable", "Comment", *OPERATORS})
_JSONATA_RULE_FIELDS = frozenset({"Condition", "Comment"})
_TOP_RULE_FIELDS = frozenset({"Next", "Assign", "Output"})


def _operand_matches(kind: str, operand: Any) -> bool:
    if kind == "STRING":
        return isinstance(operand, str)
    if kind == "NUMBER":
        return is_number(operand)
    if kind == "BOOLEAN":
        return isinstance(operand, bool)
    return True


def _check_operator(report: Report, rule: Mapping[str, Any], operator: str, location: str) -> None:
    kind = OPERATORS[operator]
    operand = rule[operator]
    here = f"{location}/{operator}"
    if kind == "PATH":
        check_reference_path(report, operand, operator, here)
    elif kind == "RULES":
        if not isinstance(operand, list):
            report.wrong_type("ARRAY", here)
        elif not operand:
            report.schema("Value cannot be empty", here)
        else:
            for index, nested in enumerate(operand):
                _check_jsonpath_rule(report, nested, f"{here}[{index}]", top=False)
    elif kind == "RULE":
        _check_jsonpath_rule(report, operand, here, top=False)
    elif not _operand_matches(kind, operand):
        report.wrong_type(kind, here)
    if "Variable" not in rule and kind not in ("RULES", "RULE"):
        report.required(["Variable"], location)


def _check_jsonpath_rule(report: Report, rule: Any, location: str, *, top: bool) -> None:
    if not check_object(report, rule, location):
        return
    allowed = _JSONPATH_RULE_FIELDS | (_TOP_RULE_FIELDS if top else frozenset())
    for name in rule:
        if name == "Condition" or (name == "Output" and top):
            language_mismatch(report, False, name, location)
        elif name not in allowed:
            report.unsupported(name, location)
    operators = [name for name in rule if name in OPERATORS]
    if len(operators) > 1:
        report.only_one(operators, location)
    elif not operators:
        report.exactly_one(sorted(OPERATORS), location)
    else:
        _check_operator(report, rule, operators[0], location)
    if "Variable" in rule:
        check_reference_path(report, rule["Variable"], "Variable", f"{location}/Variable")


def _check_jsonata_rule(report: Report, rule: Mapping[str, Any], location: str) -> None:
    for name in rule:
        if name == "Variable" or name in OPERATORS:
            language_mismatch(report, True, name, location)
        elif name not in _JSONATA_RULE_FIELDS | _TOP_RULE_FIELDS:
            report.unsupported(name, location)
    if check_required(report, rule, ("Condition",), location):
        condition = rule["Condition"]
        if is_jsonata_string(condition):
            check_expressions(report, condition, f"{location}/Condition")
        elif not isinstance(condition, bool):
            report.schema("JSONata string must start with {% and end with %}", f"{location}/Condition")
    if "Output" in rule:
        check_expressions(report, rule["Output"], f"{location}/Output")


def check_choice(context: StateContext) -> None:
    """Choices (non-empty, each rule well formed, each with a Next) and an optional Default."""
    state, report = context.state, context.report
    if "Default" in state and not isinstance(state["Default"], str):
        report.wrong_type("STRING", context.at("Default"))
    if not check_required(report, state, ("Choices",), context.location):
        return
    rules = state["Choices"]
    if not isinstance(rules, list):
        report.wrong_type("ARRAY", context.at("Choices"))
        return
    if not rules:
        report.schema("Value cannot be empty", context.at("Choices"))
    for index, rule in enumerate(rules):
        location = context.at(f"Choices[{index}]")
        if not check_object(report, rule, location):
            continue
        if context.jsonata:
            _check_jsonata_rule(report, rule, location)
        else:
            _check_jsonpath_rule(report, rule, location, top=True)
        if check_required(report, rule, ("Next",), location) and not isinstance(rule["Next"], str):
            report.wrong_type("STRING", f"{location}/Next")
        if "Assign" in rule:
            check_assign(context, rule["Assign"], f"{location}/Assign")
