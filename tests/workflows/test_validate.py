"""Create-time validation refuses what AWS refuses, in AWS's words, and accepts what AWS accepts.

Each rule is proven by a pair: a definition AWS rejects (with the code, message and location AWS
reports) and a close twin, one change away, that AWS accepts.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from eventyard.errors import InvalidDefinition, ValidationException
from eventyard.workflows.validate import check_definition, diagnostics, validate_definition
from eventyard.workflows.validate_jsonata import check_syntax, unsupported_references
from eventyard.workflows.validate_paths import is_intrinsic_call, is_json_path, is_reference_path

CONFORMANCE = pathlib.Path(__file__).parents[1] / "conformance"
LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:work"


def sm(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def one(state: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A machine of one state named S (plus the Done state it may catch into)."""
    states: dict[str, Any] = {"S": state}
    if any(catcher.get("Next") == "Done" for catcher in state.get("Catch", [])):
        states["Done"] = {"Type": "Succeed"}
    return sm(states, "S", **top)


def pass_end(**fields: Any) -> dict[str, Any]:
    return {"Type": "Pass", "End": True, **fields}


def task(**fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": LAMBDA, "End": True, **fields}


def processor(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}, **fields}


def map_state(**fields: Any) -> dict[str, Any]:
    return {"Type": "Map", "ItemProcessor": processor(), "End": True, **fields}


def jsonata(state: dict[str, Any]) -> dict[str, Any]:
    return one(state, QueryLanguage="JSONata")


SCHEMA = "SCHEMA_VALIDATION_FAILED"
TARGET = "MISSING_TRANSITION_TARGET"
STATE_TYPES = "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]"
WAIT_FIELDS = "[SecondsPath, Seconds, TimestampPath, Timestamp]"


def language(own: str, field: str) -> str:
    """AWS's message for a field of the other query language."""
    other = "JSONPath" if own == "JSONata" else "JSONata"
    return f"The QueryLanguage is set to '{own}', but field '{field}' is only supported for the '{other}' QueryLanguage"


# (rule, rejected definition, (code, message, location) AWS reports, accepted twin)
RULES: list[tuple[str, Any, tuple[str, str, str | None], Any]] = [
    (
        "top_level_fields_are_required",
        {"Comment": "x"},
        (SCHEMA, "These fields are required: [States, StartAt]", "/"),
        one(pass_end(), Comment="x"),
    ),
    (
        "unknown_top_level_field",
        one(pass_end(), Coment="typo"),
        (SCHEMA, "Field 'Coment' is not supported", "/"),
        one(pass_end(), Comment="typo"),
    ),
    (
        "start_at_names_a_state",
        sm({"A": pass_end()}, "Nowhere"),
        (TARGET, "Missing 'Next' target: Nowhere", "/StartAt"),
        sm({"A": pass_end()}, "A"),
    ),
    (
        "version_is_one_point_oh",
        one(pass_end(), Version="2.0"),
        (SCHEMA, "Value should be one of the following: [1.0]", "/Version"),
        one(pass_end(), Version="1.0"),
    ),
    (
        "machine_timeout_is_bounded",
        one(pass_end(), TimeoutSeconds=100_000_000),
        (SCHEMA, "Maximum value is 99999999", "/TimeoutSeconds"),
        one(pass_end(), TimeoutSeconds=99_999_999),
    ),
    (
        "query_language_enum",
        one(pass_end(), QueryLanguage="jsonpath"),
        (SCHEMA, "Value should be one of the following: [JSONPath, JSONata]", "/QueryLanguage"),
        one(pass_end(), QueryLanguage="JSONPath"),
    ),
    (
        "state_type_enum",
        one({"Type": "Sleep", "End": True}),
        (
            SCHEMA,
            f"The field 'Type' should have one of these values: {STATE_TYPES}",
            "/States/S/Type",
        ),
        one({"Type": "Pass", "End": True}),
    ),
    (
        "state_type_required",
        one({"End": True}),
        (SCHEMA, "These fields are required: [Type]", "/States/S"),
        one({"Type": "Pass", "End": True}),
    ),
    (
        "unknown_state_field",
        one(pass_end(Reslt={"a": 1})),
        (SCHEMA, "Field 'Reslt' is not supported", "/States/S"),
        one(pass_end(Result={"a": 1})),
    ),
    (
        "catch_only_on_task_parallel_map",
        one(pass_end(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}])),
        (SCHEMA, "Field 'Catch' is not supported", "/States/S"),
        one(task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}])),
    ),
    (
        "timeout_seconds_only_on_task",
        one(map_state(TimeoutSeconds=5)),
        (SCHEMA, "Field 'TimeoutSeconds' is not supported", "/States/S"),
        one(task(TimeoutSeconds=5)),
    ),
    (
        "next_and_end_are_exclusive",
        sm({"A": {"Type": "Pass", "Next": "B", "End": True}, "B": pass_end()}),
        (SCHEMA, "There should only be one of the following fields: [Next, End]", "/States/A"),
        sm({"A": {"Type": "Pass", "Next": "B"}, "B": pass_end()}),
    ),
    (
        "next_or_end_is_required",
        one({"Type": "Pass"}),
        (SCHEMA, "This object should have only one of the following fields: [Next, End]", "/States/S"),
        one({"Type": "Pass", "End": True}),
    ),
    (
        "fail_has_no_next",
        sm({"F": {"Type": "Fail", "Error": "E", "Next": "G"}, "G": {"Type": "Succeed"}}),
        (SCHEMA, "Field 'Next' is not supported", "/States/F"),
        sm(
            {
                "F": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "G"}]},
                "G": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "next_target_exists",
        sm({"A": {"Type": "Pass", "Next": "Ghost"}, "B": pass_end()}),
        (TARGET, "Missing 'Next' target: Ghost", "/States/A/Next"),
        sm({"A": {"Type": "Pass", "Next": "B"}, "B": pass_end()}),
    ),
    (
        "every_state_is_reachable",
        sm({"A": pass_end(), "Orphan": pass_end()}),
        (TARGET, 'State "Orphan" is not reachable.', "/States/Orphan"),
        sm({"A": {"Type": "Pass", "Next": "Orphan"}, "Orphan": pass_end()}),
    ),
    (
        "machine_has_a_terminal_state",
        sm({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}),
        ("MISSING_END_STATE", "Workflow has no terminal state", None),
        sm({"A": {"Type": "Pass", "Next": "B"}, "B": pass_end()}),
    ),
    (
        "branch_is_its_own_scope",
        sm(
            {
                "P": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Out"}}}],
                    "Next": "Out",
                },
                "Out": pass_end(),
            }
        ),
        (TARGET, "Missing 'Next' target: Out", "/States/P/Branches[0]/States/X/Next"),
        sm({"P": {"Type": "Parallel", "Branches": [processor()], "Next": "Out"}, "Out": pass_end()}),
    ),
    (
        "map_processor_is_its_own_scope",
        one(map_state(ItemProcessor={"StartAt": "I", "States": {"I": pass_end(), "Ghost": pass_end()}})),
        (TARGET, 'State "Ghost" is not reachable.', "/States/S/ItemProcessor/States/Ghost"),
        one(map_state(ItemProcessor=processor())),
    ),
    (
        "state_name_at_most_80_characters",
        sm({"A" * 81: pass_end()}),
        (
            "INVALID_STATE_NAME",
            f"Invalid State name: State '{'A' * 81}' exceeds the 80-character limit allowed by the service",
            f"/States/{'A' * 81}",
        ),
        sm({"A" * 80: pass_end()}),
    ),
    (
        "state_names_unique_across_scopes",
        sm({"P": {"Type": "Parallel", "Branches": [{"StartAt": "P", "States": {"P": pass_end()}}], "End": True}}),
        ("DUPLICATE_STATE_NAME", "Duplicate State name: P", "/States/P/Branches[0]/States/P"),
        sm({"P": {"Type": "Parallel", "Branches": [{"StartAt": "Q", "States": {"Q": pass_end()}}], "End": True}}),
    ),
    (
        "choice_needs_choices",
        sm({"C": {"Type": "Choice", "Default": "D"}, "D": {"Type": "Succeed"}}),
        (SCHEMA, "These fields are required: [Choices]", "/States/C"),
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "D"}], "Default": "D"},
                "D": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "choice_rule_has_one_operator",
        sm(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.a", "StringEquals": "x", "IsNull": True, "Next": "D"}],
                },
                "D": {"Type": "Succeed"},
            }
        ),
        (SCHEMA, "There should only be one of the following fields: [StringEquals, IsNull]", "/States/C/Choices[0]"),
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": "x", "Next": "D"}]},
                "D": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "choice_rule_needs_variable",
        sm({"C": {"Type": "Choice", "Choices": [{"NumericEquals": 1, "Next": "D"}]}, "D": {"Type": "Succeed"}}),
        (SCHEMA, "These fields are required: [Variable]", "/States/C/Choices[0]"),
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
                "D": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "top_choice_rule_needs_next",
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1}], "Default": "D"},
                "D": {"Type": "Succeed"},
            }
        ),
        (SCHEMA, "These fields are required: [Next]", "/States/C/Choices[0]"),
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
                "D": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "nested_choice_rule_has_no_next",
        sm(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Not": {"Variable": "$.n", "IsNull": True, "Next": "D"}, "Next": "D"}],
                },
                "D": {"Type": "Succeed"},
            }
        ),
        (SCHEMA, "Field 'Next' is not supported", "/States/C/Choices[0]/Not"),
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.n", "IsNull": True}, "Next": "D"}]},
                "D": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "choice_operand_type",
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": "1", "Next": "D"}]},
                "D": {"Type": "Succeed"},
            }
        ),
        (SCHEMA, "Expected value of type [NUMBER]", "/States/C/Choices[0]/NumericEquals"),
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
                "D": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "choice_variable_is_a_reference_path",
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.a[*]", "IsPresent": True, "Next": "D"}]},
                "D": {"Type": "Succeed"},
            }
        ),
        (SCHEMA, "The value for the field 'Variable' must be a valid Reference Path", "/States/C/Choices[0]/Variable"),
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.a[0]", "IsPresent": True, "Next": "D"}]},
                "D": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "choice_default_target_exists",
        sm(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "D"}],
                    "Default": "Ghost",
                },
                "D": {"Type": "Succeed"},
            }
        ),
        (TARGET, "Missing 'Next' target: Ghost", "/States/C/Default"),
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "D"}], "Default": "D"},
                "D": {"Type": "Succeed"},
            }
        ),
    ),
    (
        "jsonata_choice_rule_uses_condition",
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "D"}]},
                "D": {"Type": "Succeed"},
            },
            QueryLanguage="JSONata",
        ),
        (
            SCHEMA,
            language("JSONata", "Variable"),
            "/States/C/Choices[0]",
        ),
        sm(
            {
                "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.a = null %}", "Next": "D"}]},
                "D": {"Type": "Succeed"},
            },
            QueryLanguage="JSONata",
        ),
    ),
    (
        "error_equals_not_empty",
        one(task(Retry=[{"ErrorEquals": []}])),
        (SCHEMA, "Value cannot be empty", "/States/S/Retry[0]/ErrorEquals"),
        one(task(Retry=[{"ErrorEquals": ["States.TaskFailed"]}])),
    ),
    (
        "states_all_alone",
        one(task(Retry=[{"ErrorEquals": ["States.ALL", "Custom"]}])),
        (SCHEMA, "States.ALL must appear alone and at end of list", "/States/S/Retry[0]/ErrorEquals"),
        one(task(Retry=[{"ErrorEquals": ["States.ALL"]}])),
    ),
    (
        "states_all_last",
        one(task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}, {"ErrorEquals": ["X"], "Next": "Done"}])),
        (SCHEMA, "States.ALL must appear alone and at end of list", "/States/S/Catch[0]/ErrorEquals"),
        one(task(Catch=[{"ErrorEquals": ["X"], "Next": "Done"}, {"ErrorEquals": ["States.ALL"], "Next": "Done"}])),
    ),
    (
        "catcher_needs_next",
        one(task(Catch=[{"ErrorEquals": ["States.ALL"]}])),
        (SCHEMA, "These fields are required: [Next]", "/States/S/Catch[0]"),
        one(task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}])),
    ),
    (
        "catch_next_target_exists",
        one(task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Ghost"}])),
        (TARGET, "Missing 'Next' target: Ghost", "/States/S/Catch[0]/Next"),
        one(task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}])),
    ),
    (
        "max_attempts_not_negative",
        one(task(Retry=[{"ErrorEquals": ["X"], "MaxAttempts": -1}])),
        (SCHEMA, "Minimum value is 0", "/States/S/Retry[0]/MaxAttempts"),
        one(task(Retry=[{"ErrorEquals": ["X"], "MaxAttempts": 0}])),
    ),
    (
        "interval_seconds_positive",
        one(task(Retry=[{"ErrorEquals": ["X"], "IntervalSeconds": 0}])),
        (SCHEMA, "Minimum value is 1", "/States/S/Retry[0]/IntervalSeconds"),
        one(task(Retry=[{"ErrorEquals": ["X"], "IntervalSeconds": 1}])),
    ),
    (
        "backoff_rate_at_least_one",
        one(task(Retry=[{"ErrorEquals": ["X"], "BackoffRate": 0.5}])),
        (SCHEMA, "Minimum value is 1.0", "/States/S/Retry[0]/BackoffRate"),
        one(task(Retry=[{"ErrorEquals": ["X"], "BackoffRate": 1.0}])),
    ),
    (
        "max_delay_seconds_bounded",
        one(task(Retry=[{"ErrorEquals": ["X"], "MaxDelaySeconds": 31_622_401}])),
        (SCHEMA, "Maximum value is 31622400", "/States/S/Retry[0]/MaxDelaySeconds"),
        one(task(Retry=[{"ErrorEquals": ["X"], "MaxDelaySeconds": 31_622_400}])),
    ),
    (
        "jitter_strategy_enum",
        one(task(Retry=[{"ErrorEquals": ["X"], "JitterStrategy": "PARTIAL"}])),
        (SCHEMA, "Value should be one of the following: [NONE, FULL]", "/States/S/Retry[0]/JitterStrategy"),
        one(task(Retry=[{"ErrorEquals": ["X"], "JitterStrategy": "FULL"}])),
    ),
    (
        "input_path_is_a_json_path",
        one(pass_end(InputPath="$.a[[")),
        (SCHEMA, "The value for the field 'InputPath' must be a valid JSONPath", "/States/S/InputPath"),
        one(pass_end(InputPath="$.a[0]")),
    ),
    (
        "result_path_is_a_reference_path",
        one(pass_end(ResultPath="$.items[*]")),
        (SCHEMA, "The value for the field 'ResultPath' must be a valid Reference Path", "/States/S/ResultPath"),
        one(pass_end(ResultPath="$.items[0]")),
    ),
    (
        "items_path_is_a_reference_path",
        one(map_state(ItemsPath="$..items")),
        (SCHEMA, "The value for the field 'ItemsPath' must be a valid Reference Path", "/States/S/ItemsPath"),
        one(map_state(ItemsPath="$.items")),
    ),
    (
        "dollar_key_holds_a_path",
        one(pass_end(Parameters={"x.$": "just words"})),
        (
            SCHEMA,
            "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call",
            "/States/S/Parameters/x.$",
        ),
        one(pass_end(Parameters={"x.$": "$.words"})),
    ),
    (
        "dollar_key_holds_a_known_intrinsic",
        one(task(ResultSelector={"n": {"len.$": "States.Length($.a)"}})),
        (
            SCHEMA,
            "The value for the field 'len.$' must be a valid JSONPath or a valid intrinsic function call",
            "/States/S/ResultSelector/n/len.$",
        ),
        one(task(ResultSelector={"n": {"len.$": "States.ArrayLength($.a)"}})),
    ),
    (
        "jsonata_field_refused_in_jsonpath_state",
        one(pass_end(Output={"a": 1})),
        (
            SCHEMA,
            language("JSONPath", "Output"),
            "/States/S",
        ),
        jsonata(pass_end(Output={"a": 1})),
    ),
    (
        "jsonpath_field_refused_in_jsonata_state",
        jsonata(task(Parameters={"a": 1})),
        (
            SCHEMA,
            language("JSONata", "Parameters"),
            "/States/S",
        ),
        jsonata(task(Arguments={"a": 1})),
    ),
    (
        "no_jsonpath_state_in_jsonata_machine",
        jsonata(pass_end(QueryLanguage="JSONPath")),
        (SCHEMA, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", "/States/S"),
        one(pass_end(QueryLanguage="JSONata")),
    ),
    (
        "processor_has_no_query_language",
        one(map_state(ItemProcessor=processor(QueryLanguage="JSONata"))),
        (SCHEMA, "Field 'QueryLanguage' is not supported", "/States/S/ItemProcessor"),
        one(map_state(ItemProcessor=processor(ProcessorConfig={"Mode": "INLINE"}))),
    ),
    (
        "nested_states_follow_the_machine_language",
        one(map_state(QueryLanguage="JSONata", ItemProcessor={"StartAt": "I", "States": {"I": pass_end(Output=1)}})),
        (
            SCHEMA,
            language("JSONPath", "Output"),
            "/States/S/ItemProcessor/States/I",
        ),
        jsonata(map_state(ItemProcessor={"StartAt": "I", "States": {"I": pass_end(Output=1)}})),
    ),
    (
        "jsonata_expression_parses",
        jsonata(pass_end(Output={"v": "{% 1 + %}"})),
        ("INVALID_JSONATA_EXPRESSION", "Unexpected end of expression", "/States/S/Output/v"),
        jsonata(pass_end(Output={"v": "{% 1 + 2 %}"})),
    ),
    (
        "jsonata_has_no_context_item",
        jsonata(pass_end(Output={"v": "{% phone %}"})),
        (
            "UNSUPPORTED_JSONATA_EXPRESSION",
            "Reference to 'phone' at the top level is not supported.",
            "/States/S/Output/v",
        ),
        jsonata(pass_end(Output={"v": "{% $states.input.phone %}"})),
    ),
    (
        "error_output_only_in_a_catcher",
        jsonata(task(Output="{% $states.errorOutput %}")),
        ("UNSUPPORTED_JSONATA_EXPRESSION", "Field '$states.errorOutput' does not exist.", "/States/S/Output"),
        jsonata(task(Catch=[{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Next": "Done"}])),
    ),
    (
        "assign_variable_names",
        one(pass_end(Assign={"my-var": 1})),
        (
            "INVALID_VARIABLE_NAME",
            "Invalid variable name 'my-var': the variable name contains invalid characters.",
            "/States/S/Assign/my-var",
        ),
        one(pass_end(Assign={"my_var": 1})),
    ),
    (
        "assign_cannot_use_states",
        one(pass_end(Assign={"states": 1})),
        ("RESERVED_VARIABLE_NAME", "Cannot assign to reserved variable '$states'.", "/States/S/Assign/states"),
        one(pass_end(Assign={"state": 1})),
    ),
    (
        "assign_path_values",
        one(pass_end(Assign={"x.$": "x"})),
        (
            SCHEMA,
            "The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call",
            "/States/S/Assign/x.$",
        ),
        one(pass_end(Assign={"x.$": "$.x"})),
    ),
    (
        "map_has_one_processor",
        one({"Type": "Map", "ItemProcessor": processor(), "Iterator": processor(), "End": True}),
        (SCHEMA, "There should only be one of the following fields: [ItemProcessor, Iterator]", "/States/S"),
        one({"Type": "Map", "Iterator": processor(), "End": True}),
    ),
    (
        "map_needs_a_processor",
        one({"Type": "Map", "End": True}),
        (SCHEMA, "This object should have only one of the following fields: [ItemProcessor, Iterator]", "/States/S"),
        one({"Type": "Map", "ItemProcessor": processor(), "End": True}),
    ),
    (
        "processor_mode_enum",
        one(map_state(ItemProcessor=processor(ProcessorConfig={"Mode": "PARALLEL"}))),
        (
            SCHEMA,
            "Value should be one of the following: [INLINE, DISTRIBUTED]",
            "/States/S/ItemProcessor/ProcessorConfig/Mode",
        ),
        one(map_state(ItemProcessor=processor(ProcessorConfig={"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}))),
    ),
    (
        "max_concurrency_not_negative",
        one(map_state(MaxConcurrency=-1)),
        (SCHEMA, "Minimum value is 0", "/States/S/MaxConcurrency"),
        one(map_state(MaxConcurrency=0)),
    ),
    (
        "max_concurrency_and_path_exclusive",
        one(map_state(MaxConcurrency=2, MaxConcurrencyPath="$.limit")),
        (
            SCHEMA,
            "There should only be one of the following fields: [MaxConcurrency, MaxConcurrencyPath]",
            "/States/S/MaxConcurrency",
        ),
        one(map_state(MaxConcurrencyPath="$.limit")),
    ),
    (
        "tolerated_failure_percentage_bounded",
        one(map_state(ToleratedFailurePercentage=101)),
        (SCHEMA, "Value must be between 0 and 100", "/States/S/ToleratedFailurePercentage"),
        one(map_state(ToleratedFailurePercentage=100)),
    ),
    (
        "item_reader_resource",
        one(map_state(ItemReader={"Resource": "arn:aws:states:::s3:unknownOperation", "Parameters": {"Bucket": "b"}})),
        (
            SCHEMA,
            "The resource provided arn:aws:states:::s3:unknownOperation is not recognized. The value is not a valid "
            "resource ARN, or the resource is not available in this region.",
            "/States/S/ItemReader/Resource",
        ),
        one(map_state(ItemReader={"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b"}})),
    ),
    (
        "item_reader_input_type",
        one(map_state(ItemReader={"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "XML"}})),
        (
            SCHEMA,
            "Value should be one of the following: [CSV, JSON, JSONL, MANIFEST, PARQUET]",
            "/States/S/ItemReader/ReaderConfig/InputType",
        ),
        one(map_state(ItemReader={"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}})),
    ),
    (
        "result_writer_config_complete",
        one(map_state(ResultWriter={"WriterConfig": {"Transformation": "COMPACT"}})),
        (SCHEMA, "These fields are required: [OutputType]", "/States/S/ResultWriter/WriterConfig"),
        one(map_state(ResultWriter={"WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSON"}})),
    ),
    (
        "item_batcher_fields",
        one(map_state(ItemBatcher={"MaxItems": 5})),
        (SCHEMA, "Field 'MaxItems' is not supported", "/States/S/ItemBatcher"),
        one(map_state(ItemBatcher={"MaxItemsPerBatch": 5})),
    ),
    (
        "wait_needs_exactly_one_duration",
        one({"Type": "Wait", "Seconds": 5, "SecondsPath": "$.s", "End": True}),
        (
            SCHEMA,
            "There should only be one of the following fields: [SecondsPath, Seconds, TimestampPath, Timestamp]",
            "/States/S",
        ),
        one({"Type": "Wait", "SecondsPath": "$.s", "End": True}),
    ),
    (
        "wait_needs_a_duration",
        one({"Type": "Wait", "End": True}),
        (
            SCHEMA,
            f"This object should have only one of the following fields: {WAIT_FIELDS}",
            "/States/S",
        ),
        one({"Type": "Wait", "Seconds": 0, "End": True}),
    ),
    (
        "wait_timestamp_rfc3339",
        one({"Type": "Wait", "Timestamp": "2024-01-01 10:00:00Z", "End": True}),
        (SCHEMA, "String does not match RFC3339 timestamp", "/States/S/Timestamp"),
        one({"Type": "Wait", "Timestamp": "2024-01-01T10:00:00Z", "End": True}),
    ),
    (  # AWS-recorded: test_base_scenarios test_wait_timestamp_invalid[INVALID_DATE] and [INVALID_TIME]
        "wait_timestamp_is_a_real_date_and_time",
        one({"Type": "Wait", "Timestamp": "2016-13-05T25:29:29Z", "End": True}),
        (SCHEMA, "String does not match RFC3339 timestamp", "/States/S/Timestamp"),
        one({"Type": "Wait", "Timestamp": "2016-12-05T23:29:29.243167252Z", "End": True}),
    ),
    (
        "wait_seconds_expression_in_jsonata",
        jsonata({"Type": "Wait", "Seconds": "$states.input.s", "End": True}),
        (SCHEMA, "Expected value of type [INTEGER]", "/States/S/Seconds"),
        jsonata({"Type": "Wait", "Seconds": "{% $states.input.s %}", "End": True}),
    ),
    (
        "task_needs_resource",
        one({"Type": "Task", "End": True}),
        (SCHEMA, "These fields are required: [Resource]", "/States/S"),
        one({"Type": "Task", "Resource": LAMBDA, "End": True}),
    ),
    (
        "task_resource_is_an_arn",
        one({"Type": "Task", "Resource": "my-function", "End": True}),
        (SCHEMA, "Value is not a valid resource ARN", "/States/S/Resource"),
        one({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}),
    ),
    (
        "task_timeout_and_path_exclusive",
        one(task(TimeoutSeconds=5, TimeoutSecondsPath="$.t")),
        (SCHEMA, "There should only be one of the following fields: [TimeoutSeconds, TimeoutSecondsPath]", "/States/S"),
        one(task(TimeoutSecondsPath="$.t")),
    ),
    (
        "task_timeout_positive",
        one(task(TimeoutSeconds=0)),
        (SCHEMA, "Minimum value is 1", "/States/S/TimeoutSeconds"),
        one(task(TimeoutSeconds=1)),
    ),
    (
        "heartbeat_shorter_than_timeout",
        one(task(TimeoutSeconds=10, HeartbeatSeconds=10)),
        (SCHEMA, "HeartbeatSeconds must be smaller than TimeoutSeconds", "/States/S/HeartbeatSeconds"),
        one(task(TimeoutSeconds=10, HeartbeatSeconds=9)),
    ),
    (
        "fail_error_and_error_path_exclusive",
        one({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}),
        (SCHEMA, "There should only be one of the following fields: [Error, ErrorPath]", "/States/S"),
        one({"Type": "Fail", "ErrorPath": "$.e"}),
    ),
    (
        "fail_cause_and_cause_path_exclusive",
        one({"Type": "Fail", "Cause": "c", "CausePath": "$.c"}),
        (SCHEMA, "There should only be one of the following fields: [Cause, CausePath]", "/States/S"),
        one({"Type": "Fail", "CausePath": "States.Format('failed: {}', $.c)"}),
    ),
    (
        "parallel_branches_not_empty",
        one({"Type": "Parallel", "Branches": [], "End": True}),
        (SCHEMA, "Value cannot be empty", "/States/S/Branches"),
        one({"Type": "Parallel", "Branches": [processor()], "End": True}),
    ),
    (
        "branch_has_no_query_language",
        one({"Type": "Parallel", "Branches": [processor(QueryLanguage="JSONata")], "End": True}),
        (SCHEMA, "Field 'QueryLanguage' is not supported", "/States/S/Branches[0]"),
        one({"Type": "Parallel", "Branches": [processor(Comment="fine")], "End": True}),
    ),
]


def _found(definition: Any) -> list[tuple[str, str, str | None]]:
    return [(item.code, item.message, item.location) for item in check_definition(definition)]


@pytest.mark.parametrize(("bad", "expected", "good"), [pytest.param(*rule[1:], id=rule[0]) for rule in RULES])
def test_rule_refuses_the_definition_and_accepts_its_twin(
    bad: Any, expected: tuple[str, str, str | None], good: Any
) -> None:
    assert expected in _found(bad)
    assert _found(good) == []


def test_create_message_names_each_problem_with_its_location() -> None:
    bad = sm({"pass1": {"Type": "Pass", "Next": "pass3"}, "pass2": pass_end()})

    with pytest.raises(InvalidDefinition) as raised:
        validate_definition(json.dumps(bad))

    assert raised.value.message == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: pass3 at "
        '/States/pass1/Next, MISSING_TRANSITION_TARGET: State "pass2" is not reachable. at /States/pass2\''
    )
    assert raised.value.code == "InvalidDefinition"
    assert raised.value.status == 400


def test_create_message_says_null_where_aws_has_no_location() -> None:
    loop = sm({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}})

    with pytest.raises(InvalidDefinition, match=r"'MISSING_END_STATE: Workflow has no terminal state at null'$"):
        validate_definition(loop)


def test_diagnostics_have_the_validate_api_shape() -> None:
    loop = sm({"A": {"Type": "Pass", "Next": "Nope"}})

    assert diagnostics(loop) == [
        {
            "severity": "ERROR",
            "code": "MISSING_TRANSITION_TARGET",
            "message": "Missing 'Next' target: Nope",
            "location": "/States/A/Next",
        },
        {"severity": "ERROR", "code": "MISSING_END_STATE", "message": "Workflow has no terminal state"},
    ]


def test_express_machines_cannot_wait_for_callbacks_or_jobs() -> None:
    callback = one(task(Resource="arn:aws:states:::sqs:sendMessage.waitForTaskToken"))
    job = one(task(Resource="arn:aws:states:::states:startExecution.sync:2"))

    assert _found(callback) == []
    assert [(item.message, item.location) for item in check_definition(callback, "EXPRESS")] == [
        ("Express state machine does not support '.waitForTaskToken' service integration ", "/States/S/Resource")
    ]
    assert [item.message for item in check_definition(job, "EXPRESS")] == [
        "Express state machine does not support '.sync' service integration"
    ]
    activity = one(task(Resource="arn:aws:states:us-east-1:000000000000:activity:approve"))
    assert [(item.message, item.location) for item in check_definition(activity, "EXPRESS")] == [
        ("Express state machine does not support Activity ARN", "/States/S/Resource")
    ]
    assert check_definition(one(task(Resource="arn:aws:states:::sqs:sendMessage")), "EXPRESS") == []


def test_a_loop_without_end_inside_a_map_is_accepted() -> None:
    # AWS asks for a terminal state of the top-level machine only.
    loop = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}

    assert check_definition(one(map_state(ItemProcessor=loop))) == []


def test_text_that_is_not_json_is_an_invalid_json_description() -> None:
    found = diagnostics("{not json")

    assert [item["code"] for item in found] == ["INVALID_JSON_DESCRIPTION"]
    with pytest.raises(InvalidDefinition, match=r"^Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: "):
        validate_definition("{not json")


@pytest.mark.parametrize("text", ["   ", "[]", '"StartAt"', "42"])
def test_json_that_is_not_an_object_is_refused(text: str) -> None:
    assert _found(text) == [(SCHEMA, "Definition must be a valid JSON object", None)]


def test_a_state_name_written_twice_in_the_text_is_a_duplicate() -> None:
    text = (
        '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true},'
        '"A":{"Type":"Succeed"}}}'
    )

    assert ("DUPLICATE_STATE_NAME", "Duplicate State name: A", "/States/A") in _found(text)


def test_definition_longer_than_the_api_limit_is_a_validation_exception() -> None:
    padding = " " * 1_048_577

    with pytest.raises(ValidationException, match="less than or equal to 1048576"):
        validate_definition(padding)


def test_several_jsonpath_fields_in_a_jsonata_state_are_each_reported() -> None:
    bad = jsonata(pass_end(InputPath="$.a", OutputPath="$.b", ResultPath="$.c"))

    assert [message for _, message, _ in _found(bad)] == [
        language("JSONata", name) for name in ("InputPath", "OutputPath", "ResultPath")
    ]


def test_a_field_a_type_lacks_is_not_also_a_language_error() -> None:
    assert _found(one({"Type": "Fail", "Output": {"a": 1}})) == [
        (SCHEMA, "Field 'Output' is not supported", "/States/S")
    ]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("a[1,2)", 'Expected "]", got ","'),
        ('"unterminated', "String literal must be terminated by a matching quote"),
        ("1 +", "Unexpected end of expression"),
        ('{"a":}', 'The symbol "}" cannot be used as a unary operator'),
        ('$match("a", /abc', "No terminating / in regular expression"),
        ("", "Unexpected end of expression"),
    ],
)
def test_jsonata_syntax_errors_read_as_aws_reports_them(expression: str, message: str) -> None:
    assert check_syntax(expression) == message


@pytest.mark.parametrize(
    ("expression", "references"),
    [
        ("aaa + bbb", ["aaa", "bbb"]),
        ("$.phone", ["$"]),
        ("$$", ["$$"]),
        ("$states.input.items[phone > 3]", []),
        ("$map($states.input.a, function($x){ $x.phone })", []),
        ("$phone", []),
    ],
)
def test_jsonata_references_without_context_item(expression: str, references: list[str]) -> None:
    assert list(unsupported_references(expression)) == references


@pytest.mark.parametrize(
    ("path", "json_path", "reference_path"),
    [
        ("$", True, True),
        ("$.a['b c'][0]", True, True),
        ("$$.Execution.Input", True, True),
        ("$myVariable.field", True, True),
        ("$.[0]", True, True),
        ("$.a[*].b", True, False),
        ("$..b", True, False),
        ("$.a[?(@.n > 1)]", True, False),
        ("$.a[1:3]", True, False),
        ("a.b", False, False),
        ("$.a[[", False, False),
    ],
)
def test_paths_and_reference_paths(path: str, json_path: bool, reference_path: bool) -> None:
    assert (is_json_path(path), is_reference_path(path)) == (json_path, reference_path)


@pytest.mark.parametrize(
    ("call", "valid"),
    [
        ("States.Format('{} and {}', $.a, States.JsonToString($.b))", True),
        ("States.MathAdd($.n, -1)", True),
        ("States.UUID()", True),
        ("States.Format('it\\'s')", True),
        ("States.Unknown($.a)", False),
        ("States.Format('open'", False),
        ("States.Array($.a,)", False),
    ],
)
def test_intrinsic_function_calls(call: str, valid: bool) -> None:
    assert is_intrinsic_call(call) is valid


#: What the shared steps save before they create a machine whose definition names it.
_SAVED = {
    "${account}": "000000000000",
    "${region}": "us-east-1",
    "${uid}": "u1",
    "${act}": "arn:aws:states:us-east-1:000000000000:activity:worker",
    "${child}": "arn:aws:states:us-east-1:000000000000:stateMachine:child",
    "${farn}": "arn:aws:lambda:us-east-1:000000000000:function:f",
    "${qarn}": "arn:aws:sqs:us-east-1:000000000000:q",
    "${queue}": "http://127.0.0.1:4566/000000000000/q",
}


def _resolved(definition: Any) -> Any:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    for placeholder, value in _SAVED.items():
        text = text.replace(placeholder, value)
    return text


def _conformance_definitions() -> list[Any]:
    params = []
    for path in sorted((CONFORMANCE / "cases" / "workflows").glob("*.json")):
        data = json.loads(path.read_text())
        for case in data if isinstance(data, list) else [data]:
            if case["kind"] == "workflow":
                kind = case.get("type", "STANDARD")
                params.append(pytest.param(case["definition"], bool(case.get("invalid")), kind, id=case["name"]))
                continue
            for index, step in enumerate(case.get("steps", [])):
                definition = step.get("params", {}).get("definition")
                if step.get("call") in ("CreateStateMachine", "UpdateStateMachine") and definition is not None:
                    error = step.get("expect_error")
                    code = error.get("code") if isinstance(error, dict) else error
                    invalid = code == "InvalidDefinition"
                    kind = step["params"].get("type", "STANDARD")
                    params.append(pytest.param(_resolved(definition), invalid, kind, id=f"{case['name']}-{index}"))
    return params


@pytest.mark.parametrize(("definition", "invalid", "kind"), _conformance_definitions())
def test_conformance_definitions_are_judged_as_aws_judges_them(definition: Any, invalid: bool, kind: str) -> None:
    assert bool(check_definition(definition, kind)) is invalid, _found(definition)


def test_every_real_world_definition_is_accepted() -> None:
    corpus = json.loads((CONFORMANCE / "real-world" / "workflows.json").read_text())

    rejected = {case["name"]: _found(case["definition"]) for case in corpus if check_definition(case["definition"])}

    assert len(corpus) == 251
    assert rejected == {}
