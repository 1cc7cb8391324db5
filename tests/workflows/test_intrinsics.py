"""The 18 intrinsic functions: AWS's results, Java's number formatting, and AWS's failures."""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from eventyard.workflows.errors import StatesError
from eventyard.workflows.intrinsics import (
    IntrinsicError,
    JavaRandom,
    check_intrinsic,
    evaluate_intrinsic,
    is_intrinsic,
    java_json,
    java_number,
    parse_intrinsic,
)
from eventyard.workflows.paths import resolve_payload

CASES = pathlib.Path(__file__).parents[1] / "conformance" / "cases" / "workflows" / "intrinsics.json"


def run(expression: str, data: object = None, **kwargs: object) -> object:
    return evaluate_intrinsic(expression, {} if data is None else data, **kwargs)  # type: ignore[arg-type]


def fails(expression: str, data: object = None) -> IntrinsicError:
    with pytest.raises(IntrinsicError) as caught:
        run(expression, data)
    assert caught.value.error == "States.Runtime"
    return caught.value


def _single_pass_cases() -> list[dict]:
    cases = []
    for case in json.loads(CASES.read_text()):
        states = case["definition"]["States"]
        state = states[case["definition"]["StartAt"]]
        if len(states) == 1 and state["Type"] == "Pass" and "Parameters" in state:
            cases.append(case)
    return cases


@pytest.mark.parametrize("case", _single_pass_cases(), ids=lambda case: case["name"])
def test_conformance_case_parameters(case: dict) -> None:
    """Each shared intrinsics case is a Pass state whose output is its resolved Parameters."""
    parameters = case["definition"]["States"][case["definition"]["StartAt"]]["Parameters"]
    if case["expect"]["status"] == "SUCCEEDED":
        assert resolve_payload(parameters, case["input"], context={}) == case["expect"]["output"]
    else:
        with pytest.raises(StatesError):
            resolve_payload(parameters, case["input"], context={})


def test_recognises_intrinsic_calls_but_not_paths():
    assert is_intrinsic("States.Format('{}', $.a)")
    assert is_intrinsic("States.UUID()")
    assert not is_intrinsic("$.States")
    assert not is_intrinsic("States")
    assert not is_intrinsic(42)


def test_expressions_are_parsed_once():
    assert parse_intrinsic("States.Array(1, 2)") is parse_intrinsic("States.Array(1, 2)")


# --- States.Format --------------------------------------------------------------------------------


def test_format_renders_strings_numbers_null_and_booleans():
    assert run(
        "States.Format('{}|{}|{}|{}|{}', $.s, $.i, $.f, $.n, $.b)", {"s": "x", "i": 25, "f": 2.5, "n": None, "b": True}
    ) == ("x|25|2.5|null|true")


def test_format_prints_doubles_like_java():
    assert run("States.Format('{} {} {}', $.a, $.b, $.c)", {"a": 100.0, "b": 1e7, "c": 1.5e-5}) == "100.0 1.0E7 1.5E-5"


def test_format_renders_objects_the_way_java_prints_a_map():
    """AWS-recorded: localstack test_generic.snapshot.json test_format_2 (``{Arg1=1, Arg2=[]}``) and
    test_context_json_path (``$$.StateMachine`` as ``{Id=arn:..., Name=...}``)."""
    assert run("States.Format('v={}', $.o)", {"o": {"Arg1": 1, "Arg2": []}}) == "v={Arg1=1, Arg2=[]}"
    assert run("States.Format('v={}', $.o)", {"o": {"k": [1, "a", {"n": None}], "f": 2.5}}) == (
        "v={k=[1, a, {n=null}], f=2.5}"
    )
    assert run("States.Format('{}', $$.StateMachine)", {}, context={"StateMachine": {"Id": "arn", "Name": "m"}}) == (
        "{Id=arn, Name=m}"
    )


def test_format_unescapes_reserved_characters():
    assert run("States.Format('It\\'s {} \\{ok\\} \\\\', $.who)", {"who": "Bo"}) == "It's Bo {ok} \\"


def test_format_template_may_come_from_a_path():
    assert run("States.Format($.tpl, 1)", {"tpl": "n={}"}) == "n=1"


def test_format_with_wrong_argument_count_fails():
    assert "Invalid arguments in States.Format" in fails("States.Format('{} {}', 1)").fragment
    fails("States.Format('{}', 1, 2)")


# --- JSON ------------------------------------------------------------------------------------------


def test_string_to_json_parses_any_json_value():
    assert run("States.StringToJson($.raw)", {"raw": '{"a":[1,2],"b":null}'}) == {"a": [1, 2], "b": None}
    assert run("States.StringToJson($.raw)", {"raw": " 123 "}) == 123


def test_string_to_json_of_an_empty_string_is_null():
    assert run("States.StringToJson($.raw)", {"raw": ""}) is None


def test_string_to_json_rejects_bad_json_and_non_strings():
    error = fails("States.StringToJson($.bad)", {"bad": "{not json"})
    assert error.fragment == (
        "The function 'States.StringToJson($.bad)' had the following error: Invalid arguments in States.StringToJson"
    )
    fails("States.StringToJson($.n)", {"n": 5})


def test_json_to_string_is_compact_and_java_formatted():
    assert run("States.JsonToString($.o)", {"o": {"k": "v", "n": [1, 2], "f": 1e20, "u": "é"}}) == (
        '{"k":"v","n":[1,2],"f":1.0E20,"u":"é"}'
    )


def test_json_merge_is_shallow_and_right_wins():
    data = {"l": {"a": {"x": 1}, "b": 1}, "r": {"a": {"y": 2}, "c": 3}}
    assert run("States.JsonMerge($.l, $.r, false)", data) == {"a": {"y": 2}, "b": 1, "c": 3}


def test_json_merge_deep_mode_and_non_objects_fail():
    fails("States.JsonMerge($.l, $.r, true)", {"l": {}, "r": {}})
    fails("States.JsonMerge($.l, $.r, false)", {"l": [], "r": {}})


# --- arrays ----------------------------------------------------------------------------------------


def test_array_collects_literals_paths_and_null():
    assert run("States.Array('tag', 7, $.meta, null, true, -1.5)", {"meta": {"m": 1}}) == [
        "tag",
        7,
        {"m": 1},
        None,
        True,
        -1.5,
    ]
    assert run("States.Array()") == []


def test_array_partition_keeps_the_remainder_last():
    assert run("States.ArrayPartition($.n, 3)", {"n": [1, 2, 3, 4, 5, 6, 7]}) == [[1, 2, 3], [4, 5, 6], [7]]
    assert run("States.ArrayPartition($.n, 2)", {"n": []}) == []
    fails("States.ArrayPartition($.n, 0)", {"n": [1]})
    fails("States.ArrayPartition($.n, 0.49)", {"n": [1]})


def test_array_contains_compares_json_values():
    data = {"l": ["a", {"k": [1]}, 2]}
    assert run("States.ArrayContains($.l, 'a')", data) is True
    assert run("States.ArrayContains($.l, $.v)", {**data, "v": {"k": [1]}}) is True
    assert run("States.ArrayContains($.l, 'z')", data) is False


def test_array_range_is_inclusive_when_the_end_is_hit():
    assert run("States.ArrayRange(2, 11, 3)") == [2, 5, 8, 11]
    assert run("States.ArrayRange(1, 9, 2)") == [1, 3, 5, 7, 9]
    assert run("States.ArrayRange(5, 1, -2)") == [5, 3, 1]
    assert run("States.ArrayRange(3, 3, -1)") == [3]
    assert run("States.ArrayRange(5, 1, 1)") == []


def test_array_range_truncates_fractions_like_aws():
    assert run("States.ArrayRange(1.6, 1.4, 1)") == [1]
    assert run("States.ArrayRange(5.4, -0.6, -2.4)") == [5, 3, 1]


def test_array_range_limits_and_zero_step():
    assert len(run("States.ArrayRange(1, 1000, 1)")) == 1000  # type: ignore[arg-type]
    fails("States.ArrayRange(1, 1001, 1)")
    fails("States.ArrayRange(1, 10, 0)")
    fails("States.ArrayRange('a', 5, 1)")


def test_array_get_item_length_and_unique():
    data = {"a": ["p", "q", "r", "s"], "v": [1, 2, 2, 3, 1, 4, {"x": 1, "y": 2}, {"y": 2, "x": 1}]}
    assert run("States.ArrayGetItem($.a, 2)", data) == "r"
    assert run("States.ArrayLength($.a)", data) == 4
    assert run("States.ArrayUnique($.v)", data) == [1, 2, 3, 4, {"x": 1, "y": 2}]
    fails("States.ArrayGetItem($.a, 4)", data)
    fails("States.ArrayLength($.x)", {"x": "abc"})


# --- encoding, hashing -----------------------------------------------------------------------------


def test_base64_round_trip():
    assert run("States.Base64Encode($.t)", {"t": "Step Functions rock"}) == "U3RlcCBGdW5jdGlvbnMgcm9jaw=="
    assert run("States.Base64Decode($.b)", {"b": "Y29uZm9ybWFuY2U="}) == "conformance"


def test_base64_limits_and_bad_input():
    fails("States.Base64Encode($.t)", {"t": "x" * 10001})
    fails("States.Base64Decode($.b)", {"b": "!!!"})


def test_hash_algorithms_give_lowercase_hex():
    data = {"d": "conformance data"}
    assert run("States.Hash($.d, 'MD5')", data) == "435a1067c89ee255cb7c0944f2bd2647"
    assert run("States.Hash($.d, 'SHA-1')", data) == "6d04974285a16ff77416c95983c9f1d91241aade"
    assert run("States.Hash($.d, 'SHA-256')", data) == (
        "c0e2cd7cca80d6ce45a03036f42d127cc73f4f3d6ddee8ac0caac24e740dac0f"
    )
    assert len(run("States.Hash($.d, 'SHA-384')", data)) == 96  # type: ignore[arg-type]
    assert len(run("States.Hash($.d, 'SHA-512')", data)) == 128  # type: ignore[arg-type]
    fails("States.Hash($.d, 'sha-256')", data)


# --- math, strings, ids ----------------------------------------------------------------------------


def test_math_add_rounds_operands_and_stays_in_int32():
    assert run("States.MathAdd($.x, -10)", {"x": 7}) == -3
    assert run("States.MathAdd($.a, $.b)", {"a": 1.6, "b": 2.7}) == 5
    assert run("States.MathAdd(2147483646, 1)") == 2147483647
    fails("States.MathAdd(2147483647, 1)")
    fails("States.MathAdd(3000000000, 1)")
    fails("States.MathAdd('1', 2)")
    fails("States.MathAdd(true, 1)")


def test_math_random_is_in_range_and_repeatable_with_a_seed():
    values = {run("States.MathRandom(1, 4)") for _ in range(50)}
    assert values <= {1, 2, 3}
    seeded = run("States.MathRandom(0, 1000, 42)")
    assert seeded == run("States.MathRandom(0, 1000, 42)")
    assert seeded == JavaRandom(42).next_int(1000)
    fails("States.MathRandom(1.4, 1.6)")


def test_java_random_matches_the_jvm_sequence():
    generator = JavaRandom(42)
    first = generator._next(32)
    assert first - (1 << 32) == -1170105035  # new java.util.Random(42).nextInt()


def test_string_split_treats_the_delimiter_as_a_character_set():
    assert run("States.StringSplit($.s, ',')", {"s": "red,green,blue"}) == ["red", "green", "blue"]
    assert run("States.StringSplit($.s, '-_')", {"s": "a-b_c"}) == ["a", "b", "c"]
    assert run("States.StringSplit($.s, ',')", {"s": "a,,b,"}) == ["a", "b"]


def test_uuid_is_a_version_4_uuid():
    value = run("States.UUID()")
    assert isinstance(value, str)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)


# --- nesting, paths, errors ------------------------------------------------------------------------


def test_nested_calls_and_context_paths():
    data = {"path": "a/b/c", "tags": ["x", "y"]}
    expression = (
        "States.Format('{}-{}', States.ArrayGetItem(States.StringSplit($.path, '/'), 1), States.ArrayLength($.tags))"
    )
    assert run(expression, data) == "b-2"
    context = {"Execution": {"Id": "arn:aws:states:us-east-1:000000000000:execution:m:e"}}
    assert run("States.ArrayGetItem(States.StringSplit($$.Execution.Id, ':'), 5)", data, context=context) == "execution"


def test_variables_are_arguments_too():
    assert run("States.Format('{} {}', $greeting, $who)", {}, variables={"greeting": "hi", "who": "Bo"}) == "hi Bo"


def test_missing_path_argument_names_the_whole_expression_and_the_input():
    error = fails("States.Format('{}', States.Format('{}', $.nope))", {"other": 1})
    assert error.fragment == (
        "The function 'States.Format('{}', States.Format('{}', $.nope))' had the following error: "
        "The JsonPath argument for the field '$.nope' could not be found in the input '{\"other\":1}'"
    )


def test_index_past_the_end_is_a_missing_argument():
    fails("States.Format('{}', $.items[5])", {"items": [1, 2]})


def test_wildcard_that_matches_nothing_is_an_empty_array():
    assert run("States.ArrayLength($.items[*].nope)", {"items": [1, 2]}) == 0


def test_explicit_null_argument_is_not_missing():
    assert run("States.Format('{}', $.n)", {"n": None}) == "null"


def test_check_intrinsic_reports_syntax_names_and_arity():
    assert check_intrinsic("States.Format('{}', $.a)") is None
    assert check_intrinsic("States.Nope(1)") is not None
    assert check_intrinsic("States.MathAdd(1)") is not None
    assert check_intrinsic("States.Format('unterminated)") is not None
    nested = "States.Array(" * 11 + ")" * 11
    assert check_intrinsic(nested) is not None


def test_java_number_and_json_formatting():
    assert [java_number(v) for v in (3, 2.5, 100.0, 0.001, 1e-4, 1e7, -3.25e10, 0.0)] == [
        "3",
        "2.5",
        "100.0",
        "0.001",
        "1.0E-4",
        "1.0E7",
        "-3.25E10",
        "0.0",
    ]
    assert java_json({"a": [1, 2.0, None, True, 'q"u']}) == '{"a":[1,2.0,null,true,"q\\"u"]}'
