"""Invoke: RequestResponse (run now, answer the result), Event (durable, run soon, answer 202) and
DryRun (check, answer 204).

- RequestResponse answers 200 with the handler's JSON result, or its error document and
  ``FunctionError: Unhandled``; ``LogType: Tail`` adds the base64 of the last 4 KB of the log.
- Event is acknowledged only once it is a kernel timer (:mod:`.async_invokes`) committed to the
  database: it survives ``kill -9``, and runs with the function's retry and destination settings.
- A payload that is not JSON is refused as AWS refuses it (InvalidRequestContentException).
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from eventyard.functions.async_invokes import AsyncInvokes
from eventyard.functions.core import FunctionCore
from eventyard.functions.errors import InvalidRequestContent, RequestTooLarge
from eventyard.ids import new_uuid
from eventyard.service import RequestContext

MAX_SYNC_PAYLOAD = 6_291_456
MAX_ASYNC_PAYLOAD = 1_048_576
TAIL_BYTES = 4096


def check_payload(payload: bytes, limit: int) -> None:
    if len(payload) > limit:
        raise RequestTooLarge(f"Request must be smaller than {limit} bytes for the Invoke operation")
    if not payload:
        return
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as error:
        raise InvalidRequestContent(
            f"Could not parse request body into json: Could not parse payload into json: {error}"
        )


def tail(logs: str) -> str:
    """The last 4 KB of a log, base64 (LogType Tail)."""
    return base64.b64encode(logs.encode("utf-8")[-TAIL_BYTES:]).decode("ascii")


class InvokeOperations(FunctionCore):
    async_invokes: AsyncInvokes

    async def invoke(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"], request.get("Qualifier"))
        kind = request.get("InvocationType") or "RequestResponse"
        payload = request.get("Payload") or b""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        target = await self.resolve(name)
        check_payload(payload, MAX_ASYNC_PAYLOAD if kind == "Event" else MAX_SYNC_PAYLOAD)
        if kind == "DryRun":
            return {"StatusCode": 204}
        if kind == "Event":
            await self.async_invokes.enqueue(name, payload)
            return {"StatusCode": 202}
        client_context = _client_context(request.get("ClientContext"))
        outcome = await self.runner.run(target, payload, new_uuid(), client_context)
        answer: dict[str, Any] = {
            "StatusCode": 200,
            "Payload": outcome.payload,
            "ExecutedVersion": outcome.executed_version,
        }
        if outcome.function_error:
            answer["FunctionError"] = outcome.function_error
        if request.get("LogType") == "Tail":
            answer["LogResult"] = tail(outcome.logs)
        return answer

    async def invoke_async(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """The deprecated InvokeAsync: an Event invoke answering 202 ``{"Status": 202}``."""
        payload = request.get("InvokeArgs") or b""
        if not isinstance(payload, bytes):
            payload = bytes(payload) if not isinstance(payload, str) else payload.encode()
        name = self.name_of(context, request["FunctionName"])
        await self.resolve(name)
        check_payload(payload, MAX_ASYNC_PAYLOAD)
        await self.async_invokes.enqueue(name, payload)
        return {"Status": 202}


def _client_context(text: str | None) -> Any:
    """ClientContext: base64 of a JSON object (up to 3583 bytes), given to the handler decoded."""
    if not text:
        return None
    try:
        return orjson.loads(base64.b64decode(text))
    except (ValueError, orjson.JSONDecodeError):
        raise InvalidRequestContent("Client context must be a valid Base64-encoded JSON object.")
