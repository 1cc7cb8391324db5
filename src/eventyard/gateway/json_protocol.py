"""AWS JSON 1.0 / 1.1: ``X-Amz-Target: Prefix.Operation``, a JSON object in, a JSON object out.

Errors are ``{"__type": ..., "message": ...}``. For services that were query services before
(SQS, ``awsQueryCompatible`` in the model), AWS also sends ``x-amzn-query-error: Code;Sender`` so
SDKs can report the old error code; botocore prefers it over ``__type``.
"""

from __future__ import annotations

import base64
import datetime as _dt
from typing import Any

import orjson

from eventyard.errors import EventyardError, SerializationException
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
        return value.timestamp()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """JSON as AWS sends it: blobs as base64 text, timestamps as epoch seconds."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def reply(model: Model, result: Any) -> Reply:
    return Reply(200, dumps(result if result is not None else {}), f"application/x-amz-json-{model.json_version}")


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
