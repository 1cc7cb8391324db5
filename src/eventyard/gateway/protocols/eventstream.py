"""The event-stream framing (``application/vnd.amazon.eventstream``): how AWS sends a stream of events.

Each message is::

    [total length: u32][headers length: u32][prelude CRC32: u32][headers][payload][message CRC32: u32]

big-endian, the prelude CRC over the first 8 bytes and the message CRC over everything before it.
A header is ``[name length: u8][name: utf-8][type: u8][value]``, the value typed as below (strings
and byte arrays carry a u16 length). Encoding is what the gateway sends; decoding is for the tests
and for anyone reading our streams back, and checks both CRCs as botocore's decoder does.
"""

from __future__ import annotations

import datetime as _dt
import struct
import uuid
from binascii import crc32
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_PRELUDE = struct.Struct(">III")
_CRC = struct.Struct(">I")
#: AWS's limits, which botocore's decoder enforces too.
MAX_HEADERS = 128 * 1024
MAX_PAYLOAD = 24 * 1024 * 1024


class HeaderType(IntEnum):
    TRUE = 0
    FALSE = 1
    BYTE = 2
    SHORT = 3
    INTEGER = 4
    LONG = 5
    BYTES = 6
    STRING = 7
    TIMESTAMP = 8
    UUID = 9


@dataclass(frozen=True, slots=True)
class Typed:
    """A header value whose wire type is not the obvious one for its Python type (a short, a timestamp...)."""

    type: HeaderType
    value: Any


@dataclass(frozen=True, slots=True)
class Message:
    headers: dict[str, Any]
    payload: bytes


class FramingError(ValueError):
    """Bytes that are not a well-formed event-stream message."""


_INTEGERS = {
    HeaderType.BYTE: struct.Struct(">b"),
    HeaderType.SHORT: struct.Struct(">h"),
    HeaderType.INTEGER: struct.Struct(">i"),
    HeaderType.LONG: struct.Struct(">q"),
    HeaderType.TIMESTAMP: struct.Struct(">q"),
}


def _header(name: str, value: Any) -> bytes:
    raw_name = name.encode()
    head = bytes([len(raw_name)]) + raw_name
    if isinstance(value, Typed):
        kind, value = value.type, value.value
    elif isinstance(value, bool):
        kind = HeaderType.TRUE if value else HeaderType.FALSE
    elif isinstance(value, int):
        kind = HeaderType.LONG
    elif isinstance(value, bytes | bytearray):
        kind = HeaderType.BYTES
    elif isinstance(value, _dt.datetime):
        kind = HeaderType.TIMESTAMP
    elif isinstance(value, uuid.UUID):
        kind = HeaderType.UUID
    else:
        kind, value = HeaderType.STRING, str(value)
    if kind in (HeaderType.TRUE, HeaderType.FALSE):
        return head + bytes([kind])
    if kind == HeaderType.TIMESTAMP and isinstance(value, _dt.datetime):
        value = round(value.timestamp() * 1000)
    if kind in _INTEGERS:
        return head + bytes([kind]) + _INTEGERS[kind].pack(int(value))
    if kind == HeaderType.UUID:
        return head + bytes([kind]) + (value.bytes if isinstance(value, uuid.UUID) else bytes(value))
    data = value.encode() if isinstance(value, str) else bytes(value)
    return head + bytes([kind]) + struct.pack(">H", len(data)) + data


def encode(headers: Mapping[str, Any], payload: bytes = b"") -> bytes:
    """One message: ``headers`` in order (str -> string, bytes -> byte array, bool, int -> long,
    datetime -> timestamp, UUID, or :class:`Typed`), then ``payload``."""
    raw_headers = b"".join(_header(name, value) for name, value in headers.items())
    total = _PRELUDE.size + len(raw_headers) + len(payload) + _CRC.size
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += _CRC.pack(crc32(prelude) & 0xFFFFFFFF)
    body = prelude + raw_headers + payload
    return body + _CRC.pack(crc32(body) & 0xFFFFFFFF)


def decode(data: bytes) -> list[Message]:
    """Every message in ``data`` (which must end on a message boundary)."""
    return list(iter_messages(data))


def iter_messages(data: bytes) -> Iterator[Message]:
    offset = 0
    while offset < len(data):
        if len(data) - offset < _PRELUDE.size + _CRC.size:
            raise FramingError("truncated message")
        total, headers_length, prelude_crc = _PRELUDE.unpack_from(data, offset)
        if crc32(data[offset : offset + 8]) & 0xFFFFFFFF != prelude_crc:
            raise FramingError("prelude checksum mismatch")
        if headers_length > MAX_HEADERS or total - headers_length - 16 > MAX_PAYLOAD or total < 16 + headers_length:
            raise FramingError("bad lengths")
        end = offset + total
        if end > len(data):
            raise FramingError("truncated message")
        (message_crc,) = _CRC.unpack_from(data, end - 4)
        if crc32(data[offset : end - 4]) & 0xFFFFFFFF != message_crc:
            raise FramingError("message checksum mismatch")
        start = offset + _PRELUDE.size
        headers = _read_headers(data[start : start + headers_length])
        yield Message(headers, data[start + headers_length : end - 4])
        offset = end


def _read_headers(raw: bytes) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    at = 0
    try:
        while at < len(raw):
            size = raw[at]
            name = raw[at + 1 : at + 1 + size].decode()
            at += 1 + size
            kind = HeaderType(raw[at])
            at += 1
            value: Any
            if kind in (HeaderType.TRUE, HeaderType.FALSE):
                value = kind == HeaderType.TRUE
            elif kind in _INTEGERS:
                (value,) = _INTEGERS[kind].unpack_from(raw, at)
                at += _INTEGERS[kind].size
            elif kind == HeaderType.UUID:
                value = uuid.UUID(bytes=raw[at : at + 16])
                at += 16
            else:
                (length,) = struct.unpack_from(">H", raw, at)
                value = raw[at + 2 : at + 2 + length]
                if kind == HeaderType.STRING:
                    value = value.decode()
                at += 2 + length
            headers[name] = value
    except (IndexError, ValueError, struct.error) as problem:
        raise FramingError(f"bad headers: {problem}")
    return headers
