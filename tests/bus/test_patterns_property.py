"""Property tests: the compiled ``RuleMachine`` always agrees with the reference matcher.

Random patterns over every operator (and ``$or``, nesting, arrays of objects) meet random events
whose values are drawn from the same small pools, so matches and near-misses are both common.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from eventyard.bus.patterns import matches, parse_pattern
from eventyard.bus.patterns.machine import RuleMachine
from eventyard.errors import InvalidEventPatternException

STRINGS = ["", "a", "ab", "abc", "Abc", "b", "x.png", "X.PNG", "10.0.0.1", "10.1.2.3", "2001:db8::1", "a*c"]
NUMBERS = [0, 1, 1.5, -2, 10, 250, 250.0, 5000000000, 12345678901, 0.000001]
WILDCARDS = ["*", "a*", "*b", "a*c", "*a*", "ab", "", "*.png", "a\\*c"]
FIELDS = ["detail.a", "detail.b", "detail.items.x", "detail.items.y", "source", "detail.c.d"]

scalar = st.one_of(st.sampled_from(STRINGS), st.sampled_from(NUMBERS), st.sampled_from([True, False, None]))
string = st.sampled_from(STRINGS)
nonempty = st.sampled_from([s for s in STRINGS if s])
number = st.sampled_from([*NUMBERS[:-2], 0.5, 3])


@st.composite
def numeric(draw: st.DrawFn) -> dict:
    low, high = sorted(draw(st.lists(number, min_size=2, max_size=2, unique=True)))
    shape = draw(st.sampled_from(["=", ">", ">=", "<", "<=", "range"]))
    if shape == "range":
        return {"numeric": [draw(st.sampled_from([">", ">="])), low, draw(st.sampled_from(["<", "<="])), high]}
    return {"numeric": [shape, low]}


matcher = st.one_of(
    scalar,
    st.builds(lambda s: {"prefix": s}, string),
    st.builds(lambda s: {"suffix": s}, string),
    st.builds(lambda s: {"equals-ignore-case": s}, string),
    st.builds(lambda s: {"prefix": {"equals-ignore-case": s}}, string),
    st.builds(lambda s: {"suffix": {"equals-ignore-case": s}}, string),
    st.builds(lambda w: {"wildcard": w}, st.sampled_from(WILDCARDS)),
    st.builds(lambda v: {"anything-but": v}, st.one_of(string, number)),
    st.builds(lambda v: {"anything-but": v}, st.lists(string, min_size=1, max_size=3)),
    st.builds(lambda v: {"anything-but": v}, st.lists(number, min_size=1, max_size=3)),
    st.builds(lambda v: {"anything-but": {"prefix": v}}, nonempty),
    st.builds(lambda v: {"anything-but": {"suffix": v}}, st.lists(nonempty, min_size=1, max_size=2)),
    st.builds(lambda v: {"anything-but": {"equals-ignore-case": v}}, st.one_of(string, st.lists(string, max_size=2))),
    st.builds(lambda v: {"anything-but": {"wildcard": v}}, st.sampled_from(WILDCARDS)),
    numeric(),
    st.builds(lambda v: {"exists": v}, st.booleans()),
    st.builds(lambda v: {"cidr": v}, st.sampled_from(["10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32"])),
)


def _nest(fields: dict[str, list]) -> dict:
    pattern: dict = {}
    for path, values in fields.items():
        node = pattern
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = values
    return pattern


field_values = st.lists(matcher, min_size=1, max_size=3)
branch = st.dictionaries(st.sampled_from(FIELDS), field_values, min_size=1, max_size=3).map(_nest)


@st.composite
def pattern_text(draw: st.DrawFn) -> str:
    pattern = draw(branch)
    if draw(st.booleans()):
        alternatives = draw(st.lists(branch, min_size=2, max_size=3))
        where = pattern.setdefault("detail", {}) if draw(st.booleans()) else pattern
        if isinstance(where, dict):
            where["$or"] = alternatives
    return json.dumps(pattern)


leaf_or_list = st.one_of(scalar, st.lists(scalar, max_size=3))
item = st.fixed_dictionaries({}, optional={"x": leaf_or_list, "y": leaf_or_list})
event = st.fixed_dictionaries(
    {"source": st.sampled_from(["a", "ab", "aws.ec2"]), "detail-type": st.just("t"), "resources": st.just([])},
    optional={
        "detail": st.fixed_dictionaries(
            {},
            optional={
                "a": leaf_or_list,
                "b": leaf_or_list,
                "c": st.one_of(scalar, st.fixed_dictionaries({}, optional={"d": leaf_or_list})),
                "items": st.one_of(st.lists(item, max_size=3), item),
            },
        )
    },
)


def _parse(text: str):
    try:
        return parse_pattern(text)
    except InvalidEventPatternException:
        assume(False)
        raise


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern_text(), event)
def test_machine_agrees_with_reference_for_one_rule(text: str, sample: dict) -> None:
    pattern = _parse(text)
    machine = RuleMachine()
    machine.add("r", pattern)
    assert (machine.match(sample) == {"r"}) is matches(pattern, sample)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(pattern_text(), min_size=5, max_size=25),
    st.lists(st.tuples(st.booleans(), st.integers(0, 24)), max_size=30),
    st.lists(event, min_size=1, max_size=8),
)
def test_machine_holding_many_rules_agrees_after_adds_and_removes(
    texts: list[str], changes: list[tuple[bool, int]], samples: list[dict]
) -> None:
    patterns = {}
    for number, text in enumerate(texts):
        try:
            patterns[f"rule-{number}"] = parse_pattern(text)
        except InvalidEventPatternException:
            continue
    machine = RuleMachine()
    held = {}
    for rule_id, pattern in patterns.items():
        machine.add(rule_id, pattern)
        held[rule_id] = pattern
    for adding, which in changes:
        rule_id = f"rule-{which}"
        if rule_id not in patterns:
            continue
        if adding:
            machine.add(rule_id, patterns[rule_id])
            held[rule_id] = patterns[rule_id]
        else:
            machine.remove(rule_id)
            held.pop(rule_id, None)
    assert len(machine) == len(held)
    for sample in samples:
        expected = {rule_id for rule_id, pattern in held.items() if matches(pattern, sample)}
        assert machine.match(sample) == expected
    for rule_id in list(held):
        machine.remove(rule_id)
    assert machine.match(samples[0]) == set()
    assert not machine._root.children  # everything pruned
