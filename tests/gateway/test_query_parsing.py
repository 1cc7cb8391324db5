"""The query protocol's form parsing: shapes from the model, and linear time in the form's size."""

from __future__ import annotations

import time

from eventyard.gateway.protocols import query
from eventyard.models import model_for


def test_flattened_maps_lists_and_nested_structures_are_rebuilt() -> None:
    form = {
        "QueueUrl": "u",
        "MessageBody": "b",
        "MessageAttribute.1.Name": "kind",
        "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "greeting",
        "DelaySeconds": "5",
    }
    request = query.parse(model_for("sqs"), "SendMessage", form)
    assert request == {
        "QueueUrl": "u",
        "MessageBody": "b",
        "DelaySeconds": 5,
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "greeting"}},
    }


def test_thousands_of_list_items_parse_in_linear_time() -> None:
    form = {"QueueUrl": "u", **{f"AttributeName.{i}": "All" for i in range(1, 8001)}}
    started = time.perf_counter()
    request = query.parse(model_for("sqs"), "ReceiveMessage", form)
    assert len(request["AttributeNames"]) == 8000
    assert time.perf_counter() - started < 0.5
