"""CBOR (``application/x-amz-cbor-1.1``): Kinesis's JSON protocol with a CBOR body, the Java SDK's default.

Same target header, same members; blobs travel as CBOR byte strings and timestamps as tag 1 (epoch)
holding epoch *milliseconds* as an integer: that is what the AWS SDK for Java writes and reads
(``SdkCborGenerator`` writes ``Date.getTime()`` under tag 1; SDK v2's CBOR protocol factory reads
payload timestamps as ``UNIX_TIMESTAMP_MILLIS``), and the Java SDKs are the CBOR clients of Kinesis.
Event streams (SubscribeToShard) carry CBOR payloads too.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import cbor2
from botocore.model import Shape

from eventyard.errors import EventyardError, SerializationException
from eventyard.gateway.protocols.aws_json import JsonProtocol
from eventyard.gateway.protocols.shapes import BodyFormat, Convert, Converters, epoch
from eventyard.gateway.wire import Reply
from eventyard.models import Model

CONTENT_TYPE = "application/x-amz-cbor-1.1"


def _epoch_millis(value: Any, immutable: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a CBOR timestamp (tag 1) must hold a number")
    return value / 1000


def parse_body(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        params = cbor2.loads(body, semantic_decoders={1: _epoch_millis})
    except Exception:  # cbor2 raises several types for malformed input
        raise SerializationException("Unable to parse the request body as CBOR.")
    if not isinstance(params, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    return params


def _tagged_millis(value: Any) -> cbor2.CBORTag:
    return cbor2.CBORTag(1, round(epoch(value) * 1000))


def cbor_scalar(shape: Shape) -> Convert | None:
    return _tagged_millis if shape.type_name == "timestamp" else None


def dumps(value: Any) -> bytes:
    """A datetime outside a timestamp member (there should be none) still leaves as tag 1."""
    return cbor2.dumps(value, datetime_as_timestamp=True, timezone=_dt.UTC)


class CborProtocol(JsonProtocol):
    """One AWS JSON service spoken with CBOR bodies."""

    def _format(self, model: Model) -> tuple[str, BodyFormat]:
        return CONTENT_TYPE, BodyFormat(CONTENT_TYPE, dumps, Converters(cbor_scalar))

    def parse(self, body: bytes) -> dict[str, Any]:
        return parse_body(body)

    def error_reply(self, error: EventyardError) -> Reply:
        return error_reply(error)


def error_reply(error: EventyardError) -> Reply:
    body = cbor2.dumps({"__type": error.shape or error.code, "message": error.message})
    return Reply(error.status, body, CONTENT_TYPE)
