"""JSONata as Step Functions runs it: $states, variables, AWS's added functions, and its failures."""

from __future__ import annotations

import re

import pytest

from eventyard.workflows.errors import StatesError
from eventyard.workflows.jsonata import check_syntax, evaluate, evaluate_template, is_expression

INPUT = {"items": [{"name": "pen", "price": 2}, {"name": "cup", "price": 8}], "a": 20, "bar": None, "empty": []}
CONTEXT = {"State": {"Name": "Ctx"}, "StateMachine": {"Name": "conf-1a2b"}, "Execution": {"Input": {"k": [1]}}}
STATES = {"input": INPUT, "context": CONTEXT}


def value(expression: str, variables: dict | None = None, states: dict | None = None) -> object:
    return evaluate("{% " + expression + " %}", states=states or STATES, variables=variables, field="Output")


def failure(expression: str, variables: dict | None = None) -> StatesError:
    with pytest.raises(StatesError) as caught:
        value(expression, variables)
    assert caught.value.error == "States.QueryEvaluationError"
    return caught.value


def test_recognises_expression_strings():
    assert is_expression("{% $states.input %}")
    assert not is_expression("plain text")
    assert not is_expression("{% unclosed")
    assert not is_expression(5)


def test_states_input_and_context_are_bound():
    assert value("$sum($states.input.items.price)") == 10
    assert value("$states.input.items.name") == ["pen", "cup"]
    assert value("$count($states.input.items)") == 2
    assert value("$states.input.a * 2 + 1") == 41
    assert value("$states.context.State.Name") == "Ctx"
    assert value("$states.context.Execution.Input") == {"k": [1]}
    assert value("$substringBefore($states.context.StateMachine.Name, '-')") == "conf"


def test_variables_are_bound_by_name():
    assert value("$limit", {"limit": 5}) == 5
    assert value("$states.input.a > $limit", {"limit": 5}) is True
    assert value("$a & '-' & $b", {"a": "x", "b": "fixed"}) == "x-fixed"


def test_json_null_stays_a_value():
    assert value("$states.input.bar") is None
    assert value("$v", {"v": None}) is None
    assert value('{"v": $states.input.bar}') == {"v": None}
    assert value("$states.input") == INPUT


def test_error_output_is_reachable():
    states = {"input": {"id": 5}, "errorOutput": {"Error": "Oops", "Cause": "bad"}}
    assert evaluate("{% $states.errorOutput.Error %}", states=states) == "Oops"


def test_aws_added_functions():
    assert value("$partition([1,2,3,4,5], 2)") == [[1, 2], [3, 4], [5]]
    assert value("$range(0, 10, 5)") == [0, 5, 10]
    assert value("$range(3, 3, 1)") == 3
    assert value("$hash('abc', 'SHA-256')") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert value("$parse('{\"k\":[1,2]}')") == {"k": [1, 2]}
    assert re.fullmatch(r"[0-9a-f-]{36}", value("$uuid()"))  # type: ignore[arg-type]


def test_random_is_a_fraction_and_repeatable_with_a_seed():
    unseeded = value("$random()")
    assert isinstance(unseeded, float)
    assert 0 <= unseeded < 1
    assert value("$random(7)") == value("$random(7)")


def test_added_functions_yield_nothing_for_degenerate_arguments():
    failure("$partition([1,2], 0)")
    failure("$range(0, 10)")
    failure("$range(10, 0, 1)")
    failure("$hash('abc')")


def test_eval_is_not_available():
    assert "T1006" in failure("$eval('1')").cause


def test_undefined_result_names_the_expression_and_field():
    error = failure("$states.input.missing")
    assert error.cause == (
        "The JSONata expression '$states.input.missing' specified for the field 'Output' returned nothing (undefined)."
    )


def test_type_error_is_query_evaluation_error_with_the_jsonata_code():
    error = failure("$states.input.a + 'two'")
    assert error.cause.startswith(
        "The JSONata expression '$states.input.a + 'two'' specified for the field 'Output' threw an error "
        "during evaluation. T2002:"
    )


def test_division_by_zero_is_query_evaluation_error():
    failure("1/0")


def test_template_evaluates_every_expression_and_keeps_literals():
    template = {
        "total": "{% $sum($states.input.items.price) %}",
        "literal": "plain text",
        "nested": {"list": [1, "{% $states.input.a %}"], "n": 3},
    }
    assert evaluate_template(template, states=STATES) == {
        "total": 10,
        "literal": "plain text",
        "nested": {"list": [1, 20], "n": 3},
    }


def test_template_may_be_a_single_expression_of_any_type():
    assert evaluate_template("{% $states.input.a * 2 + 1 %}", states=STATES) == 41
    assert evaluate_template("grade-B", states=STATES) == "grade-B"


def test_template_names_nested_fields_in_errors():
    with pytest.raises(StatesError) as caught:
        evaluate_template({"a": {"b": [0, "{% $nope %}"]}}, states=STATES, field="Arguments")
    assert caught.value.cause == (
        "The JSONata expression '$nope' specified for the field 'Arguments/a/b[1]' returned nothing (undefined)."
    )


def test_assign_values_see_variables_as_on_entry():
    variables = {"a": "left", "b": "right"}
    assert evaluate_template(
        {"a": "{% $b %}", "b": "{% $a %}"}, states=STATES, variables=variables, field="Assign"
    ) == {
        "a": "right",
        "b": "left",
    }


def test_check_syntax_reports_parse_errors():
    assert check_syntax("{% $states.input.a + 1 %}") is None
    message = check_syntax("{% a[1,2) %}")
    assert message is not None
    assert message.startswith("S0202")


def test_a_cached_expression_keeps_its_time_limit_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The library starts the 5 s limit when an expression is compiled; cached, it must restart per run."""
    from jsonata import timebox

    assert evaluate("{% 20 + 22 %}", states={}) == 42
    later = timebox.Timebox.current_milli_time() + 60_000
    monkeypatch.setattr(timebox.Timebox, "current_milli_time", staticmethod(lambda: later))
    assert evaluate("{% 20 + 22 %}", states={}) == 42
