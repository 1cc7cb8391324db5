"""Target input: Input, InputPath, InputTransformer, and PutTargets' checks on them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventyard.bus.transform import select, target_input, validate_input_transformer, validate_target_input
from eventyard.errors import ValidationException

CASES = Path(__file__).parents[1] / "conformance" / "cases" / "events" / "transformers.json"
UID = "u123"

# The example event of the EventBridge user guide, "Amazon EventBridge input transformation".
EC2_EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING"},
}
EC2_PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}
RULE_ARN = "arn:aws:events:us-east-2:123456789012:rule/example"
CONTEXT = {"rule_arn": RULE_ARN, "rule_name": "example", "ingestion_time": "2015-11-11T21:29:55Z"}


def transformed(template: str, paths: dict | None = None, event: dict | None = None) -> str | None:
    transformer: dict = {"InputTemplate": template}
    if paths is not None:
        transformer["InputPathsMap"] = paths
    validate_input_transformer(transformer, target_id="t1")
    return target_input(event or EC2_EVENT, {"Id": "t1", "InputTransformer": transformer}, context=CONTEXT)


# --- the shared conformance cases ----------------------------------------------------------------


def _delivery_cases() -> list[tuple[str, dict, dict, object]]:
    """(name, target, event, expected body) from every transformers.json case, with ${uid} filled in."""
    text = CASES.read_text().replace("${uid}", UID)
    cases = []
    for case in json.loads(text):
        steps = {step.get("call"): step for step in case["steps"]}
        target = steps["PutTargets"]["params"]["Targets"][0]
        entry = steps["PutEvents"]["params"]["Entries"][0]
        event = {
            "version": "0",
            "id": "e-1",
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": "000000000000",
            "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": json.loads(entry["Detail"]),
        }
        cases.append((case["name"], target, event, steps["ReceiveMessage"]["expect"]["Messages[0].Body"]))
    return cases


@pytest.mark.parametrize(("name", "target", "event", "expected"), _delivery_cases(), ids=lambda v: str(v)[:40])
def test_shared_transformer_case(name: str, target: dict, event: dict, expected: object) -> None:
    validate_target_input(target)
    body = target_input(event, target, context={"rule_arn": "arn:r", "rule_name": "r", "ingestion_time": 0})
    assert body is not None
    if isinstance(expected, dict) and "$json" in expected:
        assert json.loads(body) == expected["$json"]
    else:
        assert body == expected


def test_shared_cases_are_all_read() -> None:
    assert len(_delivery_cases()) == 5


# --- no transformation, Input, InputPath ----------------------------------------------------------


def test_no_input_setting_delivers_the_whole_event_as_compact_json() -> None:
    body = target_input(EC2_EVENT, {"Id": "t1"}, context=CONTEXT)
    assert body == json.dumps(EC2_EVENT, separators=(",", ":"))


def test_unicode_is_delivered_as_utf8_not_escaped() -> None:
    event = {**EC2_EVENT, "detail": {"name": "Zoë ✓"}}
    assert '"Zoë ✓"' in str(target_input(event, {"Id": "t1"}, context=CONTEXT))


def test_input_is_delivered_verbatim() -> None:
    constant = '{ "static" : true, "n": 3 }'
    assert target_input(EC2_EVENT, {"Id": "t1", "Input": constant}, context=CONTEXT) == constant


def test_input_path_to_a_scalar_delivers_its_json_text() -> None:
    # AWS-recorded: InputPath $.detail.payload.sf_id delivered the body "baz" with its quotes.
    assert target_input(EC2_EVENT, {"Id": "t1", "InputPath": "$.detail.state"}, context=CONTEXT) == '"RUNNING"'


def test_input_path_into_an_array() -> None:
    body = target_input(EC2_EVENT, {"Id": "t1", "InputPath": "$.resources[0]"}, context=CONTEXT)
    assert body == '"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"'


def test_input_path_root_is_the_whole_event() -> None:
    assert target_input(EC2_EVENT, {"Id": "t1", "InputPath": "$"}, context=CONTEXT) == target_input(
        EC2_EVENT, {"Id": "t1"}, context=CONTEXT
    )


def test_input_path_selecting_nothing_delivers_nothing() -> None:
    assert target_input(EC2_EVENT, {"Id": "t1", "InputPath": "$.detail.missing"}, context=CONTEXT) is None


def test_jsonpath_wildcards_collect_every_match() -> None:
    event = {"detail": {"items": [{"sku": "a"}, {"sku": "b"}], "tags": {"x": 1, "y": 2}}}
    assert select(event, "$.detail.items[*].sku") == (True, ["a", "b"])
    assert select(event, "$.detail.items.*.sku") == (True, ["a", "b"])
    assert select(event, "$.detail.tags.*") == (True, [1, 2])
    assert select(event, "$.detail.none[*]") == (True, [])


def test_jsonpath_names_may_hold_dashes_and_slashes() -> None:
    assert select({"a/b": {"c-d": 1}}, "$.a/b.c-d") == (True, 1)


# --- the user guide's InputTemplate examples ------------------------------------------------------


def test_doc_simple_string() -> None:
    assert transformed('"instance <instance> is in <state>"', EC2_PATHS) == '"instance i-0123456789 is in RUNNING"'


def test_doc_string_with_escaped_quotes() -> None:
    template = '"instance \\"<instance>\\" is in <state>"'
    assert transformed(template, EC2_PATHS) == '"instance \\"i-0123456789\\" is in RUNNING"'


def test_doc_simple_json() -> None:
    template = '{\n  "instance" : <instance>,\n  "state": <state>\n}'
    assert transformed(template, EC2_PATHS) == '{\n  "instance" : "i-0123456789",\n  "state": "RUNNING"\n}'


def test_doc_json_with_strings_and_variables() -> None:
    template = (
        '{\n "instance" : <instance>,\n "state": "<state>",\n'
        ' "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}'
    )
    expected = (
        '{\n "instance" : "i-0123456789",\n "state": "RUNNING",\n'
        ' "instanceStatus": "instance \\"i-0123456789\\" is in RUNNING"\n}'
    )
    assert transformed(template, EC2_PATHS) == expected


def test_doc_json_with_a_mix_of_variables_and_static_information() -> None:
    template = '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}\n'
    body = transformed(template, EC2_PATHS)
    assert json.loads(str(body)) == {"instance": "i-0123456789", "state": [9, "RUNNING", True], "Transformed": "Yes"}


def test_doc_including_reserved_variables_in_json() -> None:
    template = (
        '{\n  "instance" : <instance>,\n  "state": <state>,\n  "ruleArn" : <aws.events.rule-arn>,\n'
        '  "ruleName" : <aws.events.rule-name>,\n  "originalEvent" : <aws.events.event>\n}'
    )
    body = json.loads(str(transformed(template, EC2_PATHS)))
    assert body["instance"] == "i-0123456789"
    assert body["state"] == "RUNNING"
    assert body["ruleArn"] == RULE_ARN
    assert body["ruleName"] == "example"
    assert body["originalEvent"]["id"] == EC2_EVENT["id"]


def test_doc_including_reserved_variables_in_a_string() -> None:
    assert transformed('"<aws.events.rule-name> triggered"') == '"example triggered"'


def test_doc_cloudwatch_log_group_template() -> None:
    # The guide shows what the log group displays; the payload is this JSON object.
    template = '{\n  "timestamp" : <timestamp>,\n  "message": "instance \\"<instance>\\" is in <state>"\n}'
    assert json.loads(str(transformed(template, EC2_PATHS))) == {
        "timestamp": "2015-11-11T21:29:54Z",
        "message": 'instance "i-0123456789" is in RUNNING',
    }


def test_api_reference_json_template_with_variables_in_and_out_of_quotes() -> None:
    template = '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}'
    paths = {"instance": "$.detail.instance-id", "status": "$.detail.state"}
    assert (
        transformed(template, paths)
        == '{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \\"RUNNING\\""}'
    )


def test_api_reference_plain_text_template_takes_raw_values() -> None:
    paths = {"instance": "$.detail.instance-id", "status": "$.detail.state"}
    assert transformed("<instance> is in state <status>", paths) == "i-0123456789 is in state RUNNING"
    assert transformed('<instance> is in state "<status>"', paths) == 'i-0123456789 is in state "RUNNING"'


def test_tutorial_sns_message() -> None:
    template = '"The EC2 instance <instance> has changed state to <state>."'
    assert transformed(template, EC2_PATHS) == '"The EC2 instance i-0123456789 has changed state to RUNNING."'


# --- substitution rules AWS recorded -------------------------------------------------------------


def test_missing_path_inside_a_string_is_empty() -> None:
    template = '"Event of <detail-type> type, info extracted from detail <command>"'
    paths = {"detail-type": "$.detail-type", "command": "$.detail.notinmessage"}
    assert (
        transformed(template, paths)
        == '"Event of EC2 Instance State-change Notification type, info extracted from detail "'
    )


def test_missing_path_outside_quotes_is_an_empty_string() -> None:
    body = transformed('{"state": <state>, "command": <command>}', {"state": "$.detail.state", "command": "$.nope"})
    assert json.loads(str(body)) == {"state": "RUNNING", "command": ""}


def test_special_characters_at_the_start_of_a_string_template() -> None:
    template = '"{[/Check with special starting characters for event of <detail-type> type"'
    body = transformed(template, {"detail-type": "$.detail-type"})
    assert (
        body == '"{[/Check with special starting characters for event of EC2 Instance State-change Notification type"'
    )


def test_values_keep_their_json_type_outside_quotes_and_become_text_inside() -> None:
    event = {**EC2_EVENT, "detail": {"n": 12.5, "ok": True, "none": None, "obj": {"a": [1, 2]}}}
    paths = {"n": "$.detail.n", "ok": "$.detail.ok", "none": "$.detail.none", "obj": "$.detail.obj"}
    body = transformed('{"n": <n>, "ok": <ok>, "none": <none>, "obj": <obj>, "text": "<n> <ok> <obj>"}', paths, event)
    assert json.loads(str(body)) == {
        "n": 12.5,
        "ok": True,
        "none": None,
        "obj": {"a": [1, 2]},
        "text": '12.5 true {"a":[1,2]}',
    }


def test_string_values_are_escaped_inside_json_strings() -> None:
    event = {**EC2_EVENT, "detail": {"quote": 'say "hi"\n'}}
    body = transformed('{"a": <q>, "b": "<q>!"}', {"q": "$.detail.quote"}, event)
    assert json.loads(str(body)) == {"a": 'say "hi"\n', "b": 'say "hi"\n!'}


def test_predefined_string_variables() -> None:
    template = (
        '"Message containing all pre defined variables '
        '<aws.events.rule-arn> <aws.events.rule-name> <aws.events.event.ingestion-time>"'
    )
    assert (
        transformed(template)
        == f'"Message containing all pre defined variables {RULE_ARN} example 2015-11-11T21:29:55Z"'
    )


def test_ingestion_time_given_as_epoch_seconds_is_iso_8601() -> None:
    body = target_input(
        EC2_EVENT,
        {"Id": "t1", "InputTransformer": {"InputTemplate": '"<aws.events.event.ingestion-time>"'}},
        context={**CONTEXT, "ingestion_time": 1447277395.25},
    )
    assert body == '"2015-11-11T21:29:55Z"'


def test_predefined_event_variables() -> None:
    # AWS-recorded: <aws.events.event> drops detail and spells detail-type "detailType";
    # <aws.events.event.json> is the full event.
    body = json.loads(
        str(transformed('{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}'))
    )
    envelope = {("detailType" if k == "detail-type" else k): v for k, v in EC2_EVENT.items() if k != "detail"}
    assert body == {"originalEvent": envelope, "originalEventJson": EC2_EVENT}
    assert list(body["originalEvent"]) == [
        "id",
        "account",
        "detailType",
        "time",
        "source",
        "region",
        "resources",
        "version",
    ]


# --- PutTargets validation -------------------------------------------------------------------------


def rejected(target: dict) -> str:
    with pytest.raises(ValidationException) as raised:
        validate_target_input({"Id": "t1", "Arn": "arn:aws:sqs:us-east-1:000000000000:q", **target})
    assert raised.value.code == "ValidationException"
    assert raised.value.status == 400
    return raised.value.message


def test_only_one_input_setting_per_target() -> None:
    message = rejected({"InputPath": "$.detail", "InputTransformer": {"InputTemplate": '"x"'}})
    assert message == "Only one of Input, InputPath, or InputTransformer must be provided for target t1."
    assert rejected({"Input": "{}", "InputPath": "$"}).startswith("Only one of Input")


def test_input_must_be_json() -> None:
    assert rejected({"Input": "hello"}) == "JSON syntax error in input for target t1"
    validate_target_input({"Id": "t1", "Input": '"hello"'})  # a JSON scalar is fine


@pytest.mark.parametrize(
    "path", ["detail", "$detail", "$.detail['state']", '$.detail["state"]', "$.", "$..x", "$.a[x]"]
)
def test_unsupported_input_path_is_invalid(path: str) -> None:
    assert rejected({"InputPath": path}) == "InputPath for target t1 is invalid."
    assert rejected({"InputTransformer": {"InputPathsMap": {"v": path}, "InputTemplate": '"<v>"'}}) == (
        "InputPath for target t1 is invalid."
    )


@pytest.mark.parametrize("path", ["$", "$.detail", "$.detail.a[0]", "$.resources[*]", "$.detail-type"])
def test_supported_input_paths_are_accepted(path: str) -> None:
    validate_target_input({"Id": "t1", "InputPath": path})


def test_placeholder_must_be_declared_or_predefined() -> None:
    transformer = {
        "InputPathsMap": {"detail-type": "$.detail-type"},
        "InputTemplate": '"Event of <detail-type>, <notdefinedkey>"',
    }
    assert (
        rejected({"InputTransformer": transformer})
        == "InputTemplate for target t1 contains invalid placeholder notdefinedkey."
    )


def test_predefined_variables_need_no_paths() -> None:
    validate_input_transformer({"InputTemplate": '"<aws.events.rule-arn> <aws.events.rule-name>"'}, target_id="t1")


def test_at_most_one_hundred_paths() -> None:
    validate_input_transformer({"InputPathsMap": {f"k{i}": "$.id" for i in range(100)}, "InputTemplate": '"x"'})
    with pytest.raises(ValidationException) as raised:
        validate_input_transformer({"InputPathsMap": {f"k{i}": "$.id" for i in range(101)}, "InputTemplate": '"x"'})
    assert raised.value.message.startswith("1 validation error detected: Value '{k0=$.id, k1=$.id")
    assert raised.value.message.endswith(
        "at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: "
        "Member must have length less than or equal to 100"
    )


@pytest.mark.parametrize("key", ["aws.events.rule-name", "has space", "a.b", ""])
def test_path_keys_must_match_the_model_pattern(key: str) -> None:
    with pytest.raises(ValidationException, match=r"^1 validation error detected: .*Map keys must satisfy constraint"):
        validate_input_transformer({"InputPathsMap": {key: "$.id"}, "InputTemplate": '"x"'})


def test_key_merely_starting_with_aws_is_accepted() -> None:
    validate_input_transformer({"InputPathsMap": {"AWSRegion": "$.region"}, "InputTemplate": '"<AWSRegion>"'})


@pytest.mark.parametrize("template", ["[<aws.events.event.json>]", '"<aws.events.event.json>"', '"<aws.events.event>"'])
def test_event_variables_only_in_json_object_templates(template: str) -> None:
    name = template.strip('[]"<>')
    assert rejected({"InputTransformer": {"InputTemplate": template}}) == (
        f"InputTemplate for target t1 contains placeholder {name} valid only for JSON template."
    )


@pytest.mark.parametrize("template", ["{<k>: 1}", '{"a": <k>', '{"a": "<k>}', "[<k> <k>]"])
def test_json_template_must_stay_json(template: str) -> None:
    transformer = {"InputPathsMap": {"k": "$.id"}, "InputTemplate": template}
    assert rejected({"InputTransformer": transformer}) == "Input for target t1 is not a valid JSON text."


def test_json_template_accepted_whatever_the_values() -> None:
    transformer = {"InputPathsMap": {"k": "$.id"}, "InputTemplate": '{"a": <k>, "b": "x <k> y", "c": [<k>, 1]}'}
    validate_input_transformer(transformer, target_id="t1")
