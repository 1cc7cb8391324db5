"""AWS's JSONPath dialect: selection, payload templates and ResultPath, with Jayway's semantics and messages."""

from __future__ import annotations

import pytest

from eventyard.workflows.errors import StatesError
from eventyard.workflows.paths import (
    PathError,
    apply_result_path,
    check_path,
    compile_path,
    resolve_payload,
    select,
)

ITEMS = {
    "items": [{"name": "pen", "price": 0}, {"name": "lamp", "price": 30}, {"name": "cup", "price": 0}],
    "order": {"id": "o-1", "lines": ["x", "y"]},
    "text": "plain",
    "count": 3,
}


# --- selecting -------------------------------------------------------------------------------------


def test_dollar_alone_selects_the_whole_input():
    assert select("$", ITEMS) is ITEMS


def test_definite_path_returns_the_value_itself():
    assert select("$.items[1].name", ITEMS) == "lamp"
    assert select("$.order.lines[0]", ITEMS) == "x"
    assert select("$['order']['id']", ITEMS) == "o-1"


def test_negative_index_counts_from_the_end():
    assert select("$.order.lines[-1]", ITEMS) == "y"


def test_filter_returns_the_matching_elements_as_a_list():
    assert select("$.items[?(@.price == 0)]", ITEMS) == [ITEMS["items"][0], ITEMS["items"][2]]


def test_filter_with_no_match_is_an_empty_list_not_an_error():
    assert select("$.items[?(@.price > 100)]", ITEMS) == []


def test_filter_combines_conditions_and_regex():
    assert select("$.items[?(@.price > 0 && @.name =~ /LA.*/i)].name", ITEMS) == ["lamp"]
    assert select("$.items[?(@.price == 30 || @.name == 'pen')].name", ITEMS) == ["pen", "lamp"]
    assert select("$.items[?(!(@.price == 0))].name", ITEMS) == ["lamp"]


def test_filter_on_existence_and_membership():
    data = {"xs": [{"a": 1}, {"b": 2}, {"a": None}]}
    assert select("$.xs[?(@.a)]", data) == [{"a": 1}, {"a": None}]
    assert select("$.items[?(@.name in ['cup', 'pen'])].name", ITEMS) == ["pen", "cup"]


def test_filter_comparing_different_types_never_matches():
    assert select("$.items[?(@.price == '0')]", ITEMS) == []
    assert select("$.items[?(@.missing < 5)]", ITEMS) == []


def test_filter_can_compare_with_the_root():
    assert select("$.items[?(@.price == $.items[1].price)].name", ITEMS) == ["lamp"]


def test_wildcard_and_slices_return_lists():
    assert select("$.items[*].price", ITEMS) == [0, 30, 0]
    assert select("$.items[1:].name", ITEMS) == ["lamp", "cup"]
    assert select("$.items[:1].name", ITEMS) == ["pen"]
    assert select("$.items[-2:].name", ITEMS) == ["lamp", "cup"]
    assert select("$.order.*", ITEMS) == ["o-1", ["x", "y"]]


def test_index_union_and_name_union():
    assert select("$.items[0,2].name", ITEMS) == ["pen", "cup"]
    assert select("$.order['id','lines']", ITEMS) == ["o-1", ["x", "y"]]


def test_deep_scan_visits_parents_before_children():
    data = {"name": "root", "kids": [{"name": "a", "kids": [{"name": "a1"}]}, {"name": "b"}]}
    assert select("$..name", data) == ["root", "a", "a1", "b"]


def test_indefinite_path_skips_missing_fields_silently():
    assert select("$.items[*].nope", ITEMS) == []


def test_index_past_the_end_is_null_as_jackson_returns_it():
    assert select("$.order.lines[5]", ITEMS) is None


def test_context_object_and_variables_are_their_own_roots():
    context = {"State": {"Name": "Second"}, "Execution": {"Input": {"x": 1}}}
    assert select("$$.State.Name", ITEMS, context=context) == "Second"
    assert select("$$.Execution.Input", ITEMS, context=context) == {"x": 1}
    assert select("$factor", ITEMS, variables={"factor": 3}) == 3
    assert select("$cfg.limits[0]", ITEMS, variables={"cfg": {"limits": [9]}}) == 9


def test_missing_leaf_is_no_results_for_the_normalized_path():
    with pytest.raises(PathError) as caught:
        select("$.absent", {"present": 1})
    assert caught.value.error == "States.Runtime"
    assert caught.value.fragment == "Invalid path '$.absent' : No results for path: $['absent']"
    assert isinstance(caught.value, StatesError)


def test_missing_intermediate_field_is_missing_property():
    with pytest.raises(PathError) as caught:
        select("$.a.b", {"x": 1})
    assert caught.value.fragment == "Invalid path '$.a.b' : Missing property in path $['a']"


def test_field_of_a_non_object_names_the_node_class():
    with pytest.raises(PathError) as caught:
        select("$.text.b", ITEMS)
    assert caught.value.fragment.startswith(
        "Invalid path '$.text.b' : Expected to find an object with property ['b'] in path $['text'] but found "
        "'com.fasterxml.jackson.databind.node.TextNode'."
    )


def test_index_into_a_non_array_is_jayways_filter_message():
    with pytest.raises(PathError) as caught:
        select("$.count[0]", ITEMS)
    assert caught.value.fragment == (
        "Invalid path '$.count[0]' : Filter: [0] can only be applied to arrays. Current context is: 3"
    )


def test_paths_compile_once_and_are_cached():
    assert compile_path("$.a.b[0]") is compile_path("$.a.b[0]")
    assert compile_path("$.a.b[0]").definite
    assert not compile_path("$.a[*]").definite


def test_check_path_reports_syntax_and_reference_path_limits():
    assert check_path("$.a.b") is None
    assert check_path("$.a[?(@.x > 1)]") is None
    assert check_path("a.b") is not None
    assert check_path("$.a[") is not None
    assert check_path("$..a", reference=True) is not None
    assert check_path("$.a[*]", reference=True) is not None
    assert check_path("$.a[0].b", reference=True) is None


# --- payload templates -----------------------------------------------------------------------------


def test_payload_template_resolves_paths_statics_and_nesting():
    template = {
        "kind": "static",
        "id.$": "$.order.id",
        "lines": {"first.$": "$.order.lines[0]", "count": 2},
        "list": [1, "two", {"n.$": "$.count"}],
    }
    assert resolve_payload(template, ITEMS) == {
        "kind": "static",
        "id": "o-1",
        "lines": {"first": "x", "count": 2},
        "list": [1, "two", {"n": 3}],
    }


def test_payload_template_reads_context_variables_and_intrinsics():
    template = {
        "state.$": "$$.State.Name",
        "who.$": "$who",
        "msg.$": "States.Format('{} has {}', $who, $.count)",
        "current.$": "$",
    }
    resolved = resolve_payload(template, ITEMS, context={"State": {"Name": "S"}}, variables={"who": "Bo"})
    assert resolved == {"state": "S", "who": "Bo", "msg": "Bo has 3", "current": ITEMS}


def test_plain_key_keeps_a_dollar_string_literally():
    assert resolve_payload({"path": "$.order.id"}, ITEMS) == {"path": "$.order.id"}


def test_payload_path_that_matches_nothing_names_field_and_input():
    with pytest.raises(PathError) as caught:
        resolve_payload({"x.$": "$.missing"}, {"a": 1})
    assert caught.value.error == "States.Runtime"
    assert caught.value.fragment == (
        "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{\"a\":1}'"
    )


def test_payload_index_past_the_end_resolves_to_null():
    assert resolve_payload({"v.$": "$.order.lines[5]"}, ITEMS) == {"v": None}


# --- ResultPath ------------------------------------------------------------------------------------


def test_result_path_dollar_replaces_the_input():
    assert apply_result_path("$", {"orderId": "A-17"}, {"stage": "packed"}) == {"stage": "packed"}


def test_result_path_null_keeps_the_input():
    assert apply_result_path(None, {"keep": [1, 2]}, {"ignored": 1}) == {"keep": [1, 2]}


def test_result_path_overwrites_a_nested_field_without_touching_the_input():
    state_input = {"order": {"id": 7, "status": "new"}, "customer": "ana"}
    output = apply_result_path("$.order.status", state_input, "shipped")
    assert output == {"order": {"id": 7, "status": "shipped"}, "customer": "ana"}
    assert state_input["order"]["status"] == "new"


def test_result_path_creates_missing_parents():
    assert apply_result_path("$.audit.checks.first", {"n": 1}, {"ok": True}) == {
        "n": 1,
        "audit": {"checks": {"first": {"ok": True}}},
    }


def test_result_path_can_set_an_existing_array_element():
    assert apply_result_path("$.xs[1]", {"xs": [1, 2]}, "b") == {"xs": [1, "b"]}


def test_result_path_on_a_non_object_input_is_result_path_match_failure():
    with pytest.raises(PathError) as caught:
        apply_result_path("$.partitioned", '{"a":1}', [1])
    assert caught.value.error == "States.ResultPathMatchFailure"
    assert caught.value.fragment == 'Unable to apply ReferencePath $.partitioned to input "{\\"a\\":1}"'


def test_result_path_through_a_scalar_field_is_result_path_match_failure():
    with pytest.raises(PathError) as caught:
        apply_result_path("$.a.b", {"a": 5}, 1)
    assert caught.value.error == "States.ResultPathMatchFailure"
