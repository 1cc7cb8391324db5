"""Output shapes compiled into converters: nothing to do -> not walked at all; otherwise exactly the
changes the format needs (a ``timestampFormat``, a wire name, CBOR's tagged timestamps)."""

from __future__ import annotations

import datetime as _dt

import cbor2
import pytest
from botocore.model import ServiceModel

from eventyard.gateway.protocols.aws_json import JsonProtocol, json_scalar
from eventyard.gateway.protocols.cbor import CborProtocol, cbor_scalar
from eventyard.gateway.protocols.shapes import Converters, http_date, iso8601
from eventyard.models import model_for

SYNTHETIC = ServiceModel({
    "metadata": {"protocol": "json", "apiVersion": "2026-01-01"},
    "operations": {},
    "shapes": {
        "Out": {"type": "structure", "members": {
            "When": {"shape": "IsoTime"}, "Seen": {"shape": "EpochTime"}, "Plain": {"shape": "Text"},
            "Renamed": {"shape": "Text", "locationName": "wireName"}, "Tree": {"shape": "Node"},
            "Header": {"shape": "IsoTime", "location": "header", "locationName": "X-When"},
        }},
        "Node": {"type": "structure", "members": {"Child": {"shape": "Node"}, "At": {"shape": "EpochTime"}}},
        "IsoTime": {"type": "timestamp", "timestampFormat": "iso8601"},
        "EpochTime": {"type": "timestamp"},
        "Text": {"type": "string"},
    },
})  # fmt: skip
MOMENT = 1_767_225_600.5  # 2026-01-01T00:00:00.500Z


@pytest.mark.parametrize(
    ("service", "operation"),
    [("sqs", "SendMessage"), ("sqs", "ReceiveMessage"), ("sqs", "GetQueueUrl"), ("events", "PutEvents")],
)
def test_hot_answers_have_nothing_to_convert_so_are_never_walked(service: str, operation: str) -> None:
    protocol = JsonProtocol(model_for(service))
    protocol.reply(operation, {})
    assert protocol._plans[operation].convert is None


def test_json_writes_a_timestamp_format_and_wire_names_and_leaves_the_rest() -> None:
    convert = Converters(json_scalar).compile(SYNTHETIC.shape_for("Out"))
    assert convert is not None
    value = {"When": MOMENT, "Seen": MOMENT, "Plain": "p", "Renamed": "r", "Header": MOMENT}
    assert convert(value) == {
        "When": "2026-01-01T00:00:00.500Z", "Seen": MOMENT, "Plain": "p", "wireName": "r", "Header": MOMENT
    }  # fmt: skip
    assert value["When"] == MOMENT  # the service's own dict is left as it was


def test_recursive_shapes_compile_and_convert_at_every_depth() -> None:
    convert = Converters(cbor_scalar).compile(SYNTHETIC.shape_for("Node"))
    assert convert is not None
    tree = {"At": MOMENT, "Child": {"At": _dt.datetime.fromtimestamp(MOMENT, _dt.UTC), "Child": {"At": 0}}}
    converted = convert(tree)
    assert converted["At"] == cbor2.CBORTag(1, 1_767_225_600_500)
    assert converted["Child"]["At"] == cbor2.CBORTag(1, 1_767_225_600_500)
    assert converted["Child"]["Child"]["At"] == cbor2.CBORTag(1, 0)


def test_cbor_walks_only_answers_with_timestamps() -> None:
    protocol = CborProtocol(model_for("kinesis"))
    protocol.reply("PutRecord", {"ShardId": "s", "SequenceNumber": "1"})
    protocol.reply("GetRecords", {"Records": []})
    assert protocol._plans["PutRecord"].convert is None
    assert protocol._plans["GetRecords"].convert is not None


def test_timestamp_texts() -> None:
    assert iso8601(MOMENT) == "2026-01-01T00:00:00.500Z"
    assert iso8601(_dt.datetime(2026, 1, 1)) == "2026-01-01T00:00:00.000Z"  # naive means UTC
    assert http_date(MOMENT) == "Thu, 01 Jan 2026 00:00:00 GMT"
