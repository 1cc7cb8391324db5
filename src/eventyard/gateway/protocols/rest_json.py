"""REST-JSON (``metadata.protocol: rest-json``; Lambda): the operation is the HTTP method and path, the
members are spread over the request, the answer over status, headers and body.

Where each member travels is its ``location`` in the model: ``uri`` (a path label), ``querystring``
(a query parameter; a list is the parameter repeated, a map takes the parameters no other member
names), ``header``, ``headers`` (every header with a prefix, as a map), ``statusCode`` (answers
only); the structure's ``payload`` member is the whole body (a blob or string raw, a structure as
JSON, an event stream as one), and without one the body is a JSON object of the remaining members.
Values read from the path, query and headers are text, converted to the member's type here;
timestamps are RFC 7231 dates in headers and ISO 8601 in the path and query, unless the shape has a
``timestampFormat``. The answer's status is the operation's ``http.responseCode``, or the
``statusCode`` member when the service sets it (Lambda's Invoke answers 200, 202 or 204).

The contract with services: the payload member is returned as ``bytes`` (or ``str``) for a blob or
string payload, a dict for a structure, an async iterator of events for an event stream
(:mod:`.streaming`); header members as plain values.

Errors: the status from the error shape's ``error.httpStatusCode`` when the model has one, the code in
``x-amzn-errortype`` (botocore reads it before the body), and a JSON body with ``message`` and, for
services whose errors model a ``Type`` member (Lambda: ``"User"`` or ``"Service"``), that member.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from botocore.model import ListShape, MapShape, Shape, StructureShape

from eventyard.errors import ClientError, EventyardError, SerializationException
from eventyard.gateway.protocols import aws_json, eventstream, streaming
from eventyard.gateway.protocols.rest_routes import Match, Routes
from eventyard.gateway.protocols.shapes import (
    TIMESTAMP_WRITERS,
    BodyFormat,
    Convert,
    Converters,
    ErrorStatuses,
    timestamp_format,
    wire_name,
)
from eventyard.gateway.wire import Reply
from eventyard.models import Model

JSON = "application/json"


class UnknownOperation(ClientError):
    """A path and method that no operation of the service has: 404, as AWS's REST front ends answer."""

    code = "UnknownOperationException"
    status = 404


@dataclass(slots=True)
class _RequestPlan:
    labels: list[tuple[str, str, Shape]] = field(default_factory=list)
    query: list[tuple[str, str, Shape]] = field(default_factory=list)
    query_map: tuple[str, MapShape] | None = None
    headers: list[tuple[str, str, Shape]] = field(default_factory=list)
    prefixed: list[tuple[str, str]] = field(default_factory=list)
    payload: tuple[str, Shape] | None = None
    body: dict[str, str] = field(default_factory=dict)  # wire name -> member name


@dataclass(slots=True)
class _ReplyPlan:
    status: int
    status_member: str | None = None
    headers: list[tuple[str, bytes, Convert]] = field(default_factory=list)
    prefixed: list[tuple[str, str]] = field(default_factory=list)
    payload: tuple[str, Shape] | None = None
    body_members: tuple[str, ...] = ()
    convert: Convert | None = None
    events: streaming.EventWriter | None = None


class RestJsonProtocol:
    """One REST-JSON service: its routes, its requests read and its answers written, compiled per operation."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.routes = Routes(model)
        self.errors = ErrorStatuses(model)
        self.body = BodyFormat(JSON, aws_json.dumps, Converters(aws_json.json_scalar))
        self._typed_errors = any("Type" in shape.members for shape in self.errors.shapes.values())
        self._requests: dict[str, _RequestPlan] = {}
        self._replies: dict[str, _ReplyPlan] = {}

    def match(self, method: str, raw_path: str, query_string: str) -> Match | None:
        return self.routes.match(method, raw_path, query_string)

    # --- requests ---------------------------------------------------------------------------------

    def parse(
        self, operation: str, labels: dict[str, str], query_string: str, headers: dict[str, str], body: bytes
    ) -> dict[str, Any]:
        plan = self._requests.get(operation) or self._request_plan(operation)
        params: dict[str, Any] = {}
        if plan.payload is not None:
            name, shape = plan.payload
            if body:
                if shape.type_name == "blob":
                    params[name] = body
                elif shape.type_name == "string":
                    params[name] = body.decode("utf-8", "replace")
                else:
                    params[name] = aws_json.parse_body(body)
        elif plan.body and body.strip():
            params = {plan.body[k]: v for k, v in aws_json.parse_body(body).items() if k in plan.body}
        for name, label, shape in plan.labels:
            if label in labels:
                params[name] = _from_text(shape, labels[label], name, "iso8601")
        if plan.query or plan.query_map:
            self._read_query(plan, parse_qsl(query_string, keep_blank_values=True), params)
        for name, header, shape in plan.headers:
            text = headers.get(header)
            if text is not None:
                params[name] = _from_header(shape, text, name)
        for name, prefix in plan.prefixed:
            found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found
        return params

    def _read_query(self, plan: _RequestPlan, pairs: list[tuple[str, str]], params: dict[str, Any]) -> None:
        values: dict[str, list[str]] = {}
        for key, value in pairs:
            values.setdefault(key, []).append(value)
        for name, key, shape in plan.query:
            found = values.get(key)
            if found is None:
                continue
            if isinstance(shape, ListShape):
                params[name] = [_from_text(shape.member, text, name, "iso8601") for text in found]
            else:
                params[name] = _from_text(shape, found[0], name, "iso8601")
        if plan.query_map is not None:
            name, shape = plan.query_map
            bound = {key for _, key, _ in plan.query}
            rest = {k: v for k, v in values.items() if k not in bound}
            if rest:
                as_list = isinstance(shape.value, ListShape)
                params[name] = {k: (v if as_list else v[0]) for k, v in rest.items()}

    def _request_plan(self, operation: str) -> _RequestPlan:
        plan = _RequestPlan()
        shape = self.model.operations[operation].input_shape
        if isinstance(shape, StructureShape):
            payload = shape.serialization.get("payload")
            for name, member in shape.members.items():
                location, wire = member.serialization.get("location"), wire_name(member, name)
                if location == "uri":
                    plan.labels.append((name, wire, member))
                elif location == "querystring":
                    if isinstance(member, MapShape):
                        plan.query_map = (name, member)
                    else:
                        plan.query.append((name, wire, member))
                elif location == "header":
                    plan.headers.append((name, wire.lower(), member))
                elif location == "headers":
                    plan.prefixed.append((name, wire.lower()))
                elif name == payload:
                    plan.payload = (name, member)
                elif payload is None:
                    plan.body[wire] = name
        self._requests[operation] = plan
        return plan

    # --- answers ----------------------------------------------------------------------------------

    def reply(self, operation: str, result: Any) -> Reply:
        plan = self._replies.get(operation) or self._reply_plan(operation)
        result = result or {}
        status = plan.status
        if plan.status_member is not None and result.get(plan.status_member) is not None:
            status = int(result[plan.status_member])
        headers: list[tuple[bytes, bytes]] = []
        content_type = JSON
        for name, header, to_text in plan.headers:
            value = result.get(name)
            if value is None or header == b"content-length":  # the gateway counts the body itself
                continue
            if header == b"content-type":
                content_type = _header_text(to_text(value))
            else:
                headers.append((header, _header_text(to_text(value)).encode()))
        for name, prefix in plan.prefixed:
            for key, value in (result.get(name) or {}).items():
                headers.append((_header_text(prefix + key).lower().encode(), _header_text(value).encode()))
        body = b""
        if plan.events is not None:
            assert plan.payload is not None
            events = result.get(plan.payload[0])
            stream = streaming.messages(events, plan.events) if events is not None else None
            return Reply(
                status, b"", eventstream.CONTENT_TYPE if content_type == JSON else content_type, headers, stream
            )
        if plan.payload is not None:
            name, shape = plan.payload
            value = result.get(name)
            if shape.type_name in ("blob", "string"):
                if value is not None:
                    body = value.encode() if isinstance(value, str) else bytes(value)
                if content_type == JSON:
                    content_type = "application/octet-stream" if shape.type_name == "blob" else "text/plain"
            elif value is not None:
                body = self.body.write(shape, value)
        elif plan.body_members:
            members = {k: result[k] for k in plan.body_members if result.get(k) is not None}
            body = self.body.dumps(plan.convert(members) if plan.convert is not None else members)
        if status in (204, 304):
            body = b""
        return Reply(status, body, content_type, headers)

    def _reply_plan(self, operation: str) -> _ReplyPlan:
        model = self.model.operations[operation]
        plan = _ReplyPlan(int(model.http.get("responseCode", 200)))
        shape = model.output_shape
        if isinstance(shape, StructureShape):
            payload = shape.serialization.get("payload")
            body_members = []
            for name, member in shape.members.items():
                location = member.serialization.get("location")
                if location == "statusCode":
                    plan.status_member = name
                elif location == "header":
                    plan.headers.append((name, wire_name(member, name).lower().encode(), _to_header(member)))
                elif location == "headers":
                    plan.prefixed.append((name, wire_name(member, name)))
                elif name == payload:
                    plan.payload = (name, member)
                    if member.serialization.get("eventstream") and isinstance(member, StructureShape):
                        plan.events = streaming.EventWriter(member, self.body)
                elif payload is None:
                    body_members.append(name)
            plan.body_members = tuple(body_members)
            plan.convert = self.body.converters.compile(shape) if body_members else None
        self._replies[operation] = plan
        return plan

    def error_reply(self, error: EventyardError) -> Reply:
        shape = self.errors.shapes.get(error.shape or error.code)
        members = shape.members if shape is not None else {}
        key = "Message" if "Message" in members and "message" not in members else "message"
        body: dict[str, Any] = {key: error.message}
        if "Type" in members or (shape is None and self._typed_errors):
            body["Type"] = "User" if error.sender_fault else "Service"
        for name, value in getattr(error, "members", {}).items():  # more members of the error shape (Reason)
            if name in members:
                body[name] = value
        status = self.errors.status_of(error.code, error.shape, error.status)
        return Reply(status, orjson.dumps(body), JSON, [(b"x-amzn-errortype", error.code.encode())])


# --- text <-> member types ----------------------------------------------------------------------


def _to_header(shape: Shape) -> Convert:
    kind = shape.type_name
    if kind == "timestamp":
        return TIMESTAMP_WRITERS[timestamp_format(shape, "rfc822")]
    if kind == "boolean":
        return lambda value: "true" if value else "false"
    if kind == "blob":
        return lambda value: base64.b64encode(value).decode("ascii")
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return lambda value: base64.b64encode(orjson.dumps(value)).decode("ascii")
    if isinstance(shape, ListShape):
        item = _to_header(shape.member)
        return lambda value: ",".join(_quote_item(str(item(v))) for v in value)
    return lambda value: value


def _header_text(value: Any) -> str:
    """A header value can't hold a line break (it would end the header): one from a service becomes a space."""
    text = str(value)
    return text.replace("\r", " ").replace("\n", " ") if "\r" in text or "\n" in text else text


def _quote_item(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"' if '"' in text or "," in text else text


def _from_header(shape: Shape, text: str, where: str) -> Any:
    if isinstance(shape, ListShape):
        return [_from_text(shape.member, item, where, "rfc822") for item in _split_header(text)]
    return _from_text(shape, text, where, "rfc822")


def _split_header(text: str) -> list[str]:
    """A comma-separated header list, items in double quotes allowed to hold commas."""
    items, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def _from_text(shape: Shape, text: str, where: str, default_format: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long", "short", "byte"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "boolean":
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if kind == "timestamp":
            return _timestamp(text, timestamp_format(shape, default_format))
        if kind == "blob":
            return base64.b64decode(text, validate=True)
        if kind == "string" and shape.serialization.get("jsonvalue"):
            return orjson.loads(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, OverflowError, binascii.Error, orjson.JSONDecodeError):
        raise SerializationException(f"Value '{text}' at '{where}' is not a valid {kind}.")
    return text


def _timestamp(text: str, form: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    if form == "rfc822" or "," in text:
        moment = parsedate_to_datetime(text)
    else:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    return moment.timestamp()
