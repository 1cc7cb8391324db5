"""An in-process Lambda for the mapping tests while the functions service is not merged: Python
callables as functions, GetFunction and Invoke with AWS's answer shapes, and the mapping operations."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

import orjson

from eventyard.functions.mappings.errors import ResourceNotFound
from eventyard.functions.mappings.operations import MIGRATIONS, MappingOperations
from eventyard.service import RequestContext

Handler = Callable[[dict[str, Any], Any], Any]


class InProcessLambda(MappingOperations):
    name = "lambda"
    migrations: ClassVar = MIGRATIONS

    def __init__(self, yard: Any) -> None:
        super().__init__(yard)
        self.handlers: dict[str, Handler] = {}

    def register(self, name: str, handler: Handler) -> str:
        self.handlers[name] = handler
        return f"arn:aws:lambda:us-east-1:000000000000:function:{name}"

    def _name(self, text: str) -> str:
        parts = text.split(":")
        return parts[6] if parts[0] == "arn" else parts[0]

    async def get_function(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._name(str(request["FunctionName"]))
        if name not in self.handlers:
            raise ResourceNotFound(
                f"Function not found: arn:aws:lambda:{context.region}:{context.account}:function:{name}"
            )
        arn = f"arn:aws:lambda:{context.region}:{context.account}:function:{name}"
        return {
            "Configuration": {"FunctionName": name, "FunctionArn": arn, "Role": "arn:aws:iam::000000000000:role/lambda"}
        }

    async def invoke(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._name(str(request["FunctionName"]))
        handler = self.handlers.get(name)
        if handler is None:
            raise ResourceNotFound(f"Function not found: {request['FunctionName']}")
        event = orjson.loads(request["Payload"])
        try:
            result = await asyncio.to_thread(handler, event, None)
        except Exception as error:
            body = {"errorMessage": str(error), "errorType": type(error).__name__}
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": orjson.dumps(body)}
        return {"StatusCode": 200, "Payload": orjson.dumps(result)}
