"""The AWS query protocol (``metadata.protocol: query``; SNS, and SQS before JSON): a form with
``Action=...`` in, XML out.

Names come from the model: a member's ``locationName``, lists wrapped in ``<member>`` (or their
member's ``locationName``) unless ``flattened``, maps as ``<entry><key/><value/></entry>`` (names
from the key's and value's ``locationName``) unless flattened, the answer wrapped in the output's
``resultWrapper`` inside ``<{Operation}Response xmlns="{metadata.xmlNamespace}">``. Timestamps are
ISO 8601, blobs base64.

SQS is the exception: botocore's current SQS model is JSON-only, so it no longer carries the query
names of members (``Attribute.1.Name``, ``SendMessageBatchRequestEntry.2.Id``...). :class:`SqsNames`
restores them; everything else (types, nesting, which members are lists and maps) still comes from
the model.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape as _escape

from botocore.model import ListShape, MapShape, Shape, StructureShape

from eventyard.errors import ClientError, EventyardError
from eventyard.gateway.protocols.form import decode as decode_form
from eventyard.gateway.protocols.shapes import TIMESTAMP_WRITERS, ErrorStatuses, timestamp_format, wire_name
from eventyard.gateway.wire import Reply
from eventyard.models import InvalidParameterValue, Model

SQS_XMLNS = "http://queue.amazonaws.com/doc/2012-11-05/"

#: SQS member name -> the flattened element name the query protocol uses for it.
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


class QueryNames:
    """How a query service names things on the wire, read from its model."""

    def member(self, name: str, shape: Shape, operation: str) -> str:
        """The element (or form key) of a structure member."""
        if (
            isinstance(shape, ListShape)
            and shape.serialization.get("flattened")
            and "name" in shape.member.serialization
        ):
            return str(shape.member.serialization["name"])
        return wire_name(shape, name)

    def list_item(self, shape: ListShape) -> str | None:
        """The element each item is wrapped in, or None when the list is flattened."""
        if shape.serialization.get("flattened"):
            return None
        return str(shape.member.serialization.get("name", "member"))

    def map_entry(self, shape: MapShape, element: str) -> tuple[str | None, str, str]:
        """(the entry element or None when flattened, the key's name, the value's name)."""
        entry = None if shape.serialization.get("flattened") else "entry"
        return entry, wire_name(shape.key, "key"), wire_name(shape.value, "value")


class SqsNames(QueryNames):
    """SQS's query names, which its JSON model no longer has: everything flattened, renamed by hand."""

    def member(self, name: str, shape: Shape, operation: str) -> str:
        if name == "Entries":
            return f"{operation}RequestEntry"
        if name == "Successful":
            return f"{operation}ResultEntry"
        return QUERY_NAMES.get(name, name)

    def list_item(self, shape: ListShape) -> str | None:
        return None

    def map_entry(self, shape: MapShape, element: str) -> tuple[str | None, str, str]:
        return (None, "Key", "Value") if element == "Tag" else (None, "Name", "Value")


def read_form(body: bytes, query_string: bytes) -> dict[str, str]:
    """The request's form: the query string's fields, then the body's (which win)."""
    fields = decode_form(query_string) if query_string else {}
    if body:
        fields.update(decode_form(body))
    return fields


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


class QueryProtocol:
    """One query service: its forms read, its answers and errors written, as its model names them."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.legacy = model.metadata.get("protocol") != "query"  # SQS: a JSON model spoken as query
        self.names: QueryNames = SqsNames() if self.legacy else QueryNames()
        self.xmlns = SQS_XMLNS if self.legacy else str(model.metadata.get("xmlNamespace", ""))
        self.errors = ErrorStatuses(model)
        self._writers: dict[str, tuple[str | None, Write | None]] = {}
        self._members: dict[str, list[tuple[str, str, str | None, Shape]]] = {}

    # --- requests ---------------------------------------------------------------------------------

    def parse(self, operation: str, form: dict[str, str]) -> dict[str, Any]:
        """Rebuild the operation's request dict from flat ``A.1.B`` form keys, guided by the model."""
        members = self._members.get(operation)
        if members is None:
            members = self._members[operation] = self._plan(operation)
        out: dict[str, Any] = {}
        nested: _Form | None = None
        heads: set[str] | None = None
        for name, key, scalar, shape in members:
            if scalar is not None:  # most members: one lookup
                raw = form.get(key)
                if raw is not None:
                    out[name] = _scalar(scalar, raw, key)
                continue
            if heads is None:
                heads = {field.partition(".")[0] for field in form}
            if key in heads:  # only then are the form's dotted prefixes worth building
                nested = nested or _Form(form)
                value = self._value(shape, key, nested, operation)
                if value is not None:
                    out[name] = value
        return out

    def _plan(self, operation: str) -> list[tuple[str, str, str | None, Shape]]:
        """The input's members in order: (name, form key, the scalar's type or None, shape)."""
        shape = self.model.operations[operation].input_shape
        if shape is None:
            return []
        assert isinstance(shape, StructureShape)
        return [
            (
                name,
                self.names.member(name, member, operation),
                None if isinstance(member, (StructureShape, ListShape, MapShape)) else member.type_name,
                member,
            )
            for name, member in shape.members.items()
        ]

    def _structure(self, shape: StructureShape, prefix: str, form: _Form, operation: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            value = self._value(member, prefix + self.names.member(name, member, operation), form, operation)
            if value is not None:
                out[name] = value
        return out

    def _value(self, shape: Shape, key: str, form: _Form, operation: str) -> Any:
        if isinstance(shape, StructureShape):
            return self._structure(shape, key + ".", form, operation) if key in form.prefixes else None
        if isinstance(shape, ListShape):
            items = _indexed(key, form, self.names.list_item(shape))
            if not items:
                return [] if form.values.get(key) == "" else None  # ``Key=`` is botocore's empty list
            return [self._value(shape.member, item, form, operation) for item in items]
        if isinstance(shape, MapShape):
            entry, key_name, value_name = self.names.map_entry(shape, key.rsplit(".", 1)[-1])
            items = _indexed(key, form, entry)
            if not items:
                return None
            return {
                form.values.get(f"{item}.{key_name}", ""): self._value(
                    shape.value, f"{item}.{value_name}", form, operation
                )
                for item in items
            }
        raw = form.values.get(key)
        return None if raw is None else _scalar(shape.type_name, raw, key)

    # --- answers ----------------------------------------------------------------------------------

    def reply(self, operation: str, result: Any, request_id: str) -> Reply:
        found = self._writers.get(operation)
        if found is None:
            found = self._writers[operation] = self._compile(operation)
        wrapper, write = found
        parts = [f'<?xml version="1.0"?><{operation}Response xmlns="{self.xmlns}">']
        if wrapper is not None and result:
            parts.append(f"<{wrapper}>")
            if write is not None:
                write(parts, result)
            parts.append(f"</{wrapper}>")
        elif wrapper is not None:  # AWS keeps the element of an empty result: <ReceiveMessageResult/>
            parts.append(f"<{wrapper}/>")
        parts.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{operation}Response>")
        return Reply(200, "".join(parts).encode(), "text/xml")

    def _compile(self, operation: str) -> tuple[str | None, Write | None]:
        shape = self.model.operations[operation].output_shape
        if not isinstance(shape, StructureShape):
            return None, None
        wrapper = shape.serialization.get("resultWrapper") or f"{operation}Result"
        return str(wrapper), _XmlCompiler(self.names, operation).members(shape)

    def error_reply(self, error: EventyardError, request_id: str) -> Reply:
        fault = "Sender" if error.sender_fault else "Receiver"
        detail = "<Detail/>" if self.legacy else ""  # as SQS wrote its errors
        message = _QUERY_MESSAGES.get((error.code, error.message), error.message) if self.legacy else error.message
        body = (
            f'<?xml version="1.0"?><ErrorResponse xmlns="{self.xmlns}"><Error><Type>{fault}</Type>'
            f"<Code>{escape(error.code)}</Code><Message>{escape(message)}</Message>{detail}</Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return Reply(self.errors.status_of(error.code, error.shape, error.status), body.encode(), "text/xml")


#: SQS's query protocol words some messages differently from its JSON protocol (AWS-recorded).
_QUERY_MESSAGES = {
    ("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."): (
        "The specified queue does not exist for this wsdl version."
    ),
}


def parse(model: Model, operation: str, form: dict[str, str]) -> dict[str, Any]:
    return QueryProtocol(model).parse(operation, form)


def _indexed(key: str, form: _Form, wrapper: str | None) -> list[str]:
    """The item prefixes of a list or map: ``K.member.1``... as the model says, else any of the
    spellings SDKs have used (flattened ``K.1``, wrapped ``K.member.1`` or ``K.entry.1``)."""
    candidates = ("", ".member", ".entry") if wrapper is None else (f".{wrapper}", "", ".member", ".entry")
    for infix in candidates:
        found: list[str] = []
        index = 1
        while f"{key}{infix}.{index}" in form.prefixes:
            found.append(f"{key}{infix}.{index}")
            index += 1
        if found:
            return found
    return []


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


# --- XML writers, compiled per operation ---------------------------------------------------------

#: (parts, value) -> appends the value's XML to parts.
Write = Callable[[list[str], Any], None]
_ENTITIES = {"\r": "&#xD;"}  # a bare CR would come back as LF from any XML parser


def escape(text: str) -> str:
    return _escape(text, _ENTITIES)


class _XmlCompiler:
    def __init__(self, names: QueryNames, operation: str) -> None:
        self.names = names
        self.operation = operation
        self._cache: dict[tuple[str, str], Write] = {}

    def members(self, shape: StructureShape) -> Write:
        plan = [
            (name, self.element(member, self.names.member(name, member, self.operation)))
            for name, member in shape.members.items()
        ]

        def write(parts: list[str], value: Any) -> None:
            for name, write_member in plan:
                item = value.get(name)
                if item is not None:
                    write_member(parts, item)

        return write

    def element(self, shape: Shape, element: str) -> Write:
        key = (shape.name, element)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        slot: list[Write] = []
        self._cache[key] = lambda parts, value: slot[0](parts, value)
        write = self._build(shape, element)
        slot.append(write)
        self._cache[key] = write
        return write

    def _build(self, shape: Shape, element: str) -> Write:
        open_tag, close_tag = f"<{element}>", f"</{element}>"
        if isinstance(shape, StructureShape):
            inner = self.members(shape)

            def structure(parts: list[str], value: Any) -> None:
                parts.append(open_tag)
                inner(parts, value)
                parts.append(close_tag)

            return structure
        if isinstance(shape, ListShape):
            return self._list(shape, element, open_tag, close_tag)
        if isinstance(shape, MapShape):
            return self._map(shape, element, open_tag, close_tag)
        text = _text_writer(shape)

        def scalar(parts: list[str], value: Any) -> None:
            parts.append(f"{open_tag}{text(value)}{close_tag}")

        return scalar

    def _list(self, shape: ListShape, element: str, open_tag: str, close_tag: str) -> Write:
        wrapper = self.names.list_item(shape)
        item = self.element(shape.member, wrapper or element)

        def write(parts: list[str], value: Any) -> None:
            if wrapper is not None:
                parts.append(open_tag)
            for entry in value:
                item(parts, entry)
            if wrapper is not None:
                parts.append(close_tag)

        return write

    def _map(self, shape: MapShape, element: str, open_tag: str, close_tag: str) -> Write:
        entry, key_name, value_name = self.names.map_entry(shape, element)
        key_text = _text_writer(shape.key)
        value = self.element(shape.value, value_name)
        entry_open, entry_close = (f"<{entry}>", f"</{entry}>") if entry else (open_tag, close_tag)

        def write(parts: list[str], mapping: Any) -> None:
            if entry is not None:
                parts.append(open_tag)
            for k, v in mapping.items():
                parts.append(f"{entry_open}<{key_name}>{key_text(k)}</{key_name}>")
                value(parts, v)
                parts.append(entry_close)
            if entry is not None:
                parts.append(close_tag)

        return write


def _text_writer(shape: Shape) -> Callable[[Any], str]:
    kind = shape.type_name
    if kind == "boolean":
        return lambda value: "true" if value else "false"
    if kind == "blob":
        return lambda value: base64.b64encode(value).decode("ascii")
    if kind == "timestamp":
        writer = TIMESTAMP_WRITERS.get(timestamp_format(shape, "iso8601"), TIMESTAMP_WRITERS["iso8601"])
        return lambda value: str(writer(value))
    return lambda value: escape(str(value))
