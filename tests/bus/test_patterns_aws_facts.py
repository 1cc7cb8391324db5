"""Answers real EventBridge gave to TestEventPattern that the other pattern tests do not pin yet.

Each message case is a pattern AWS refused and the exact text it answered (Jackson's location included,
twice where AWS repeats it, absent where AWS gives none). Each outcome case is one matcher on
``detail.value`` and one event value, with the result AWS returned; both matchers must give it.
"""

from __future__ import annotations

import json

import pytest

from eventyard.bus.patterns import matches, parse_pattern
from eventyard.bus.patterns.machine import RuleMachine
from eventyard.errors import InvalidEventPatternException

PREFIX = "Event pattern is not valid. Reason: "
ANYTHING_BUT_TYPES = "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
NOT_A_VALUE = "Value of anything-but must be an array or single string/number value."

# (pattern text, reason, column of Jackson's location, how many times AWS repeats the location)
REFUSED = [
    ('{"string": "my-value"}', '"string" must be an object or an array', 13, 1),
    ('{"my_key": [{"EXISTS": true}]}', "Unrecognized match type EXISTS", 28, 1),
    (
        '{"detail-type": [{"equals-ignore-case": ["ec2 instance state-change notification"]}]}',
        "equals-ignore-case match pattern must be a string",
        42,
        1,
    ),
    (
        '{"detail-type": [{"equals-ignore-case": {"prefix": "ec2"}}]}',
        "equals-ignore-case match pattern must be a string",
        42,
        1,
    ),
    ('{"detail": {"state": [{"anything-but": {"equals-ignore-case": 123}}]}}', ANYTHING_BUT_TYPES, 66, 1),
    ('{"detail": {"state": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}}', ANYTHING_BUT_TYPES, 67, 2),
    (
        '{"EventBusArn": [{"wildcard": ["arn:aws:events:us-east-1:**:event-bus/*"]}]}',
        "wildcard match pattern must be a string",
        32,
        1,
    ),
    (
        '{"detail": {"FilePath": [{"anything-but": {"wildcard": 123}}]}}',
        "wildcard match pattern must be a string",
        59,
        1,
    ),
    (
        '{"detail": {"state": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]}}',
        "wildcard match pattern must be a string",
        57,
        2,
    ),
    (
        '{"detail": {"FileName": [{"anything-but": {"suffix": 123}}]}}',
        "prefix/suffix match pattern must be a string",
        57,
        1,
    ),
    (
        '{"detail": {"FileName": [{"anything-but": {"suffix": [123, ".txt"]}}]}}',
        "prefix/suffix match pattern must be a string",
        58,
        2,
    ),
    (
        '{"detail": {"state": [{"anything-but": {"prefix": 123}}]}}',
        "prefix/suffix match pattern must be a string",
        54,
        1,
    ),
    ('{"FileName": [{"suffix": 123}]}', "suffix match pattern must be a string", 29, 1),
    ('{"FileName": [{"suffix": [".png"]}]}', "suffix match pattern must be a string", 27, 1),
    ('{"detail": {"FileName": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]}}', NOT_A_VALUE, 55, 1),
    ('{"detail": {"FileName": [{"anything-but": {"suffix": {"equals-ignore-case": ".png"}}}]}}', NOT_A_VALUE, 55, 1),
    ('{"detail": {"sourceIPAddress": [{"cidr": ["bad-type"]}]}}', "prefix match pattern must be a string", 43, 1),
    (
        '{"not": closed mark"',
        "Unrecognized token 'closed': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or "
        "'false')",
        15,
        1,
    ),
]


@pytest.mark.parametrize(("text", "reason", "column", "times"), REFUSED)
def test_refused_pattern_gets_awss_message_and_location(text: str, reason: str, column: int, times: int) -> None:
    with pytest.raises(InvalidEventPatternException) as raised:
        parse_pattern(text)
    location = f'\n at [Source: (String)"{text}"; line: 1, column: {column}]'
    assert raised.value.message == PREFIX + reason + location * times


def test_nonstandard_ipv6_block_is_refused_without_a_location() -> None:
    with pytest.raises(InvalidEventPatternException) as raised:
        parse_pattern('{"ip": [{"cidr": "xxxx:db8:1234:1a00::/64"}]}')
    assert raised.value.message == PREFIX + "Nonstandard IP address: xxxx:db8:1234:1a00::"


ABSENT = object()  # the event has no ``detail.value`` at all

# (matchers of detail.value, the event's detail.value, whether AWS matched)
OUTCOMES = [
    # anything-but in all its forms lets null through, yet never holds for a missing field
    ([{"anything-but": {"equals-ignore-case": ["open", "shut"]}}], None, True),
    ([{"anything-but": {"equals-ignore-case": "open"}}], ABSENT, False),
    ([{"anything-but": {"prefix": ["tmp", "old"]}}], None, True),
    ([{"anything-but": {"suffix": [".tmp", ".bak"]}}], None, True),
    ([{"anything-but": {"suffix": ".tmp"}}], ABSENT, False),
    ([{"anything-but": {"wildcard": ["*/a/*", "*/b/*"]}}], None, True),
    ([{"anything-but": {"wildcard": "*/a/*"}}], ABSENT, False),
    # ... and lets through values of another JSON type than the strings it names
    ([{"anything-but": {"prefix": ["tmp", "old"]}}], 12, True),
    ([{"anything-but": {"wildcard": "*/a/*"}}], 12, True),
    ([{"anything-but": 0}], 789, True),
    # an empty anything-but wildcard is accepted and lets a non-empty string through
    ([{"anything-but": {"wildcard": ""}}], "x/y/z", True),
    # several matchers in one list: any one of them is enough
    ([{"exists": True}, {"prefix": "never"}, {"suffix": "never"}], "here", True),
    # a number range never reads a string, so only anything-but can let "42" through, and not "101"
    ([{"numeric": [">", 100]}, {"anything-but": "101"}], "42", True),
    ([{"numeric": [">", 100]}, {"anything-but": "101"}], "101", False),
    # an IPv6 address written out in full is still inside the block written short
    ([{"cidr": "2001:db8:1234:1a00::/64"}], "2001:0db8:1234:1a00:0000:0000:0000:0000", True),
    ([{"cidr": "2001:db8:1234:1a00::/64"}], "2001:0db8:123f:1a01:0000:0000:0000:0000", False),
    # outside "wildcard", a star and a backslash are plain characters
    (["*"], "*", True),
    (["\\"], "\\", True),
]


def _both_matchers(pattern_text: str, event: dict) -> bool:
    pattern = parse_pattern(pattern_text)
    machine = RuleMachine()
    machine.add("rule", pattern)
    reference, compiled = matches(pattern, event), machine.match(event) == {"rule"}
    assert reference is compiled
    return reference


@pytest.mark.parametrize(("matchers", "value", "expected"), OUTCOMES)
def test_matchers_give_awss_answer(matchers: list, value: object, expected: bool) -> None:
    detail = {} if value is ABSENT else {"value": value}
    event = {"source": "facts", "detail-type": "Fact", "detail": detail}
    assert _both_matchers(json.dumps({"detail": {"value": matchers}}), event) is expected


def test_anything_but_or_exists_false_holds_when_a_parent_object_is_missing() -> None:
    text = '{"detail": {"image": {"kind": {"S": [{"anything-but": ["roses"]}, {"exists": false}]}}}}'
    assert _both_matchers(text, {"detail": {"image": {"other": {"N": "1"}}}})
    assert _both_matchers(text, {"detail": {"image": {"kind": {"N": "1"}}}})
    assert _both_matchers(text, {"detail": {"image": {"kind": {"S": "tulips"}}}})


def test_a_dotted_key_holding_an_object_is_not_the_leaf_a_pattern_names() -> None:
    assert not _both_matchers('{"detail": {"a": {"b": ["x"]}}}', {"detail": {"a.b": {"b": "x"}}})
    assert not _both_matchers('{"detail": {"a.b": {"b": ["x"]}}}', {"detail": {"a": {"b": "x"}}})
