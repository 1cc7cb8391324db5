"""``parse_pattern`` reports AWS's exact messages, location included (texts recorded against AWS)."""

from __future__ import annotations

import json
import time

import pytest

from eventyard.bus.patterns import parse_pattern
from eventyard.bus.patterns.model import Exact, IpRange, Numeric
from eventyard.bus.patterns.values import IpAddress
from eventyard.errors import InvalidEventPatternException

PREFIX = "Event pattern is not valid. Reason: "


def _at(text: str, column: int) -> str:
    return f'\n at [Source: (String)"{text}"; line: 1, column: {column}]'


RECORDED = [
    ('{"int": 42}', '"int" must be an object or an array', 11),
    ('{"resources": []}', "Empty arrays are not allowed", 17),
    ('{"detail": {"equal": [{"NUMERIC": ["=", 5]}]}}', "Unrecognized match type NUMERIC", 36),
    ('{"detail": {"c-count": [{"numeric": [">", 0, ">", 0]}]}}', "Bad numeric range operator: >", 49),
    ('{"detail": {"c-count": [{"numeric": [">", 0, "<"]}]}}', "Value of < must be numeric", 50),
    ('{"time": [{"prefix": ["2022-07-13"]}]}', "prefix match pattern must be a string", 23),
    ('{"time": [{"prefix": 123}]}', "prefix match pattern must be a string", 25),
    ('{"EventBusArn": [{"wildcard": 123}]}', "wildcard match pattern must be a string", 34),
    (
        '{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}',
        "Consecutive wildcard characters at pos 26",
        72,
    ),
    ('["not", "a", "dict", "but valid json"]', "Filter is not an object", 2),
    ("{'bad': 'quotation'}", "Unexpected character (''' (code 39)): was expecting double-quote to start field name", 2),
    (
        "this is valid json but not a dict",
        "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or "
        "'false')",
        5,
    ),
]


@pytest.mark.parametrize(("text", "reason", "column"), RECORDED)
def test_message_and_location_are_awss(text: str, reason: str, column: int) -> None:
    with pytest.raises(InvalidEventPatternException) as raised:
        parse_pattern(text)
    assert raised.value.message == PREFIX + reason + _at(text, column)


def test_problem_inside_anything_but_list_repeats_its_location_as_aws_does() -> None:
    text = '{"detail": {"state": [{"anything-but": {"prefix": [123, "test"]}}]}}'
    with pytest.raises(InvalidEventPatternException) as raised:
        parse_pattern(text)
    assert raised.value.message == PREFIX + "prefix/suffix match pattern must be a string" + _at(text, 55) * 2


@pytest.mark.parametrize(
    ("cidr", "reason"),
    [
        ("10.0.0.0", "Malformed CIDR, one '/' required"),
        ("10.0.0.0/abc", "Malformed CIDR, mask bits must be an integer"),
        ("abc.1.1.0/24", "Nonstandard IP address: abc.1.1.0"),
        ("10.0.0.0/32", "IPv4 mask bits must be < 32"),
        ("::1/128", "IPv6 mask bits must be < 128"),
    ],
)
def test_cidr_problems_carry_no_location(cidr: str, reason: str) -> None:
    with pytest.raises(InvalidEventPatternException) as raised:
        parse_pattern(f'{{"ip": [{{"cidr": "{cidr}"}}]}}')
    assert raised.value.message == PREFIX + reason


def test_wildcard_with_too_many_repeating_stars_is_too_complex() -> None:
    with pytest.raises(InvalidEventPatternException, match="Rule is too complex"):
        parse_pattern('{"EventBusArn": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}')
    parse_pattern('{"FileName": [{"wildcard": "/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}')


def test_numbers_outside_five_billion_or_past_six_decimals_are_refused_in_ranges() -> None:
    with pytest.raises(InvalidEventPatternException, match=r"Value must be between -5\.0E9 and 5\.0E9, inclusive"):
        parse_pattern('{"n": [{"numeric": [">=", 1, "<", 6e9]}]}')
    with pytest.raises(InvalidEventPatternException, match="Bottom must be less than top"):
        parse_pattern('{"n": [{"numeric": [">", 6e9]}]}')
    with pytest.raises(InvalidEventPatternException, match="Only values upto 6 decimals are supported"):
        parse_pattern('{"n": [{"numeric": ["=", 0.0000001]}]}')
    assert parse_pattern('{"n": [{"numeric": ["=", 5e9]}]}').branches[0][0].matchers == (
        Numeric(5_000_000_000_000_000, False, 5_000_000_000_000_000, False),
    )


def test_large_exact_numbers_stay_valid_and_match_by_text() -> None:
    (condition,) = parse_pattern('{"account": [123456789012]}').branches[0]
    assert type(condition.matchers[0]) is Exact


def test_or_needs_two_objects_and_forbids_reserved_names() -> None:
    with pytest.raises(InvalidEventPatternException, match="There must have at least 2 Objects in \\$or"):
        parse_pattern('{"$or": [{"a": ["1"]}]}')
    with pytest.raises(InvalidEventPatternException, match="prefix is Ruler reserved fieldName"):
        parse_pattern('{"$or": [{"prefix": ["1"]}, {"b": ["2"]}]}')


def test_or_multiplies_out_into_branches_and_later_duplicate_paths_override() -> None:
    pattern = parse_pattern('{"a": ["1"], "$or": [{"a": ["2"]}, {"b": ["3"]}], "c": ["4"], "c": ["5"]}')
    assert [[(c.path, c.matchers) for c in branch] for branch in pattern.branches] == [
        [("a", (Exact("2"),)), ("c", (Exact("5"),))],
        [("a", (Exact("1"),)), ("b", (Exact("3"),)), ("c", (Exact("5"),))],
    ]


def test_exact_ip_address_string_becomes_a_one_address_range() -> None:
    (condition,) = parse_pattern('{"ip": ["10.0.0.1"]}').branches[0]
    address = IpAddress(32, 0x0A000001)
    assert condition.matchers == (IpRange(address, address),)


def test_first_problem_in_document_order_wins_over_later_bad_json() -> None:
    with pytest.raises(InvalidEventPatternException, match="Empty arrays are not allowed"):
        parse_pattern('{"a": [], "b": ,,,')


def test_parallel_or_relationships_stop_at_a_thousand_combinations() -> None:
    """Given ``$or``s side by side (each doubles the branches, so 4 KB of them would ask for 2^90),
    when a pattern multiplies out to 512 branches it is checked in milliseconds, and past 1000 it is
    refused rather than left to exhaust the machine.

    Evidence: event-ruler's JsonRuleCompiler forks every branch per ``$or`` member and sets no bound
    of its own (GenericMachine only caps a sub-rule at 256 fields); the bound is ours, see
    ``MAX_OR_COMBINATIONS``.
    """

    def parallel(count: int) -> str:
        return json.dumps({f"k{i}": {"$or": [{"a": ["1"]}, {"b": ["2"]}]} for i in range(count)})

    started = time.perf_counter()
    assert len(parse_pattern(parallel(9)).branches) == 512
    assert time.perf_counter() - started < 1.0
    for count in (10, 90):
        with pytest.raises(InvalidEventPatternException, match="more than 1000 combinations"):
            parse_pattern(parallel(count))
