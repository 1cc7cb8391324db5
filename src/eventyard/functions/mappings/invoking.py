"""Calling the mapped function: a synchronous Invoke through the api, as any other caller makes it.

The poller never reaches into the functions service: it dispatches ``lambda Invoke`` with the batch
as the payload and reads the answer as boto3 would (``FunctionError`` set: the handler raised).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from eventyard.errors import EventyardError
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.functions.mappings.store import Mapping
    from eventyard.yard import Yard


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one invocation with a batch came to."""

    ok: bool
    result: Any  # the handler's return value (JSON), None when it returned nothing or failed
    status: int  # the Invoke StatusCode (200 when the call got through)
    error: str | None  # FunctionError (``Unhandled``), or the Invoke call's own error code


async def invoke(yard: Yard, mapping: Mapping, event: dict[str, Any]) -> Outcome:
    context = RequestContext(account=mapping.account, region=mapping.region, endpoint=yard.endpoint)
    request = {
        "FunctionName": mapping.function_arn,
        "InvocationType": "RequestResponse",
        "Payload": orjson.dumps(event),
    }
    try:
        answer = await yard.call("lambda", "Invoke", request, context, trusted=True)
    except EventyardError as error:  # throttled, the function gone: the batch failed, it is retried
        return Outcome(False, None, error.status, error.code)
    status = int(answer.get("StatusCode") or 200)
    body = _bytes(answer.get("Payload"))
    try:
        result = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError:
        result = body.decode("utf-8", "replace")
    error_kind = answer.get("FunctionError")
    if error_kind:
        return Outcome(False, None, status, str(error_kind))
    return Outcome(True, result, status, None)


def _bytes(payload: Any) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode()
    read = getattr(payload, "read", None)
    return bytes(read()) if callable(read) else b""
