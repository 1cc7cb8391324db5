"""Functions: invoke with a payload, recent invocations, event source mappings, when the yard serves
the functions service (``lambda``); otherwise the page says it is not served."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from eventyard.console.endpoints import Call, endpoint, pages


@endpoint("GET", "functions")
async def functions(call: Call) -> dict[str, Any]:
    if not call.served("lambda"):
        return {"served": False, "functions": [], "mappings": []}
    listed = await pages(call, "lambda", "ListFunctions", {}, "Functions", token="NextMarker")
    mappings = await pages(call, "lambda", "ListEventSourceMappings", {}, "EventSourceMappings", token="NextMarker")
    return {"served": True, "functions": listed, "mappings": mappings, "recent": recent(call)}


def recent(call: Call, limit: int = 50) -> list[dict[str, Any]]:
    """The node's latest invocations, newest first, with their logs and durations (see
    :class:`eventyard.functions.runner.Invocation`)."""
    runner = call.yard.services["lambda"].runner  # type: ignore[attr-defined]
    return [
        {
            "FunctionArn": run.function_arn,
            "Version": run.version,
            "RequestId": run.request_id,
            "Started": run.started,
            "DurationMs": round(run.duration_ms, 2),
            "FunctionError": run.function_error,
            "Log": run.logs,
        }
        for run in list(runner.recent)[::-1][:limit]
    ]


@endpoint("POST", "function/invoke")
async def invoke(call: Call) -> dict[str, Any]:
    payload = call.get("payload") or "{}"
    request = {
        "FunctionName": call.require("name"),
        "Payload": (payload if isinstance(payload, str) else orjson.dumps(payload).decode()).encode(),
        "LogType": "Tail",
    }
    answer = await call.op("lambda", "Invoke", request)
    body = answer.get("Payload", b"")
    if hasattr(body, "read"):
        body = body.read()
    text = body.decode() if isinstance(body, bytes) else str(body)
    log = answer.get("LogResult")
    return {
        "StatusCode": answer.get("StatusCode"),
        "FunctionError": answer.get("FunctionError"),
        "Payload": text,
        "Log": base64.b64decode(log).decode(errors="replace") if log else None,
    }
