"""Output shapes compiled into converters: a service's plain values -> what one wire format writes.

Services answer with plain dicts of AWS member names, timestamps as epoch seconds (or datetimes) and
blobs as bytes. Most of that a format writes as it is (orjson writes bytes as base64 through its
``default``, cbor2 writes bytes as byte strings); what is left differs per format: CBOR's tagged
timestamps, a ``timestampFormat`` on a shape, a member with another wire name. :class:`Converters`
compiles each shape once into a function that makes exactly those changes, and into ``None`` when a
shape has nothing to change, so the hot operations (SendMessage, PutEvents...) are not walked at all.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from eventyard.models import Model

#: value -> the value as the format writes it.
Convert = Callable[[Any], Any]
#: A format's rule for one scalar shape (timestamp, blob...): a converter, or None to write it as it is.
ScalarRule = Callable[[Shape], Convert | None]


def epoch(value: Any) -> float:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        return value.timestamp()
    return float(value)


def iso8601(value: Any) -> str:
    """``2026-01-01T00:00:00.000Z``: millisecond precision, as AWS writes it."""
    seconds = epoch(value)
    moment = _dt.datetime.fromtimestamp(seconds, _dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}Z"


def http_date(value: Any) -> str:
    """RFC 7231's IMF-fixdate (``Thu, 01 Jan 2026 00:00:00 GMT``): timestamps in HTTP headers."""
    return formatdate(epoch(value), usegmt=True)


TIMESTAMP_WRITERS: dict[str, Convert] = {"iso8601": iso8601, "rfc822": http_date, "unixtimestamp": epoch}


def timestamp_format(shape: Shape, default: str) -> str:
    return str(shape.serialization.get("timestampFormat", default)).lower()


def wire_name(shape: Shape, member: str) -> str:
    return str(shape.serialization.get("name", member))


class Converters:
    """Compiles shapes for one format (its :data:`ScalarRule`); each shape once, recursion included."""

    def __init__(self, scalar: ScalarRule, *, renames: bool = True) -> None:
        self._scalar = scalar
        self._renames = renames  # JSON bodies use a member's wire name (``locationName``) when it has one
        self._cache: dict[tuple[str, str], Convert | None] = {}

    def compile(self, shape: Shape | None) -> Convert | None:
        if shape is None:
            return None
        key = (shape.name, str(shape.serialization.get("timestampFormat", "")))
        if key in self._cache:
            return self._cache[key]
        slot: list[Convert | None] = []
        # A recursive shape meets its own trampoline while compiling: it is then walked, to be safe.
        self._cache[key] = lambda value: slot[0](value) if slot[0] is not None else value
        converter = self._build(shape)
        slot.append(converter)
        self._cache[key] = converter
        return converter

    def _build(self, shape: Shape) -> Convert | None:
        if isinstance(shape, StructureShape):
            return self._structure(shape)
        if isinstance(shape, ListShape):
            return _each_item(self.compile(shape.member))
        if isinstance(shape, MapShape):
            return _each_value(self.compile(shape.value))
        return self._scalar(shape)

    def _structure(self, shape: StructureShape) -> Convert | None:
        members: list[tuple[str, str, Convert | None]] = []
        for name, member in shape.members.items():
            if member.serialization.get("eventstream") or member.serialization.get("location"):
                continue  # streamed, or carried by the status line or a header: never in a body
            converter = self.compile(member)
            target = wire_name(member, name) if self._renames else name
            if converter is not None or target != name:
                members.append((name, target, converter))
        if not members:
            return None
        plan = tuple(members)

        def convert(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            out = dict(value)  # never change the service's own dict: it may be cached
            for name, target, converter in plan:
                item = out.pop(name, None) if target != name else out.get(name)
                if item is not None:
                    out[target] = converter(item) if converter is not None else item
            return out

        return convert


@dataclass(frozen=True, slots=True)
class BodyFormat:
    """How one protocol writes a structure (JSON text, CBOR) and the converters its values need first."""

    content_type: str
    dumps: Callable[[Any], bytes]
    converters: Converters

    def write(self, shape: Shape | None, value: Any) -> bytes:
        converter = self.converters.compile(shape)
        return self.dumps(converter(value) if converter is not None else value)


def _each_item(item: Convert | None) -> Convert | None:
    if item is None:
        return None
    return lambda value: [item(v) if v is not None else None for v in value]


def _each_value(item: Convert | None) -> Convert | None:
    if item is None:
        return None
    return lambda value: {k: item(v) if v is not None else None for k, v in value.items()}


class ErrorStatuses:
    """What a service's model says about its errors: the HTTP status of each (``error.httpStatusCode``)
    and the exception shape behind each code (query codes such as ``NotFound`` name ``NotFoundException``)."""

    def __init__(self, model: Model) -> None:
        self.status: dict[str, int] = {}
        self.shapes: dict[str, StructureShape] = {}
        for shape in model.service.error_shapes:
            error = shape.metadata.get("error") or {}
            for code in {shape.name, error.get("code", shape.name)}:
                self.shapes[code] = shape
                if "httpStatusCode" in error:
                    self.status[code] = int(error["httpStatusCode"])

    def status_of(self, code: str, shape: str | None, default: int) -> int:
        found = self.status.get(shape or code)
        return found if found is not None else self.status.get(code, default)
