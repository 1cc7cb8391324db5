"""Create-time checks of a Map state: its processor, its items, its limits and its S3 reader/writer.

ASL: a Map runs ``ItemProcessor`` (formerly ``Iterator``; exactly one of the two) over each item
of an array. The processor is a state machine of its own (a separate transition scope) with an
optional ``ProcessorConfig`` (``Mode`` INLINE or DISTRIBUTED; a DISTRIBUTED map also names its
child ``ExecutionType``). A distributed map may read items from S3 (``ItemReader``), batch them
(``ItemBatcher``) and write results to S3 (``ResultWriter``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eventyard.workflows.validate_common import language_mismatch
from eventyard.workflows.validate_jsonata import check_expressions
from eventyard.workflows.validate_paths import check_payload_template, check_reference_path
from eventyard.workflows.validate_report import (
    Report,
    StateContext,
    check_fields,
    check_integer,
    check_object,
    check_required,
    check_string,
    is_jsonata_string,
    is_number,
)

PROCESSOR_FIELDS = frozenset({"ProcessorConfig"})
_PROCESSOR_CONFIG_FIELDS = frozenset({"Mode", "ExecutionType"})
_READER_FIELDS = frozenset({"Resource", "Parameters", "Arguments", "ReaderConfig"})
_READER_CONFIG_FIELDS = frozenset(
    {"InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "MaxItems", "MaxItemsPath", "ManifestType"}
)
_READER_RESOURCES = ("arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2")
_WRITER_FIELDS = frozenset({"Resource", "Parameters", "Arguments", "WriterConfig"})
_BATCHER_FIELDS = frozenset(
    {"MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput"}
)


def _unrecognised_resource(report: Report, resource: str, location: str) -> None:
    report.schema(
        f"The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the "
        "resource is not available in this region.",
        location,
    )


def _check_processor_config(report: Report, processor: Mapping[str, Any], location: str) -> None:
    config = processor.get("ProcessorConfig")
    if config is None or not check_object(report, config, f"{location}/ProcessorConfig"):
        return
    here = f"{location}/ProcessorConfig"
    check_fields(report, config, _PROCESSOR_CONFIG_FIELDS, here)
    if "Mode" in config and config["Mode"] not in ("INLINE", "DISTRIBUTED"):
        report.one_of(["INLINE", "DISTRIBUTED"], f"{here}/Mode")
    if "ExecutionType" in config and config["ExecutionType"] not in ("STANDARD", "EXPRESS"):
        report.one_of(["STANDARD", "EXPRESS"], f"{here}/ExecutionType")
    if config.get("Mode") == "DISTRIBUTED":
        check_required(report, config, ("ExecutionType",), here)


def _check_arguments(context: StateContext, holder: Mapping[str, Any], location: str) -> None:
    """``Parameters`` in a JSONPath state, ``Arguments`` in a JSONata one, inside a reader or writer."""
    report = context.report
    if context.jsonata:
        if "Parameters" in holder:
            language_mismatch(report, True, "Parameters", f"{location}/Parameters")
        if "Arguments" in holder:
            check_expressions(report, holder["Arguments"], f"{location}/Arguments")
    else:
        if "Arguments" in holder:
            language_mismatch(report, False, "Arguments", f"{location}/Arguments")
        if "Parameters" in holder and check_object(report, holder["Parameters"], f"{location}/Parameters"):
            check_payload_template(report, holder["Parameters"], f"{location}/Parameters")


def _check_item_reader(context: StateContext, reader: Any, location: str) -> None:
    report = context.report
    if not check_object(report, reader, location):
        return
    check_fields(report, reader, _READER_FIELDS, location)
    resource = reader.get("Resource")
    readable = check_required(report, reader, ("Resource",), location)
    if readable and check_string(report, resource, f"{location}/Resource") and resource not in _READER_RESOURCES:
        _unrecognised_resource(report, resource, f"{location}/Resource")
    _check_arguments(context, reader, location)
    config = reader.get("ReaderConfig")
    if config is None or not check_object(report, config, f"{location}/ReaderConfig"):
        return
    here = f"{location}/ReaderConfig"
    check_fields(report, config, _READER_CONFIG_FIELDS, here)
    input_types = ["CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"]
    if "InputType" in config and config["InputType"] not in input_types:
        report.one_of(input_types, f"{here}/InputType")
    if "CSVHeaderLocation" in config and config["CSVHeaderLocation"] not in ("FIRST_ROW", "GIVEN"):
        report.one_of(["FIRST_ROW", "GIVEN"], f"{here}/CSVHeaderLocation")
    if "MaxItems" in config and not (context.jsonata and is_jsonata_string(config["MaxItems"])):
        check_integer(report, config["MaxItems"], f"{here}/MaxItems", 0)
    if "MaxItemsPath" in config:
        check_reference_path(report, config["MaxItemsPath"], "MaxItemsPath", f"{here}/MaxItemsPath")


def _check_result_writer(context: StateContext, writer: Any, location: str) -> None:
    report = context.report
    if not check_object(report, writer, location):
        return
    check_fields(report, writer, _WRITER_FIELDS, location)
    if "Resource" not in writer and "WriterConfig" not in writer:
        report.required(["Resource"], location)
    if "Resource" in writer:
        resource = writer["Resource"]
        if resource != "arn:aws:states:::s3:putObject":
            _unrecognised_resource(report, str(resource), f"{location}/Resource")
        if "Parameters" not in writer and "Arguments" not in writer:
            report.required(["Arguments" if context.jsonata else "Parameters"], location)
    _check_arguments(context, writer, location)
    config = writer.get("WriterConfig")
    if config is None or not check_object(report, config, f"{location}/WriterConfig"):
        return
    here = f"{location}/WriterConfig"
    check_fields(report, config, frozenset({"Transformation", "OutputType"}), here)
    if check_required(report, config, ("Transformation", "OutputType"), here):
        if config["Transformation"] not in ("NONE", "COMPACT", "FLATTEN"):
            report.one_of(["NONE", "COMPACT", "FLATTEN"], f"{here}/Transformation")
        if config["OutputType"] not in ("JSON", "JSONL"):
            report.one_of(["JSON", "JSONL"], f"{here}/OutputType")


def _check_item_batcher(context: StateContext, batcher: Any, location: str) -> None:
    report = context.report
    if not check_object(report, batcher, location):
        return
    check_fields(report, batcher, _BATCHER_FIELDS, location)
    for name in ("MaxItemsPerBatch", "MaxInputBytesPerBatch"):
        if name in batcher and not (context.jsonata and is_jsonata_string(batcher[name])):
            check_integer(report, batcher[name], f"{location}/{name}", 0)
        if f"{name}Path" in batcher and not context.jsonata:
            check_reference_path(report, batcher[f"{name}Path"], f"{name}Path", f"{location}/{name}Path")
    if "BatchInput" in batcher:
        if context.jsonata:
            check_expressions(report, batcher["BatchInput"], f"{location}/BatchInput")
        else:
            check_payload_template(report, batcher["BatchInput"], f"{location}/BatchInput")


def _check_limit(context: StateContext, name: str, minimum: int, maximum: int | None, *, integer: bool) -> None:
    """A limit (MaxConcurrency, ToleratedFailure*) given as a value, an expression or a Path."""
    state, report = context.state, context.report
    path_field = f"{name}Path"
    if name in state and path_field in state:
        report.only_one([name, path_field], context.at(name))
    if name in state:
        value = state[name]
        if context.jsonata and is_jsonata_string(value):
            check_expressions(report, value, context.at(name))
        elif integer:
            check_integer(report, value, context.at(name), minimum, maximum)
        elif not is_number(value):
            report.wrong_type("NUMBER", context.at(name))
        elif value < minimum or (maximum is not None and value > maximum):
            report.schema(f"Value must be between {minimum} and {maximum}", context.at(name))
    if path_field in state and not context.jsonata:
        check_reference_path(report, state[path_field], path_field, context.at(path_field))


def check_map(context: StateContext) -> None:
    """Exactly one processor (its own scope), then items, selector, limits, reader, batcher and writer."""
    state, report = context.state, context.report
    processors = [name for name in ("ItemProcessor", "Iterator") if name in state]
    if len(processors) > 1:
        report.only_one(["ItemProcessor", "Iterator"], context.location)
    elif not processors:
        report.exactly_one(["ItemProcessor", "Iterator"], context.location)
    for name in processors:
        processor = state[name]
        context.check_scope(processor, context.at(name), PROCESSOR_FIELDS)
        if isinstance(processor, Mapping):
            _check_processor_config(report, processor, context.at(name))
    if context.jsonata:
        if "Items" in state and not isinstance(state["Items"], list):
            check_expressions(report, state["Items"], context.at("Items"))
        if "ItemSelector" in state:
            check_expressions(report, state["ItemSelector"], context.at("ItemSelector"))
    else:
        if "ItemsPath" in state:
            check_reference_path(report, state["ItemsPath"], "ItemsPath", context.at("ItemsPath"))
        if "ItemSelector" in state and check_object(report, state["ItemSelector"], context.at("ItemSelector")):
            check_payload_template(report, state["ItemSelector"], context.at("ItemSelector"))
    _check_limit(context, "MaxConcurrency", 0, None, integer=True)
    _check_limit(context, "ToleratedFailurePercentage", 0, 100, integer=False)
    _check_limit(context, "ToleratedFailureCount", 0, None, integer=True)
    if "Label" in state:
        check_string(report, state["Label"], context.at("Label"))
    if "ItemReader" in state:
        _check_item_reader(context, state["ItemReader"], context.at("ItemReader"))
    if "ItemBatcher" in state:
        _check_item_batcher(context, state["ItemBatcher"], context.at("ItemBatcher"))
    if "ResultWriter" in state:
        _check_result_writer(context, state["ResultWriter"], context.at("ResultWriter"))
