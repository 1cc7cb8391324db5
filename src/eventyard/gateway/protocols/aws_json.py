"""AWS JSON 1.0 / 1.1 (``metadata.protocol: json``): ``X-Amz-Target: Prefix.Operation``, a JSON object
in, a JSON object out.

Answers are written from the operation's output shape: blobs as base64 text, timestamps as epoch
seconds unless the shape says otherwise (``timestampFormat``). An operation whose output has an event
stream (Kinesis SubscribeToShard) answers with an event stream (:mod:`.streaming`).

Errors are ``{"__type": ..., "message": ...}``. For services that were query services before (SQS,
``awsQueryCompatible`` in the model), AWS also sends ``x-amzn-query-error: Code;Sender`` so SDKs can
report the old error code; botocore prefers it over ``__type``.
"""

from __future__ import annotations

import base64
import datetime as _dt
from dataclasses import dataclass
from typing import Any

import orjson
from botocore.model import Shape, StructureShape

from eventyard.errors import EventyardError, SerializationException
from eventyard.gateway.protocols import eventstream, streaming
from eventyard.gateway.protocols.shapes import TIMESTAMP_WRITERS, BodyFormat, Convert, Converters, timestamp_format
from eventyard.gateway.wire import Reply
from eventyard.models import Model


def parse_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise SerializationException("Start of structure or map found where not expected.")
    if not isinstance(params, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    return params


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, _dt.datetime):
        return value.timestamp() if value.tzinfo else value.replace(tzinfo=_dt.UTC).timestamp()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """JSON as AWS sends it: blobs as base64 text, datetimes as epoch seconds."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def json_scalar(shape: Shape) -> Convert | None:
    """JSON writes blobs (base64) and epoch timestamps through :func:`dumps`; only other formats convert."""
    if shape.type_name == "timestamp":
        form = timestamp_format(shape, "unixtimestamp")
        return None if form == "unixtimestamp" else TIMESTAMP_WRITERS.get(form)
    return None


@dataclass(frozen=True, slots=True)
class Plan:
    """How one operation's answer is written, compiled at its first call."""

    convert: Convert | None
    stream_member: str | None = None
    events: streaming.EventWriter | None = None


class JsonProtocol:
    """One AWS JSON service: its answers and errors, each operation's writer compiled once."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.content_type, self.body = self._format(model)
        self._plans: dict[str, Plan] = {}

    def _format(self, model: Model) -> tuple[str, BodyFormat]:
        """The HTTP content type, and how structures (answers, events) are written."""
        body = BodyFormat("application/json", dumps, Converters(json_scalar))
        return f"application/x-amz-json-{model.json_version}", body

    def parse(self, body: bytes) -> dict[str, Any]:
        return parse_body(body)

    def reply(self, operation: str, result: Any) -> Reply:
        plan = self._plans.get(operation) or self._plan(operation)
        if plan.events is not None:
            return self._stream(plan, operation, result)
        if result is None:
            result = {}
        elif plan.convert is not None:
            result = plan.convert(result)
        return Reply(200, self.body.dumps(result), self.content_type)

    def _plan(self, operation: str) -> Plan:
        output = self.model.operations[operation].output_shape
        plan = Plan(self.body.converters.compile(output))
        if isinstance(output, StructureShape):
            for name, member in output.members.items():
                if member.serialization.get("eventstream") and isinstance(member, StructureShape):
                    plan = Plan(plan.convert, name, streaming.EventWriter(member, self.body))
        self._plans[operation] = plan
        return plan

    def _stream(self, plan: Plan, operation: str, result: Any) -> Reply:
        assert plan.events is not None and plan.stream_member is not None
        result = result or {}
        output = self.model.operations[operation].output_shape
        assert isinstance(output, StructureShape)
        first = plan.events.initial_response(output, result, plan.stream_member)
        events = result.get(plan.stream_member) or _no_events()
        return Reply(200, b"", eventstream.CONTENT_TYPE, stream=streaming.messages(events, plan.events, first))

    def error_reply(self, error: EventyardError) -> Reply:
        return error_reply(self.model, error)


async def _no_events() -> Any:
    return
    yield


def error_reply(model: Model | None, error: EventyardError) -> Reply:
    shape = error.shape or error.code
    headers: list[tuple[bytes, bytes]] = []
    if model is not None and model.query_compatible:
        fault = "Sender" if error.sender_fault else "Receiver"
        headers.append((b"x-amzn-query-error", f"{error.code};{fault}".encode()))
        shape = f"com.amazonaws.{model.metadata.get('endpointPrefix', model.name)}#{shape}"
    version = model.json_version if model is not None else "1.1"
    body = orjson.dumps({"__type": shape, "message": error.message})
    return Reply(error.status, body, f"application/x-amz-json-{version}", headers)
