"""``RuleMachine``: incremental changes, sharing and pruning, the event shapes it must handle, and its fast paths."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventyard.bus.patterns import matches, parse_pattern
from eventyard.bus.patterns.flatten import flatten_event
from eventyard.bus.patterns.interest import first_hit, flatten_interesting, float_key, interest_tree, keyed
from eventyard.bus.patterns.machine import RuleMachine
from eventyard.bus.patterns.reader import compile_reader
from eventyard.bus.patterns.values import number_key
from eventyard.errors import InvalidEventPatternException
from tests.bus.test_patterns_property import pattern_text


def _machine(**rules: str) -> RuleMachine:
    machine = RuleMachine()
    for rule_id, text in rules.items():
        machine.add(rule_id, parse_pattern(text))
    return machine


EC2 = {"source": "aws.ec2", "detail-type": "x", "detail": {"state": "running", "n": 5}}


def test_match_returns_every_rule_the_event_matches() -> None:
    machine = _machine(
        by_source='{"source": ["aws.ec2"]}',
        by_state='{"detail": {"state": [{"prefix": "run"}]}}',
        other='{"source": ["aws.s3"]}',
        numeric='{"detail": {"n": [{"numeric": [">", 1, "<=", 5]}]}}',
    )
    assert machine.match(EC2) == {"by_source", "by_state", "numeric"}


def test_adding_under_an_existing_id_replaces_the_rule() -> None:
    machine = _machine(rule='{"source": ["aws.s3"]}')
    machine.add("rule", parse_pattern('{"source": ["aws.ec2"]}'))
    assert machine.match(EC2) == {"rule"}
    assert len(machine) == 1


def test_removing_a_rule_leaves_rules_sharing_its_steps_intact() -> None:
    machine = _machine(
        one='{"source": ["aws.ec2"], "detail": {"state": ["running"]}}',
        two='{"source": ["aws.ec2"], "detail": {"state": ["running"]}}',
        three='{"source": ["aws.ec2"]}',
    )
    machine.remove("one")
    assert machine.match(EC2) == {"two", "three"}
    machine.remove("missing")  # unknown ids are ignored
    machine.remove("two")
    machine.remove("three")
    assert machine.match(EC2) == set()
    assert not machine._root.children and not machine._root.fields


def test_fields_no_rule_uses_are_never_flattened() -> None:
    machine = _machine(rule='{"source": ["aws.ec2"]}')
    event = {**EC2, "detail": {"huge": [[{"x": i} for i in range(1000)]]}}
    assert machine.match(event) == {"rule"}


def test_dotted_keys_read_the_same_as_nesting_in_events_and_patterns() -> None:
    machine = _machine(rule='{"detail": {"state.status": ["up"]}}')
    assert machine.match({"detail": {"state": {"status": "up"}}}) == {"rule"}
    assert machine.match({"detail": {"state.status": "up"}}) == {"rule"}
    crowded = {"detail": {"a": 1, "b": 2, "c": 3, "state.status": "up"}, "x": 1, "y": 2}
    assert machine.match(crowded) == {"rule"}
    assert machine.match({**crowded, "detail": {"a": 1, "state.status": "down"}}) == set()


def test_fields_of_one_match_come_from_the_same_array_element() -> None:
    text = '{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}'
    machine = _machine(rule=text)
    mixed = {"employees": [{"firstName": "Anna", "lastName": "Smith"}, {"firstName": "Peter", "lastName": "Jones"}]}
    same = {"employees": [{"firstName": "John"}, {"firstName": "Anna", "lastName": "Jones"}]}
    assert machine.match(mixed) == set() and not matches(parse_pattern(text), mixed)
    assert machine.match(same) == {"rule"} and matches(parse_pattern(text), same)


def test_exists_false_and_or_branches_reach_rules() -> None:
    machine = _machine(
        absent='{"detail": {"gone": [{"exists": false}]}}',
        either='{"$or": [{"source": ["nope"]}, {"detail": {"n": [5]}}]}',
    )
    assert machine.match(EC2) == {"absent", "either"}
    assert machine.match({**EC2, "detail": {"gone": 1}}) == set()


def test_many_rules_on_one_field_are_found_by_lookup() -> None:
    machine = RuleMachine()
    for number in range(2000):
        machine.add(f"exact-{number}", parse_pattern(f'{{"detail": {{"id": ["{number}"]}}}}'))
        machine.add(
            f"range-{number}",
            parse_pattern(f'{{"detail": {{"n": [{{"numeric": [">=", {number}, "<", {number + 2}]}}]}}}}'),
        )
        machine.add(f"prefix-{number}", parse_pattern(f'{{"detail": {{"p": [{{"prefix": "k{number}-"}}]}}}}'))
    event = {"detail": {"id": "1234", "n": 77.5, "p": "k42-x"}}
    assert machine.match(event) == {"exact-1234", "range-76", "range-77", "prefix-42"}


def test_rules_on_different_operators_of_one_field_are_all_found() -> None:
    machine = _machine(
        exact='{"detail": {"s": ["abc"]}}',
        prefix='{"detail": {"s": [{"prefix": "ab"}]}}',
        suffix='{"detail": {"s": [{"suffix": "bc"}]}}',
        ignoring_case='{"detail": {"s": [{"equals-ignore-case": "ABC"}]}}',
        wildcard='{"detail": {"s": [{"wildcard": "a*c"}]}}',
        excluded='{"detail": {"s": [{"anything-but": "abc"}]}}',
        other='{"detail": {"s": [{"anything-but": {"prefix": "x"}}]}}',
        exists='{"detail": {"s": [{"exists": true}]}}',
        number='{"detail": {"s": [{"numeric": [">", 0]}]}}',
    )
    assert machine.match({"detail": {"s": "abc"}}) == {
        "exact",
        "prefix",
        "suffix",
        "ignoring_case",
        "wildcard",
        "other",
        "exists",
    }
    assert machine.match({"detail": {"s": 3}}) == {"excluded", "other", "exists", "number"}


def test_anything_but_with_several_matchers_holds_when_any_lets_the_value_through() -> None:
    text = '{"detail": {"s": [{"anything-but": "ba"}, {"anything-but": {"prefix": "b"}}]}}'
    machine = _machine(rule=text, single='{"detail": {"s": [{"anything-but": ["a", "b"]}]}}')
    for value, expected in (("ba", {"single"}), ("bx", {"rule", "single"}), ("a", {"rule"}), ("b", {"rule"})):
        event = {"detail": {"s": value}}
        assert machine.match(event) == expected
        assert matches(parse_pattern(text), event) is ("rule" in expected)


def test_an_array_below_which_rules_read_one_path_keeps_no_element_bookkeeping() -> None:
    polygon = {"detail": {"coordinates": [[[-122.45, 37.7, 0.0], [-122.3, 37.8, 0.0]]]}, "source": "x"}
    root = interest_tree(["detail.coordinates", "source"])
    flattened = flatten_interesting(polygon, root)
    assert not flattened.memberships
    assert keyed(flattened.pending["detail.coordinates"]) == [-122_450_000, 37_700_000, 0, -122_300_000, 37_800_000, 0]
    machine = _machine(rule='{"source": ["x"], "detail": {"coordinates": [{"numeric": ["<", -122.4]}]}}')
    assert machine.match(polygon) == {"rule"}


def test_an_empty_array_is_an_absent_field() -> None:
    machine = _machine(
        gone='{"detail": {"tags": [{"exists": false}]}}', there='{"detail": {"tags": [{"exists": true}]}}'
    )
    assert machine.match({"detail": {"tags": []}}) == {"gone"}
    assert machine.match({"detail": {"tags": [[], []]}}) == {"gone"}
    assert machine.match({"detail": {"tags": [[], ["a"]]}}) == {"there"}


def test_a_state_with_more_steps_than_the_event_has_fields_still_finds_them() -> None:
    machine = RuleMachine()
    for number in range(40):
        machine.add(number, parse_pattern(f'{{"detail": {{"f{number}": ["v"]}}}}'))
    assert machine.match({"detail": {"f7": "v", "f33": ["v", "w"], "other": 1}}) == {7, 33}
    assert machine.match({"detail": {"f7": "w"}}) == set()


def test_floats_are_keyed_only_when_a_rule_reads_them() -> None:
    machine = _machine(rule='{"source": ["s"], "detail": {"price": [{"numeric": [">=", 12.5]}]}}')
    assert machine.match({"source": "s", "detail": {"price": 12.5}}) == {"rule"}
    assert machine.match({"source": "t", "detail": {"price": 12.5}}) == set()
    assert machine.match({"source": "s", "detail": {"price": 12.4999999}}) == set()  # no comparable form


def test_cidr_lookups_agree_for_repeated_addresses() -> None:
    machine = _machine(rule='{"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}', named='{"detail": {"ip": ["host"]}}')
    for _ in range(3):
        assert machine.match({"detail": {"ip": "10.1.2.3"}}) == {"rule"}
        assert machine.match({"detail": {"ip": "11.1.2.3"}}) == set()
        assert machine.match({"detail": {"ip": "10.1.2"}}) == set()
        assert machine.match({"detail": {"ip": "2001:db8::1"}}) == set()  # no IPv6 range held here
        assert machine.match({"detail": {"ip": "host"}}) == {"named"}
    for number in range(5000):  # more addresses than are remembered
        assert machine.match({"detail": {"ip": f"10.0.{number // 256}.{number % 256}"}}) == {"rule"}


def test_a_path_with_paths_below_it_falls_back_to_the_general_walk_and_wide_rule_sets_match() -> None:
    machine = _machine(leaf='{"detail": {"a": [1]}}', below='{"detail": {"a": {"b": [1]}}}')
    assert machine.match({"detail": {"a": 1}}) == {"leaf"}
    assert machine.match({"detail": {"a": {"b": 1}}}) == {"below"}
    wide = RuleMachine()
    for number in range(500):
        wide.add(number, parse_pattern(f'{{"detail": {{"f{number}": [{number}]}}}}'))
    assert wide.match({"detail": {"f42": 42, "f43": 42}}) == {42}


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False) | st.decimals(places=6, allow_nan=False).map(float))
def test_float_keys_agree_with_number_keys(value: float) -> None:
    assert float_key(value) == number_key(value)


PATHS = ["source", "detail.a", "detail.b.c", "detail.c.d", "detail.items.x", "detail.items.y", "detail.n"]
scalars = st.one_of(
    st.sampled_from(["", "a", "a.b", "10.0.0.1"]),
    st.sampled_from([0, 1, -2, 250, 1.5, 250.0, 0.1234567, 5_000_000_001, 37.712345]),
    st.sampled_from([True, False, None]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("xyc"), inner, max_size=2),
    max_leaves=6,
)
objects = st.dictionaries(st.sampled_from(["a", "b", "c", "items", "n", "b.c", "items.x", "c.d"]), values, max_size=4)
events = st.fixed_dictionaries({"source": values}, optional={"detail": objects | st.lists(objects, max_size=2)})


def _key_counts(fields: dict, pending: dict, paths: list[str]) -> dict[str, list]:
    found = {path: list(keys) if type(keys) is list else [keys] for path, keys in fields.items()}
    for path, items in pending.items():
        found.setdefault(path, []).extend(keyed(items))
    return {path: sorted(map(repr, found[path])) for path in paths if found.get(path)}


@settings(max_examples=300, deadline=None)
@given(events)
def test_reader_and_general_walk_find_the_reference_leaves(event: dict) -> None:
    root = interest_tree(PATHS)
    reference = {path: sorted(repr(leaf.key) for leaf in leaves) for path, leaves in flatten_event(event).items()}
    expected = {path: keys for path, keys in reference.items() if path in PATHS}
    walked = flatten_interesting(event, root)
    assert _key_counts(walked.fields, walked.pending, PATHS) == expected
    read = compile_reader(root)(event)
    if read is not None:  # the reader gives up on dotted keys and arrays of objects
        assert _key_counts(read[0], read[1], PATHS) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(pattern_text(), min_size=1, max_size=12), st.lists(events, min_size=1, max_size=5))
def test_machine_agrees_with_reference_on_events_with_floats_nesting_and_dotted_keys(
    texts: list[str], samples: list[dict]
) -> None:
    patterns = {}
    for number, text in enumerate(texts):
        try:
            patterns[number] = parse_pattern(text)
        except InvalidEventPatternException:
            continue
    machine = RuleMachine()
    for rule_id, pattern in patterns.items():
        machine.add(rule_id, pattern)
    for sample in samples:
        assert machine.match(sample) == {rule_id for rule_id, pattern in patterns.items() if matches(pattern, sample)}


def test_exact_values_beside_one_other_kind_of_matcher_are_both_found() -> None:
    machine = _machine(
        exact='{"detail": {"p": ["abc"], "s": ["abc"], "i": ["abc"], "n": [5]}}',
        prefix='{"detail": {"p": [{"prefix": "ab"}]}}',
        suffix='{"detail": {"s": [{"suffix": "bc"}]}}',
        ignoring_case='{"detail": {"i": [{"equals-ignore-case": "ABC"}]}}',
    )
    both = {"detail": {"p": "abc", "s": "abc", "i": "abc", "n": 5}}
    assert machine.match(both) == {"exact", "prefix", "suffix", "ignoring_case"}
    assert machine.match({"detail": {"p": "abx", "s": "xbc", "i": "aBc"}}) == {"prefix", "suffix", "ignoring_case"}
    numbers = {"detail": {"p": 5, "s": 5, "i": 5, "n": 5}}
    assert machine.match(numbers) == set()
    alone = RuleMachine()
    alone.add("p", parse_pattern('{"detail": {"p": ["abc", 5]}}'))
    alone.add("q", parse_pattern('{"detail": {"p": [{"prefix": "ab"}]}}'))
    alone.add("s", parse_pattern('{"detail": {"s": ["abc", 5]}}'))
    alone.add("t", parse_pattern('{"detail": {"s": [{"suffix": "bc"}]}}'))
    assert alone.match({"detail": {"p": 5, "s": 5}}) == {"p", "s"}
    assert alone.match({"detail": {"p": "abc", "s": "abc"}}) == {"p", "q", "s", "t"}
    assert alone.match({"detail": {"p": "abd", "s": "xbc"}}) == {"q", "t"}
    assert "q" in alone and "x" not in alone


def test_first_hit_stops_at_the_first_accepted_leaf_and_otherwise_keys_them_all() -> None:
    polygon = [[[-1.5, 2.0, 0.0], [3.25, 2.0, 0.0], [-1.5, 2.0, 0.0]]]
    negative = first_hit(polygon, lambda key: ["below"] if type(key) is int and key < 0 else None)
    assert negative == (["below"], [float_key(-1.5)])
    refused, keys = first_hit(polygon, lambda key: None)
    assert not refused
    assert keys == keyed(polygon)  # repeated floats are keyed once but listed every time


def test_an_array_read_in_part_at_one_state_is_read_in_full_at_another() -> None:
    machine = _machine(
        negative='{"x": [{"numeric": ["<", 0]}]}',
        large_of_k='{"s": ["k"], "x": [{"numeric": [">", 5]}]}',
    )
    event = {"s": "k", "x": [-1.5, 2.5, 7.25]}
    assert machine.match(event) == {"negative", "large_of_k"}
    assert machine.match({"s": "k", "x": [1.5, 7.25]}) == {"large_of_k"}
    assert machine.match({"s": "k", "x": []}) == set()
    assert machine.match({"s": "j", "x": [[-2.0], 9.0]}) == {"negative"}


def test_root_steps_compiled_between_changes_follow_every_add_and_remove() -> None:
    machine = _machine(exact='{"source": ["aws.ec2"]}')
    assert machine.match(EC2) == {"exact"}
    machine.add("prefix", parse_pattern('{"source": [{"prefix": "aws."}]}'))  # root lookup becomes exact-or-prefix
    assert machine.match(EC2) == {"exact", "prefix"}
    machine.add("absent", parse_pattern('{"region": [{"exists": false}]}'))  # the root becomes special
    assert machine.match(EC2) == {"exact", "prefix", "absent"}
    machine.remove("absent")
    machine.remove("exact")
    assert machine.match(EC2) == {"prefix"}
    assert machine.match({"source": ["x", "aws.s3"], "detail": {}}) == {"prefix"}
    machine.remove("prefix")
    assert machine.match(EC2) == set()


def test_a_path_with_only_empty_arrays_counts_as_absent_beside_arrays_of_objects() -> None:
    machine = _machine(
        x_without_b='{"detail": {"items": {"x": [""]}, "b": [{"exists": false}]}}',
        y='{"detail": {"items": {"y": [""]}}}',  # two paths below items: array elements are told apart
    )
    event = {"detail": {"b": [], "items": [{"x": ""}]}}
    assert machine.match(event) == {"x_without_b"}
    assert machine.match({"detail": {"b": [1], "items": [{"x": ""}]}}) == set()
