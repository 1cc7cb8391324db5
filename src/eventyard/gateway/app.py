"""The ASGI application: one port, every service, each spoken in the protocol its model names.

Routing, in order:

- ``/_eventyard/...`` and ``/metrics`` -> Eventyard's own endpoints (see :mod:`.admin`);
- ``X-Amz-Target: AmazonSQS.SendMessage`` -> that operation over AWS JSON (:mod:`.protocols.aws_json`),
  or CBOR when the body is CBOR (:mod:`.protocols.cbor`, Kinesis);
- a form with ``Action=...`` -> the query protocol (:mod:`.protocols.query`) of the service the SigV4
  credential scope names (``.../us-east-1/sns/aws4_request``), else of the one whose model has that
  action (SQS and SNS share AddPermission and RemovePermission: then the scope, or the form's
  ``TopicArn``, decides);
- anything else -> REST-JSON (:mod:`.protocols.rest_json`, Lambda): the scope's service, else the
  first served REST service with a ``requestUri`` template matching the method and path.

A request signed for a service Eventyard does not serve gets an error in that service's protocol
(:mod:`.protocols.not_served`). Every call ends in ``yard.api.dispatch`` (validation against the
model, then the service), and every failure, including a bug of ours, leaves as an AWS-shaped error:
a client never sees a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from eventyard.errors import ClientError, EventyardError, InternalFailure, UnknownOperationException
from eventyard.gateway import admin
from eventyard.gateway.metrics import Metrics
from eventyard.gateway.protocols import aws_json, cbor, not_served
from eventyard.gateway.protocols.aws_json import JsonProtocol
from eventyard.gateway.protocols.query import InvalidAction, MissingAction, QueryProtocol, read_form
from eventyard.gateway.protocols.rest_json import RestJsonProtocol, UnknownOperation
from eventyard.gateway.sigv4 import Authenticator, check_signature, parse_authorization, parse_presigned
from eventyard.gateway.wire import Reply
from eventyard.ids import RequestIds
from eventyard.models import model_for
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
    """``Gateway(yard)`` is an ASGI app; its lifespan opens and closes the yard.

    Every API in :data:`~eventyard.yard.SERVICES` (and any service the yard was given) is routed and
    validated, even one whose service is not built yet: its calls then answer that it is not served.
    """

    def __init__(self, yard: Yard, *, auth: Authenticator | None = None) -> None:
        self.yard = yard
        self.auth = auth or Authenticator()
        self.metrics = Metrics()
        self._contexts: dict[tuple[str, str], RequestContext] = {}
        self._request_ids = RequestIds()
        self._labels: dict[str, str] = {}
        self.by_target: dict[str, tuple[str, JsonProtocol]] = {}
        self._cbor: dict[str, cbor.CborProtocol] = {}
        self.query: dict[str, QueryProtocol] = {}
        self.rest: dict[str, RestJsonProtocol] = {}
        self.by_signing_name: dict[str, str] = {}
        for name in dict.fromkeys([*SERVICES, *yard.services]):
            model = model_for(name)
            metadata = model.metadata
            for signing_name in (name, metadata.get("signingName"), metadata.get("endpointPrefix")):
                if signing_name:
                    self.by_signing_name.setdefault(signing_name, name)
            protocol = metadata.get("protocol")
            if protocol == "json":
                self.by_target[model.target_prefix] = (name, JsonProtocol(model))
            if protocol == "query" or (protocol == "json" and model.query_compatible):
                self.query[name] = QueryProtocol(model)
            if protocol == "rest-json":
                self.rest[name] = RestJsonProtocol(model)

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
            reply, label = aws_json.error_reply(None, error), "unrouted"
        reply.headers.append((b"x-amzn-requestid", request_id.encode()))
        await _send(send, receive, reply)
        self.metrics.observe(label, reply.status, time.perf_counter() - started)

    async def _route(self, scope: Scope, headers: dict[str, str], body: bytes, request_id: str) -> tuple[Reply, str]:
        path: str = scope["path"]
        if path.startswith("/_eventyard/") or path == "/metrics":
            try:
                return await admin.handle(self, scope, headers, body), "admin"
            except Exception as failure:
                return aws_json.error_reply(None, _as_wire_error(failure, "admin")), "admin"
        target = headers.get("x-amz-target")
        if target:
            return await self._target_call(scope, headers, body, target, request_id)
        content_type = headers.get("content-type", "")
        query_string: bytes = scope.get("query_string", b"")
        if (scope["method"] == "POST" and content_type.startswith("application/x-www-form-urlencoded")) or (
            b"Action=" in query_string
        ):
            return await self._form_call(scope, headers, body, request_id)
        return await self._rest_call(scope, body, request_id)

    # --- who is calling -----------------------------------------------------------------------------

    def _context(self, scope: Scope, headers: dict[str, str], body: bytes) -> RequestContext:
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
        check_signature(self.auth, credential, scope["method"], _raw_path(scope), query_string, headers, body)
        return RequestContext(
            account=self.auth.account_for(credential.access_key) if credential else self.auth.default_account,
            region=credential.region if credential else DEFAULT_REGION,
            endpoint=f"{scope.get('scheme', 'http')}://{headers.get('host') or '127.0.0.1:4566'}",
        )

    def _signed_for(self, scope: Scope, headers: dict[str, str]) -> str:
        """The service named by the SigV4 credential scope (``.../us-east-1/lambda/aws4_request``), as
        one of ours when it is one (``states`` -> ``stepfunctions``), or ``""`` when unsigned."""
        credential = parse_authorization(headers.get("authorization", ""))
        if credential is None:
            query_string = scope.get("query_string", b"")
            if b"X-Amz-Credential" in query_string:
                credential = parse_presigned(dict(parse_qsl(query_string.decode("latin-1"))))
        if credential is None:
            return ""
        return self.by_signing_name.get(credential.service, credential.service)

    # --- the protocols ------------------------------------------------------------------------------

    async def _target_call(
        self, scope: Scope, headers: dict[str, str], body: bytes, target: str, request_id: str
    ) -> tuple[Reply, str]:
        prefix, _, operation = target.rpartition(".")
        routed = self.by_target.get(prefix)
        is_cbor = headers.get("content-type", "").startswith(cbor.CONTENT_TYPE)
        label = self._labels.get(target)
        if label is None:  # "events.PutEvents", made once per known operation (unknown ones share a label)
            known = routed is not None and operation in routed[1].model.operations
            label = f"{routed[0]}.{operation}" if known and routed else "unknown"
            if known:
                self._labels[target] = label
        if routed is None:
            return self._not_routed(scope, headers, request_id, target=True, cbor_body=is_cbor)
        service, protocol = routed
        if is_cbor:
            protocol = self._cbor.get(service) or self._cbor.setdefault(service, cbor.CborProtocol(protocol.model))
        try:
            if operation not in protocol.model.operations:
                raise UnknownOperationException(f"Operation {operation} is not supported.")
            params = protocol.parse(body)
            context = self._context(scope, headers, body)
            result = await self.yard.api.dispatch(service, operation, params, context)
            return protocol.reply(operation, result), label
        except Exception as error:
            return protocol.error_reply(_as_wire_error(error, label)), label

    async def _form_call(
        self, scope: Scope, headers: dict[str, str], body: bytes, request_id: str
    ) -> tuple[Reply, str]:
        form = read_form(body, scope.get("query_string", b""))
        operation = form.get("Action", "")
        service = self._signed_for(scope, headers)
        if not service:
            service = self._service_of_action(operation, form)
        if service not in self.query:
            return self._not_routed(scope, headers, request_id, form=True)
        protocol = self.query[service]
        known = operation in protocol.model.operations
        label = f"{service}.{operation}" if known else f"{service}.unknown"
        try:
            if not operation:
                raise MissingAction("MissingAction")
            if not known:
                raise InvalidAction(f"The action {operation} is not valid for this endpoint.")
            params = protocol.parse(operation, form)
            if service == "sqs" and "QueueUrl" not in params:
                input_shape = protocol.model.operations[operation].input_shape
                queue_path = scope["path"].strip("/")
                if input_shape is not None and "QueueUrl" in input_shape.members and queue_path.count("/") == 1:
                    # older SDKs address the queue by the request path
                    params["QueueUrl"] = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}/{queue_path}"
            context = self._context(scope, headers, body)
            result = await self.yard.api.dispatch(service, operation, params, context)
            return protocol.reply(operation, result, request_id), label
        except Exception as error:
            return protocol.error_reply(_as_wire_error(error, label), request_id), label

    def _service_of_action(self, operation: str, form: dict[str, str]) -> str:
        """An unsigned form: the query service whose model has the action (SQS first, as before SNS);
        for an action two of them share, the form's ARN or queue URL says which; for an action none
        has, SQS, which says so in its own words."""
        having = [name for name, protocol in self.query.items() if operation in protocol.model.operations]
        if len(having) > 1:
            if "TopicArn" in form and "sns" in having:
                return "sns"
            if "QueueUrl" in form and "sqs" in having:
                return "sqs"
        return having[0] if having else "sqs"

    async def _rest_call(self, scope: Scope, body: bytes, request_id: str) -> tuple[Reply, str]:
        headers = _headers(scope["headers"], everything=True)
        method: str = scope["method"]
        raw_path = _raw_path(scope)
        query_string = scope.get("query_string", b"").decode("latin-1")
        signed = self._signed_for(scope, headers)
        if signed and signed not in self.rest:
            return self._not_routed(scope, headers, request_id)
        service, match = signed, None
        for candidate in [signed] if signed else self.rest:
            match = self.rest[candidate].match(method, raw_path, query_string)
            if match is not None:
                service = candidate
                break
        if not service:  # unsigned, and no template of ours matches
            if method == "GET" and raw_path in ("/", ""):
                return admin.banner(self), "admin"
            error = UnknownOperationException("The requested operation is not recognized by this endpoint.")
            return aws_json.error_reply(None, error), "unrouted"
        protocol = self.rest[service]
        label = f"{service}.{match.operation}" if match is not None else f"{service}.unknown"
        try:
            if match is None:
                raise UnknownOperation("")
            params = protocol.parse(match.operation, match.labels, query_string, headers, body)
            context = self._context(scope, headers, body)
            result = await self.yard.api.dispatch(service, match.operation, params, context)
            return protocol.reply(match.operation, result), label
        except Exception as error:
            return protocol.error_reply(_as_wire_error(error, label)), label

    def _not_routed(
        self, scope: Scope, headers: dict[str, str], request_id: str, *, target: bool = False, form: bool = False,
        cbor_body: bool = False,
    ) -> tuple[Reply, str]:  # fmt: skip
        """A call for no API we route: for a service botocore knows (by its signing name), that service's
        ServiceNotServed in its own protocol; otherwise the generic unknown-operation error."""
        service = self._signed_for(scope, headers)
        if service in self.by_signing_name.values():
            metadata: dict[str, Any] | None = model_for(service).metadata
        else:
            metadata = not_served.metadata_of(service) if service else None
        if metadata is None or self.yard.api.served(service):
            if form and "sqs" in self.query:
                error: EventyardError = InvalidAction("The action is not valid for this endpoint.")
                return self.query["sqs"].error_reply(error, request_id), "unrouted"
            error = UnknownOperationException("The requested operation is not recognized by this endpoint.")
            return (cbor.error_reply(error) if cbor_body else aws_json.error_reply(None, error)), "unrouted"
        everything = _headers(scope["headers"], everything=True)
        protocol = not_served.protocol_for(metadata, everything, target=target, form=form)
        error = self.yard.api.not_served(service)
        return not_served.error_reply(metadata, protocol, error, request_id, cbor_body=cbor_body), "unserved"


def _as_wire_error(error: Exception, label: str) -> EventyardError:
    if isinstance(error, EventyardError):
        return error
    log.exception("internal error in %s", label)
    return InternalFailure("The request processing has failed because of an unknown error, exception or failure.")


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if raw:
        return bytes(raw).split(b"?", 1)[0].decode("latin-1")
    return str(scope["path"])


#: The headers the gateway reads on the JSON path; the rest are decoded only when signatures are
#: verified, or for REST calls, whose members travel in headers.
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


async def _send(send: Send, receive: Receive, reply: Reply) -> None:
    if reply.stream is not None:
        await _send_stream(send, receive, reply)
        return
    headers = [
        (b"content-type", reply.content_type.encode()),
        (b"content-length", str(len(reply.body)).encode()),
        *reply.headers,
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


async def _send_stream(send: Send, receive: Receive, reply: Reply) -> None:
    """Each chunk as it comes (``more_body``), until the stream ends or the client goes away."""
    stream = reply.stream
    assert stream is not None
    headers = [(b"content-type", reply.content_type.encode()), *reply.headers]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})

    async def pump() -> None:
        async for chunk in stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    pumping = asyncio.ensure_future(pump())
    watching = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait({pumping, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pumping, watching):
            task.cancel()
        await asyncio.gather(pumping, watching, return_exceptions=True)
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
    if not pumping.cancelled() and pumping.exception() is None:  # the stream ended, the client is there
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Receive) -> None:
    """Returns when the client goes away: once the body is read, ASGI's ``receive`` waits for that."""
    while (await receive()).get("type") != "http.disconnect":
        await asyncio.sleep(0.05)  # a receive that answers at once again (not ASGI) is polled, not spun on
