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
    return {"served": True, "functions": listed, "mappings": mappings}


@endpoint("POST", "function/invoke")
async def invoke(call: Call) -> dict[str, Any]:
    payload = call.get("payload") or "{}"
    request = {
        "FunctionName": call.require("name"),
        "Payload": (payload if isinstance(payload, str) else orjson.dumps(payload).decode()).encode(),
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
