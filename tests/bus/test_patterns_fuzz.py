"""Any JSON event at all: the compiled matcher never fails on it and agrees with the reference.

``test_patterns_property`` draws events of the shapes rules expect; here events are arbitrary JSON
(objects where leaves are expected and the reverse, keys with dots, deep arrays, big and odd
numbers, unusual strings) over the paths the rules read. The compiled machine runs as C where
mypyc built it, which checks every value against its annotation, so an event shape its code did
not plan for would raise instead of matching.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventyard.bus.patterns import matches, parse_pattern
from eventyard.bus.patterns.machine import RuleMachine

RULES = [
    '{"source": ["a"], "detail": {"a": [{"prefix": "x"}, 5]}}',
    '{"detail": {"a": [{"numeric": [">", 0, "<=", 1e9]}], "b.c": [{"exists": true}]}}',
    '{"detail": {"b": {"c": [{"anything-but": {"suffix": "z"}}]}}}',
    '{"detail": {"a": [{"cidr": "10.0.0.0/8"}, {"cidr": "2001:db8::/32"}]}}',
    '{"detail": {"a": [{"wildcard": "*x*"}], "b": {"c": [{"exists": false}]}}}',
    '{"detail": {"a": [null, true, false, "", 0]}}',
    '{"detail": {"b": {"c": ["10.0.0.1"]}}}',
    '{"$or": [{"detail": {"a": [{"equals-ignore-case": "X"}]}}, {"detail": {"b": {"c": [1.5]}}}]}',
    '{"detail": {"a": [{"anything-but": ["x", "y"]}], "b": {"c": [{"numeric": ["<", -1]}]}}}',
]
KEYS = st.sampled_from(["a", "b", "c", "b.c", "detail", "x", ""])
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["x", "X", "xyz", "10.1.2.3", "2001:db8::7", "010.1.2.3", "::", "z", ""]),
    st.sampled_from(["1\x00", "cafe\x00", "10.0.0.1\x00", "\ud800", "1\ud800"]),  # what a C library refuses
    st.text(max_size=6),
)
JSON = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=12,
)
EVENT = st.fixed_dictionaries(
    {"source": st.sampled_from(["a", "b"])}, optional={"detail": st.one_of(JSON, st.dictionaries(KEYS, JSON))}
)
PATTERNS = [parse_pattern(text) for text in RULES]
MACHINE = RuleMachine()
for number, pattern in enumerate(PATTERNS):
    MACHINE.add(number, pattern)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EVENT)
def test_any_json_event_is_matched_as_the_reference_matches_it(event: dict) -> None:
    expected = {number for number, pattern in enumerate(PATTERNS) if matches(pattern, event)}
    assert MACHINE.match(event) == expected
