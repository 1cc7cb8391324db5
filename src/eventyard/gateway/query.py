"""The AWS query protocol (SQS before JSON): form-encoded ``Action=...`` in, XML out.

botocore's current SQS model is JSON-only, so it no longer carries the query names of members
(``Attribute.1.Name``, ``SendMessageBatchRequestEntry.2.Id``...). :data:`QUERY_NAMES` restores them;
everything else (types, nesting, which members are lists and maps) still comes from the model.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from botocore.model import ListShape, MapShape, Shape, StructureShape

from eventyard.errors import ClientError, EventyardError
from eventyard.gateway.wire import Reply
from eventyard.models import InvalidParameterValue, Model

XMLNS = "http://queue.amazonaws.com/doc/2012-11-05/"

#: Member name -> the flattened element name the query protocol uses for it.
QUERY_NAMES = {
    "Attributes": "Attribute",
    "AttributeNames": "AttributeName",
    "MessageAttributes": "MessageAttribute",
    "MessageAttributeNames": "MessageAttributeName",
    "MessageSystemAttributes": "MessageSystemAttribute",
    "MessageSystemAttributeNames": "MessageSystemAttributeName",
    "StringListValues": "StringListValue",
    "BinaryListValues": "BinaryListValue",
    "AWSAccountIds": "AWSAccountId",
    "Actions": "ActionName",
    "Tags": "Tag",
    "tags": "Tag",
    "TagKeys": "TagKey",
    "QueueUrls": "QueueUrl",
    "queueUrls": "QueueUrl",
    "Messages": "Message",
    "Results": "ListMessageMoveTasksResultEntry",
    "Failed": "BatchResultErrorEntry",
}


class InvalidAction(ClientError):
    code = "InvalidAction"


class MissingAction(ClientError):
    code = "MissingAction"


def _element(member: str, operation: str, output: bool) -> str:
    if member == "Entries":
        return f"{operation}RequestEntry"
    if member == "Successful":
        return f"{operation}ResultEntry"
    return QUERY_NAMES.get(member, member)


def _map_names(element: str) -> tuple[str, str]:
    return ("Key", "Value") if element == "Tag" else ("Name", "Value")


def read_form(body: bytes, query_string: bytes) -> dict[str, str]:
    form = dict(parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True))
    if body:
        form.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return form


class _Form:
    """The flat form and, built once, every dotted prefix of its keys (``A.1.B`` -> ``A``, ``A.1``,
    ``A.1.B``), so finding a list's items is a set lookup per item, not a scan of the form."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.prefixes: set[str] = set()
        for key in values:
            parts = key.split(".")
            for end in range(1, len(parts) + 1):
                self.prefixes.add(".".join(parts[:end]))


def parse(model: Model, operation: str, form: dict[str, str]) -> dict[str, Any]:
    """Rebuild the operation's request dict from flat ``A.1.B`` form keys, guided by the model."""
    shape = model.operations[operation].input_shape
    if shape is None:
        return {}
    assert isinstance(shape, StructureShape)
    return _structure(shape, "", _Form(form), operation)


def _structure(shape: StructureShape, prefix: str, form: _Form, operation: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = prefix + _element(name, operation, False)
        value = _value(member, key, form, operation)
        if value is not None:
            out[name] = value
    return out


def _indexed(key: str, form: _Form) -> list[str]:
    """The item prefixes of a list or map: flattened ``K.1``, ``K.2`` or wrapped ``K.member.1``."""
    for wrapper in ("", ".member", ".entry"):
        found: list[str] = []
        index = 1
        while f"{key}{wrapper}.{index}" in form.prefixes:
            found.append(f"{key}{wrapper}.{index}")
            index += 1
        if found:
            return found
    return []


def _value(shape: Shape, key: str, form: _Form, operation: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if key not in form.prefixes:
            return None
        return _structure(shape, key + ".", form, operation)
    if kind == "list":
        assert isinstance(shape, ListShape)
        items = _indexed(key, form)
        return [_value(shape.member, item, form, operation) for item in items] if items else None
    if kind == "map":
        assert isinstance(shape, MapShape)
        items = _indexed(key, form)
        if not items:
            return None
        key_name, value_name = _map_names(key.rsplit(".", 1)[-1])
        return {
            form.values.get(f"{item}.{key_name}", ""): _value(shape.value, f"{item}.{value_name}", form, operation)
            for item in items
        }
    raw = form.values.get(key)
    if raw is None:
        return None
    return _scalar(kind, raw, key)


def _scalar(kind: str, raw: str, key: str) -> Any:
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("double", "float"):
            return float(raw)
    except ValueError:
        raise InvalidParameterValue(f"Value {raw} for parameter {key} is invalid. Reason: must be a number.")
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise InvalidParameterValue(f"Value {raw} for parameter {key} is invalid. Reason: must be a boolean.")
        return raw.lower() == "true"
    if kind == "blob":
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidParameterValue(f"Value {raw} for parameter {key} is invalid. Reason: must be base64.")
    return raw


# --- responses ----------------------------------------------------------------------------------


def reply(model: Model, operation: str, result: Any, request_id: str) -> Reply:
    shape = model.operations[operation].output_shape
    parts = [f'<?xml version="1.0"?><{operation}Response xmlns="{XMLNS}">']
    if shape is not None and result:
        assert isinstance(shape, StructureShape)
        parts.append(f"<{operation}Result>")
        _write_structure(parts, shape, result, operation)
        parts.append(f"</{operation}Result>")
    elif shape is not None:  # AWS keeps the element of an empty result: <ReceiveMessageResult/>
        parts.append(f"<{operation}Result/>")
    parts.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{operation}Response>")
    return Reply(200, "".join(parts).encode(), "text/xml")


def _write_structure(parts: list[str], shape: StructureShape, value: dict[str, Any], operation: str) -> None:
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            _write(parts, member, _element(name, operation, True), value[name], operation)


def _write(parts: list[str], shape: Shape, element: str, value: Any, operation: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        parts.append(f"<{element}>")
        _write_structure(parts, shape, value, operation)
        parts.append(f"</{element}>")
    elif kind == "list":
        assert isinstance(shape, ListShape)
        for item in value:
            _write(parts, shape.member, element, item, operation)
    elif kind == "map":
        assert isinstance(shape, MapShape)
        key_name, value_name = _map_names(element)
        for k, v in value.items():
            parts.append(f"<{element}><{key_name}>{escape(str(k))}</{key_name}>")
            _write(parts, shape.value, value_name, v, operation)
            parts.append(f"</{element}>")
    else:
        parts.append(f"<{element}>{escape(_text(kind, value))}</{element}>")


def _text(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    if kind == "timestamp":
        moment = value if isinstance(value, _dt.datetime) else _dt.datetime.fromtimestamp(value, _dt.UTC)
        return moment.isoformat().replace("+00:00", "Z")
    return str(value)


#: Messages the query protocol words differently from the JSON protocol, by error code.
_QUERY_MESSAGES = {
    ("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."): (
        "The specified queue does not exist for this wsdl version."
    ),
}


def error_reply(error: EventyardError, request_id: str) -> Reply:
    fault = "Sender" if error.sender_fault else "Receiver"
    message = _QUERY_MESSAGES.get((error.code, error.message), error.message)
    body = (
        f'<?xml version="1.0"?><ErrorResponse xmlns="{XMLNS}"><Error><Type>{fault}</Type>'
        f"<Code>{escape(error.code)}</Code><Message>{escape(message)}</Message><Detail/></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return Reply(error.status, body.encode(), "text/xml")
