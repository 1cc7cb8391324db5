"""CBOR (``application/x-amz-cbor-1.1``): Kinesis's JSON protocol with a CBOR body, the Java SDK's default.

Same target header, same members; blobs travel as CBOR byte strings and timestamps as tagged
epoch numbers, which cbor2 reads and writes natively.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import cbor2

from eventyard.errors import EventyardError, SerializationException
from eventyard.gateway.wire import Reply

CONTENT_TYPE = "application/x-amz-cbor-1.1"


def parse_body(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        params = cbor2.loads(body)
    except Exception:  # cbor2 raises several types for malformed input
        raise SerializationException("Unable to parse the request body as CBOR.")
    if not isinstance(params, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    return _plain(params)


def _plain(value: Any) -> Any:
    """CBOR timestamps arrive as datetimes; the models want epoch seconds like JSON gives."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    return value


def reply(result: Any) -> Reply:
    return Reply(200, cbor2.dumps(result if result is not None else {}, datetime_as_timestamp=True), CONTENT_TYPE)


def error_reply(error: EventyardError) -> Reply:
    body = cbor2.dumps({"__type": error.shape or error.code, "message": error.message})
    return Reply(error.status, body, CONTENT_TYPE)
