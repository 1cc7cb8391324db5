"""The ASGI application: one port, every service, routed the way AWS SDKs call.

- ``X-Amz-Target: AmazonSQS.SendMessage`` (JSON 1.0/1.1, or CBOR for Kinesis) -> that operation;
- a form body or query string with ``Action=...`` -> SQS over the query protocol;
- ``/_eventyard/...`` and ``/metrics`` -> Eventyard's own endpoints (see :mod:`.admin`).

Each request becomes a :class:`~eventyard.gateway.wire.Call`, is validated against botocore's model,
runs on its service, and is written back in its protocol. Every failure, including a bug of ours,
leaves as an AWS-shaped error: a client never sees a traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from eventyard.errors import ClientError, EventyardError, InternalFailure, UnknownOperationException
from eventyard.gateway import admin, cbor_protocol, json_protocol, query
from eventyard.gateway.metrics import Metrics
from eventyard.gateway.sigv4 import Authenticator, check_signature, parse_authorization, parse_presigned
from eventyard.gateway.wire import Reply
from eventyard.ids import RequestIds
from eventyard.models import Model, model_for
from eventyard.service import DEFAULT_REGION, RequestContext
from eventyard.yard import SERVICES, Yard

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

log = logging.getLogger("eventyard.gateway")

#: Requests larger than this are refused before parsing (AWS's largest payloads are a few MiB).
MAX_BODY = 16 * 1024 * 1024


class RequestTooLarge(ClientError):
    code = "RequestEntityTooLarge"
    status = 413


class Gateway:
    """``Gateway(yard)`` is an ASGI app; its lifespan opens and closes the yard."""

    def __init__(self, yard: Yard, *, auth: Authenticator | None = None) -> None:
        self.yard = yard
        self.auth = auth or Authenticator()
        self.metrics = Metrics()
        self._contexts: dict[tuple[str, str], RequestContext] = {}
        self._request_ids = RequestIds()
        self._labels: dict[str, str] = {}
        self.by_target: dict[str, tuple[str, Model]] = {}
        for name in SERVICES:  # every API is routed and validated, even one whose service is not built yet
            model = model_for(name)
            self.by_target[model.target_prefix] = (name, model)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.yard.start()
                except Exception as error:
                    log.exception("could not start the yard")
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.yard.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = self._request_ids.next()
        headers = _headers(scope["headers"], everything=self.auth.verify)
        try:
            body = await _read_body(receive, headers)
            reply, label = await self._route(scope, headers, body, request_id)
        except EventyardError as error:  # raised before a protocol was known
            reply, label = json_protocol.error_reply(None, error), "unrouted"
        reply.headers.append((b"x-amzn-requestid", request_id.encode()))
        await _send(send, reply)
        self.metrics.observe(label, reply.status, time.perf_counter() - started)

    async def _route(self, scope: Scope, headers: dict[str, str], body: bytes, request_id: str) -> tuple[Reply, str]:
        path: str = scope["path"]
        if path.startswith("/_eventyard/") or path == "/metrics":
            try:
                return await admin.handle(self, scope, headers, body), "admin"
            except Exception as failure:
                return json_protocol.error_reply(None, _as_wire_error(failure, "admin")), "admin"
        target = headers.get("x-amz-target")
        if target:
            return await self._target_call(scope, headers, body, target, request_id)
        content_type = headers.get("content-type", "")
        if (scope["method"] == "POST" and content_type.startswith("application/x-www-form-urlencoded")) or (
            b"Action=" in scope.get("query_string", b"")
        ):
            return await self._query_call(scope, headers, body, request_id)
        if scope["method"] == "GET" and path in ("/", ""):
            return admin.banner(self), "admin"
        error = UnknownOperationException("The requested operation is not recognized by this endpoint.")
        return json_protocol.error_reply(None, error), "unrouted"

    def _context(self, scope: Scope, headers: dict[str, str], body: bytes, request_id: str) -> RequestContext:
        authorization = headers.get("authorization", "")
        host = headers.get("host") or "127.0.0.1:4566"
        query_string = scope.get("query_string", b"")
        if not self.auth.verify and b"X-Amz-Credential" not in query_string:
            # SDKs sign every request anew, but the credential scope (key, date, region) repeats:
            # the context depends on nothing else, so it is built once per scope and host.
            start = authorization.find("Credential=")
            key = (authorization[start : authorization.find(",", start)] if start >= 0 else "", host)
            context = self._contexts.get(key)
            if context is None:
                if len(self._contexts) > 10_000:
                    self._contexts.clear()
                context = self._contexts[key] = self._build_context(scope, headers, body, "")
            return context
        return self._build_context(scope, headers, body, query_string.decode("latin-1"))

    def _build_context(self, scope: Scope, headers: dict[str, str], body: bytes, query_string: str) -> RequestContext:
        credential = parse_authorization(headers.get("authorization", ""))
        if credential is None and "X-Amz-Credential" in query_string:
            credential = parse_presigned(dict(parse_qsl(query_string)))
        check_signature(self.auth, credential, scope["method"], scope["path"], query_string, headers, body)
        return RequestContext(
            account=self.auth.account_for(credential.access_key) if credential else self.auth.default_account,
            region=credential.region if credential else DEFAULT_REGION,
            endpoint=f"{scope.get('scheme', 'http')}://{headers.get('host') or '127.0.0.1:4566'}",
        )

    async def _target_call(
        self, scope: Scope, headers: dict[str, str], body: bytes, target: str, request_id: str
    ) -> tuple[Reply, str]:
        prefix, _, operation = target.rpartition(".")
        routed = self.by_target.get(prefix)
        cbor = headers.get("content-type", "").startswith(cbor_protocol.CONTENT_TYPE)
        model = routed[1] if routed else None
        label = self._labels.get(target)
        if label is None:  # "events.PutEvents", made once per known operation (unknown ones share a label)
            known = routed is not None and operation in routed[1].operations
            label = f"{routed[0]}.{operation}" if known and routed else "unknown"
            if known:
                self._labels[target] = label
        try:
            if routed is None or operation not in routed[1].operations:
                raise UnknownOperationException(f"Operation {operation} is not supported." if routed else "")
            service, model = routed
            params = cbor_protocol.parse_body(body) if cbor else json_protocol.parse_body(body)
            context = self._context(scope, headers, body, request_id)
            result = await self._invoke(service, model, operation, params, context)
            return (cbor_protocol.reply(result) if cbor else json_protocol.reply(model, result)), label
        except Exception as error:
            wire_error = _as_wire_error(error, label)
            if cbor:
                return cbor_protocol.error_reply(wire_error), label
            return json_protocol.error_reply(model, wire_error), label

    async def _query_call(
        self, scope: Scope, headers: dict[str, str], body: bytes, request_id: str
    ) -> tuple[Reply, str]:
        form = query.read_form(body, scope.get("query_string", b""))
        operation = form.get("Action", "")
        label = f"sqs.{operation or 'unknown'}"
        try:
            model = model_for("sqs")
            if not operation:
                raise query.MissingAction("MissingAction")
            if operation not in model.operations:
                raise query.InvalidAction(f"The action {operation} is not valid for this endpoint.")
            params = query.parse(model, operation, form)
            if "QueueUrl" in model.operations[operation].input_shape.members and "QueueUrl" not in params:
                queue_path = scope["path"].strip("/")
                if queue_path.count("/") == 1:  # older SDKs address the queue by the request path
                    params["QueueUrl"] = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}/{queue_path}"
            context = self._context(scope, headers, body, request_id)
            result = await self._invoke("sqs", model, operation, params, context)
            return query.reply(model, operation, result, request_id), label
        except Exception as error:
            return query.error_reply(_as_wire_error(error, label), request_id), label

    async def _invoke(
        self, service: str, model: Model, operation: str, params: dict[str, Any], context: RequestContext
    ) -> Any:
        return await self.yard.api.dispatch(service, operation, params, context)


def _as_wire_error(error: Exception, label: str) -> EventyardError:
    if isinstance(error, EventyardError):
        return error
    log.exception("internal error in %s", label)
    return InternalFailure("The request processing has failed because of an unknown error, exception or failure.")


#: The headers the gateway reads; the rest are decoded only when signatures are verified.
_WANTED = tuple((name.encode(), name) for name in ("x-amz-target", "content-type", "authorization", "host"))


def _headers(raw: list[tuple[bytes, bytes]], *, everything: bool) -> dict[str, str]:
    """ASGI gives lower-case names; a C-level dict() and a few lookups beat a loop over every header."""
    if everything:
        return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}
    by_name = dict(raw)
    found = {}
    for key, name in _WANTED:
        value = by_name.get(key)
        if value is not None:
            found[name] = value.decode("latin-1")
    declared = by_name.get(b"content-length")
    if declared is not None:
        found["content-length"] = declared.decode("latin-1")
    return found


async def _read_body(receive: Receive, headers: dict[str, str]) -> bytes:
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise RequestTooLarge(f"Request body larger than {MAX_BODY} bytes.")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > MAX_BODY:
                raise RequestTooLarge(f"Request body larger than {MAX_BODY} bytes.")
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks) if len(chunks) != 1 else chunks[0]


async def _send(send: Send, reply: Reply) -> None:
    headers = [
        (b"content-type", reply.content_type.encode()),
        (b"content-length", str(len(reply.body)).encode()),
        *reply.headers,
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
