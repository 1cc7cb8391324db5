"""Filter policies: checked with AWS's messages and limits, matched on the bus's compiled machine."""

from __future__ import annotations

import json
from typing import Any

import pytest

import eventyard
from eventyard.bus.patterns import matches
from eventyard.errors import EventyardError
from eventyard.topics.catalogue import Fanout
from eventyard.topics.filter_policy import attributes_document, body_document, parse_filter_policy
from eventyard.topics.store import Subscription
from tests.topics.helpers import drain, subscribed_queue, topic

REASON = "Invalid parameter: Attributes Reason: FilterPolicy: "


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"key": [["value"]]}, "Match value must be String, number, true, false, or null"),
        ({"key": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
        ({"key": [{"wildcard": "a*"}]}, "Unrecognized match type wildcard"),
        ({"key": [{"anything-but": {"suffix": "x"}}]}, "Unsupported anything-but pattern: suffix"),
        ({"key": [{"suffix": "v", "prefix": "w"}]}, "Only one key allowed in match expression"),
        ({"key": []}, "Empty arrays are not allowed"),
        ({"key": {"suffix": "value"}}, '"suffix" must be an object or an array'),
        ({"key": [{"exists": None}]}, "exists match pattern must be either true or false."),
        ({"key": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
        ({"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]}, "Too many terms in numeric range expression"),
        ({"key": [{"cidr": "bad-filter"}]}, "Malformed CIDR, one '/' required"),
        ({"key": [f"v{n}" for n in range(151)]}, "Filter policy is too complex"),
        ({"k1": [f"v{n}" for n in range(100)], "k2": [f"v{n}" for n in range(2)]}, "Filter policy is too complex"),
        ({f"key{n}": ["v"] for n in range(6)}, "Filter policy can not have more than 5 keys"),
    ],
)
def test_a_bad_policy_is_refused_with_awss_words(policy: dict[str, Any], message: str) -> None:
    with pytest.raises(EventyardError) as caught:
        parse_filter_policy(json.dumps(policy), "MessageAttributes", creating=True)
    assert caught.value.code == "InvalidParameter"
    assert caught.value.message.split("\n")[0] == REASON + message


def test_a_located_problem_carries_jacksons_location_on_its_own_line() -> None:
    with pytest.raises(EventyardError) as caught:
        parse_filter_policy('{"key":[{"exists":"no"}]}', "MessageAttributes", creating=False)
    assert caught.value.message == (
        "Invalid parameter: FilterPolicy: exists match pattern must be either true or false.\n"
        ' at [Source: (String)"{"key":[{"exists":"no"}]}"; line: 1, column: 20]'
    )


def test_a_refusal_quotes_and_counts_on_the_policy_laid_out_compactly() -> None:
    """AWS-recorded: the policy sent with spaces (json.dumps) is quoted without them, and the column
    counts on that text; a boolean where anything-but's prefix is wanted is worded SNS's way."""
    with pytest.raises(EventyardError) as caught:
        parse_filter_policy(json.dumps({"key": [{"anything-but": {"prefix": False}}]}), "MessageAttributes",
                            creating=True)  # fmt: skip
    assert caught.value.message == (
        REASON + "prefix match pattern must be a string\n"
        ' at [Source: (String)"{"key":[{"anything-but":{"prefix":false}}]}"; line: 1, column: 40]'
    )
    with pytest.raises(EventyardError) as caught:
        parse_filter_policy(json.dumps({"key": [["value"]]}), "MessageAttributes", creating=True)
    assert caught.value.message.endswith('at [Source: (String)"{"key":[["value"]]}"; line: 1, column: 10]')


def test_nesting_is_for_body_policies_and_counts_in_the_complexity() -> None:
    nested = {"a": {"b": ["x"]}}
    with pytest.raises(EventyardError) as caught:
        parse_filter_policy(json.dumps(nested), "MessageAttributes", creating=False)
    assert (
        caught.value.message
        == "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
    )
    assert parse_filter_policy(json.dumps(nested), "MessageBody", creating=False) is not None
    # AWS's example: 3 x 4 x 2 x 3 x 1 x 3 = 216 combinations
    deep = {"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}}, "key_d": {"key_e": ["1", "2", "3"]},
            "key_f": ["1", "2", "3"]}  # fmt: skip
    with pytest.raises(EventyardError, match="Filter policy is too complex"):
        parse_filter_policy(json.dumps(deep), "MessageBody", creating=False)


@pytest.mark.parametrize(
    ("policy", "attributes", "expected"),
    [
        ({"n": [{"numeric": [">", 0, "<=", 100]}]}, {"n": ("Number", "100")}, True),
        ({"n": [{"numeric": [">", 0, "<=", 100]}]}, {"n": ("Number", "100.5")}, False),
        ({"n": [{"numeric": [">", 0]}]}, {"n": ("String", "5")}, False),  # a String is no number
        ({"n": [100]}, {"n": ("Number", "100.0")}, True),
        ({"s": ["rugby"]}, {"s": ("String.Array", '["soccer", "rugby"]')}, True),
        ({"s": [{"anything-but": ["rugby"]}]}, {}, False),
        ({"s": [{"anything-but": ["rugby"]}]}, {"s": ("String.Array", '["rugby"]')}, False),
        ({"s": [{"exists": False}]}, {"t": ("String", "x")}, True),
        ({"s": [{"prefix": "bas"}]}, {"s": ("String", "basketball")}, True),
        ({"s": [{"equals-ignore-case": "TeNnIs"}]}, {"s": ("String", "tennis")}, True),
        ({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": ("String", "10.0.0.7")}, True),
        ({"b": [{"exists": True}]}, {"b": ("Binary", None)}, False),  # binary attributes are not matched
        ({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"b": ("String", "2")}, True),
    ],
)
def test_the_compiled_fanout_matches_as_the_reference_matcher(
    policy: dict[str, Any], attributes: dict[str, tuple[str, str | None]], expected: bool
) -> None:
    given = {
        name: {"DataType": kind, **({"StringValue": value} if value is not None else {"BinaryValue": "AQ=="})}
        for name, (kind, value) in attributes.items()
    }
    pattern = parse_filter_policy(json.dumps(policy), "MessageAttributes", creating=False)
    assert pattern is not None
    assert matches(pattern, attributes_document(given)) is expected
    sub = Subscription("arn:aws:sns:us-east-1:0:t:s", "arn:aws:sns:us-east-1:0:t", "0", "us-east-1", "sqs", "q", "0",
                       {"FilterPolicy": json.dumps(policy)})  # fmt: skip
    matched = Fanout.of([sub], 0.0).match(given, lambda protocol: "m")
    assert (matched == [sub]) is expected


def test_a_body_policy_reads_json_objects_only() -> None:
    assert body_document('{"a": 1}') == {"a": 1}
    for text in ("plain", '"a string"', "[1, 2]", "{broken"):
        assert body_document(text) is None


async def test_body_and_attribute_policies_on_one_topic(yard: eventyard.Yard) -> None:
    sns, sqs = yard.client("sns"), yard.client("sqs")
    arn = await topic(yard)
    body_policy = json.dumps({"order": {"total": [{"numeric": [">", 100]}]}})
    by_body, _, _ = await subscribed_queue(
        yard, arn, "by-body", RawMessageDelivery="true", FilterPolicyScope="MessageBody", FilterPolicy=body_policy
    )
    by_attributes, _, _ = await subscribed_queue(yard, arn, "by-attributes", RawMessageDelivery="true",
                                                 FilterPolicy=json.dumps({"kind": ["refund"]}))  # fmt: skip
    everything, _, _ = await subscribed_queue(yard, arn, "everything", RawMessageDelivery="true")
    refund = {"kind": {"DataType": "String", "StringValue": "refund"}}
    await sns.publish(TopicArn=arn, Message=json.dumps({"order": {"total": 150}}))
    await sns.publish(TopicArn=arn, Message=json.dumps({"order": {"total": 50}}), MessageAttributes=refund)
    await sns.publish(TopicArn=arn, Message="not json")
    assert [json.loads(m["Body"]) for m in await drain(sqs, by_body, expect=1)] == [{"order": {"total": 150}}]
    assert [json.loads(m["Body"]) for m in await drain(sqs, by_attributes, expect=1)] == [{"order": {"total": 50}}]
    await drain(sqs, everything, expect=3)
