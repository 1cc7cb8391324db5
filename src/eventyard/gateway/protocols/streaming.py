"""A service's stream of events -> event-stream messages, as AWS sends them (Kinesis SubscribeToShard,
Lambda InvokeWithResponseStream).

The contract with services: an operation whose output has an ``eventstream`` member returns that
member as an async iterator of dicts, one per event, keyed by the event's member name in the stream's
union (``{"SubscribeToShardEvent": {"Records": [...], ...}}``). Each becomes one message::

    :message-type = event, :event-type = SubscribeToShardEvent, :content-type = application/json

whose payload is the event's members in the request's body format (JSON or CBOR); members marked
``eventheader`` travel as typed headers and an ``eventpayload`` member as the raw payload
(``application/octet-stream`` for a blob, ``text/plain`` for a string). An :class:`EventyardError`
raised by the iterator ends the stream with an ``exception`` message (``:exception-type`` = its code,
the payload ``{"message": ...}``) when the union models that exception, otherwise with an ``error``
message (``:error-code``, ``:error-message``), which is how botocore's EventStream tells them apart.

The JSON protocols (AWS JSON, and its CBOR body) first send an ``initial-response`` event carrying
the output's other members: botocore's JSON parser requires it (``get_initial_response``). REST
protocols carry those members in HTTP headers instead and start with the first event.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from botocore.model import Shape, StructureShape

from eventyard.errors import EventyardError, InternalFailure
from eventyard.gateway.protocols import eventstream
from eventyard.gateway.protocols.eventstream import HeaderType, Typed
from eventyard.gateway.protocols.shapes import BodyFormat, epoch

log = logging.getLogger("eventyard.gateway")

_HEADER_TYPES = {
    "boolean": None,  # True/False are their own types
    "byte": HeaderType.BYTE,
    "short": HeaderType.SHORT,
    "integer": HeaderType.INTEGER,
    "long": HeaderType.LONG,
    "blob": HeaderType.BYTES,
    "string": HeaderType.STRING,
    "timestamp": HeaderType.TIMESTAMP,
}


class EventWriter:
    """Writes the events and failures of one event-stream union in one body format."""

    def __init__(self, union: StructureShape, body: BodyFormat) -> None:
        self.union = union
        self.body = body

    def initial_response(self, output: StructureShape | None, result: dict[str, Any], stream_member: str) -> bytes:
        rest = {k: v for k, v in result.items() if k != stream_member}
        headers = {":message-type": "event", ":event-type": "initial-response", ":content-type": self.body.content_type}
        return eventstream.encode(headers, self.body.write(output, rest))

    def event(self, event: dict[str, Any]) -> bytes:
        if not isinstance(event, dict) or len(event) != 1:
            raise TypeError(f"an event is a dict with one member of {self.union.name}, not {event!r}")
        [(name, value)] = event.items()
        shape = self.union.members.get(name)
        if shape is None:
            raise TypeError(f"{name} is not an event of {self.union.name}")
        assert isinstance(shape, StructureShape)
        if shape.metadata.get("exception"):
            return self.exception(name, shape, str((value or {}).get("message") or (value or {}).get("Message") or ""))
        headers: dict[str, Any] = {":message-type": "event", ":event-type": name}
        payload, content_type = self._payload(shape, value or {}, headers)
        headers[":content-type"] = content_type
        return eventstream.encode(headers, payload)

    def _payload(self, shape: StructureShape, value: dict[str, Any], headers: dict[str, Any]) -> tuple[bytes, str]:
        body: dict[str, Any] = {}
        for name, member in shape.members.items():
            item = value.get(name)
            if item is None:
                continue
            if member.serialization.get("eventheader"):
                headers[name] = _header_value(member, item)
            elif member.serialization.get("eventpayload"):
                if member.type_name == "blob":
                    return bytes(item), "application/octet-stream"
                if member.type_name == "string":
                    return str(item).encode(), "text/plain"
                return self.body.write(member, item), self.body.content_type
            else:
                body[name] = item
        return self.body.write(shape, body), self.body.content_type

    def exception(self, code: str, shape: StructureShape, message: str) -> bytes:
        key = "Message" if "Message" in shape.members and "message" not in shape.members else "message"
        headers = {":message-type": "exception", ":exception-type": code, ":content-type": self.body.content_type}
        return eventstream.encode(headers, self.body.write(shape, {key: message}))

    def failure(self, error: EventyardError) -> bytes:
        for code in (error.shape, error.code):
            shape = self.union.members.get(code) if code else None
            if isinstance(shape, StructureShape) and shape.metadata.get("exception"):
                return self.exception(code or "", shape, error.message)
        headers = {":message-type": "error", ":error-code": error.code, ":error-message": error.message}
        return eventstream.encode(headers)


def _header_value(shape: Shape, value: Any) -> Any:
    if shape.type_name == "boolean":
        return bool(value)
    kind = _HEADER_TYPES.get(shape.type_name, HeaderType.STRING)
    if kind == HeaderType.TIMESTAMP:
        return Typed(kind, round(epoch(value) * 1000))
    return Typed(kind, value) if kind is not None else value


async def messages(events: Any, writer: EventWriter, first: bytes | None = None) -> AsyncIterator[bytes]:
    """The messages of one streamed reply: ``first`` (the initial response), then one per event, then
    the failure that ended the stream, if one did. The service's iterator is closed in every case."""
    try:
        if first is not None:
            yield first
        async for event in events:
            yield writer.event(event)
    except EventyardError as error:
        yield writer.failure(error)
    except Exception:
        log.exception("event stream of %s failed", writer.union.name)
        yield writer.failure(InternalFailure("The event stream failed because of an unknown error."))
    finally:
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()
