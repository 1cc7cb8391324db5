"""variableReferences: which variables each state reads, by the rules AWS-recorded answers show."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eventyard.workflows.variable_references import variable_references


def refs(states: dict[str, Any], **top: Any) -> dict[str, list[str]]:
    return variable_references(json.dumps({"StartAt": next(iter(states)), "States": states, **top}))


def test_paths_templates_and_intrinsics_read_variables() -> None:
    assert refs(
        {
            "S": {
                "Type": "Pass",
                "InputPath": "$input",
                "Parameters": {"a.$": "$x.deep", "b.$": "States.Format('{} {}', $y, $.field)", "c": "$literal"},
                "Assign": {"d.$": "$z"},
                "End": True,
            }
        }
    ) == {"S": ["input", "x", "y", "z"]}


def test_choice_rules_and_wait_paths_read_variables() -> None:
    assert refs(
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"And": [{"Variable": "$guess", "StringEqualsPath": "$answer", "Next": "W"}]}],
                "Default": "W",
            },
            "W": {"Type": "Wait", "SecondsPath": "$delay", "End": True},
        }
    ) == {"C": ["answer", "guess"], "W": ["delay"]}


def test_nested_states_are_listed_flat_and_result_path_is_no_read() -> None:
    assert refs(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$items",
                "MaxConcurrencyPath": "$limit",
                "ResultPath": "$.out",
                "ItemProcessor": {
                    "StartAt": "I",
                    "States": {"I": {"Type": "Pass", "OutputPath": "$inner", "End": True}},
                },
                "End": True,
            }
        }
    ) == {"M": ["items", "limit"], "I": ["inner"]}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("{% $a + $count($b) %}", ["a", "b"]),
        ("{% $map($list, function($v) { $v * $factor }) %}", ["factor", "list"]),
        ("{% ($t := 3; $t + $u) %}", ["u"]),
        ("{% $states.input.x %}", []),
    ],
)
def test_jsonata_expressions_read_their_free_variables(expression: str, expected: list[str]) -> None:
    found = refs({"J": {"Type": "Pass", "Output": {"v": expression}, "End": True}}, QueryLanguage="JSONata")
    assert found == ({"J": expected} if expected else {})


def test_a_machine_that_reads_no_variables_has_none() -> None:
    assert refs({"P": {"Type": "Pass", "Parameters": {"bucket": "$bucket"}, "End": True}}) == {}
    assert variable_references("not json") == {}
