"""Choice rules: operators, composition, type mismatches, missing paths, Default, history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.workflows.conftest import machine, run


def _one_rule(rule: dict[str, Any]) -> dict[str, Any]:
    return machine(
        {
            "C": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"},
            "Yes": {"Type": "Pass", "Result": True, "End": True},
            "No": {"Type": "Pass", "Result": False, "End": True},
        }
    )


@pytest.mark.parametrize(
    ("rule", "data", "expected"),
    [
        ({"Variable": "$.s", "StringEquals": "a"}, {"s": "a"}, True),
        ({"Variable": "$.s", "StringLessThanEquals": "b"}, {"s": "b"}, True),
        ({"Variable": "$.s", "StringGreaterThanPath": "$.t"}, {"s": "b", "t": "a"}, True),
        ({"Variable": "$.s", "StringMatches": "log-*.txt"}, {"s": "log-2024.txt"}, True),
        ({"Variable": "$.s", "StringMatches": "a\\*"}, {"s": "ab"}, False),
        ({"Variable": "$.s", "StringMatches": "a\\\\b*"}, {"s": "a\\bc"}, True),
        ({"Variable": "$.n", "NumericEquals": 1}, {"n": 1.0}, True),
        ({"Variable": "$.n", "NumericGreaterThanEquals": 2}, {"n": True}, False),
        ({"Variable": "$.n", "NumericLessThanPath": "$.m"}, {"n": 1, "m": 2}, True),
        ({"Variable": "$.b", "BooleanEquals": True}, {"b": 1}, False),
        ({"Variable": "$.t", "TimestampLessThan": "2024-01-01T00:00:01Z"}, {"t": "2024-01-01T00:00:00Z"}, True),
        ({"Variable": "$.t", "TimestampEquals": "2024-01-01T01:00:00+01:00"}, {"t": "2024-01-01T00:00:00Z"}, True),
        ({"Variable": "$.t", "TimestampEquals": "2024-01-01T00:00:00Z"}, {"t": "not a time"}, False),
        ({"Variable": "$.x", "IsNull": True}, {"x": None}, True),
        ({"Variable": "$.x", "IsPresent": False}, {}, True),
        ({"Variable": "$.x", "IsNumeric": True}, {"x": "1"}, False),
        ({"Variable": "$.x", "IsString": True}, {"x": "1"}, True),
        ({"Variable": "$.x", "IsBoolean": False}, {"x": 0}, True),
        ({"Variable": "$.x", "IsTimestamp": True}, {"x": "2024-01-01T00:00:00.123Z"}, True),
        ({"Not": {"Variable": "$.x", "StringEquals": "a"}}, {"x": "b"}, True),
        ({"And": [{"Variable": "$.x", "IsPresent": True}, {"Variable": "$.x", "NumericEquals": 3}]}, {"x": 3}, True),
        ({"Or": [{"Variable": "$.x", "NumericEquals": 1}, {"Variable": "$.x", "NumericEquals": 2}]}, {"x": 3}, False),
        ({"Variable": "$v", "StringEquals": "set"}, {}, False),
    ],
)
async def test_choice_rule(rule: dict[str, Any], data: dict[str, Any], expected: bool) -> None:
    definition = _one_rule(rule)
    if rule.get("Variable") == "$v":
        definition["States"] = {"Init": {"Type": "Pass", "Assign": {"v": "other"}, "Next": "C"}, **definition["States"]}
        definition["StartAt"] = "Init"
    result = await run(definition, data)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output is expected


async def test_comparison_on_missing_path_is_a_runtime_error() -> None:
    result = await run(_one_rule({"Variable": "$.ghost", "StringEquals": "a"}), {})
    assert result.error == "States.Runtime"
    assert result.cause is not None and "Invalid path '$.ghost'" in result.cause


async def test_no_match_without_default_fails_with_no_choice_matched() -> None:
    definition = machine(
        {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "D"}]},
            "D": {"Type": "Succeed"},
        }
    )
    result = await run(definition, {"x": 2})
    assert result.error == "States.NoChoiceMatched"
    assert [event["type"] for event in result.history][-2:] == ["ChoiceStateEntered", "ExecutionFailed"]


async def test_choice_history_and_state_level_assign_applies_with_rule_assign_on_top() -> None:
    definition = machine(
        {
            "C": {
                "Type": "Choice",
                "Assign": {"a": 1, "b": 1},
                "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Assign": {"b": 2}, "Next": "D"}],
                "Default": "D",
            },
            "D": {"Type": "Pass", "Parameters": {"a.$": "$a", "b.$": "$b"}, "End": True},
        }
    )
    result = await run(definition, {"x": 1})
    assert result.output == {"a": 1, "b": 2}
    exited = result.history[2]
    assert exited["type"] == "ChoiceStateExited"
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"a": "1", "b": "2"}


async def test_jsonata_condition_must_be_boolean() -> None:
    definition = machine(
        {"C": {"Type": "Choice", "Choices": [{"Condition": "{% 'yes' %}", "Next": "D"}]}, "D": {"Type": "Succeed"}},
        QueryLanguage="JSONata",
    )
    result = await run(definition, {})
    assert result.error == "States.QueryEvaluationError"
