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

import logging
import time
from typing import Any

from eventyard.errors import EventyardError, InternalFailure, UnknownOperationException
from eventyard.gateway import admin
from eventyard.gateway.callers import Callers
from eventyard.gateway.http import Receive, Scope, Send, raw_path, read_body, read_headers, send_reply
from eventyard.gateway.metrics import Metrics
from eventyard.gateway.protocols import aws_json, cbor, not_served
from eventyard.gateway.protocols.aws_json import JsonProtocol
from eventyard.gateway.protocols.query import InvalidAction, MissingAction, QueryProtocol, read_form
from eventyard.gateway.protocols.rest_json import RestJsonProtocol, UnknownOperation
from eventyard.gateway.sigv4 import Authenticator
from eventyard.gateway.wire import Reply
from eventyard.ids import RequestIds
from eventyard.models import model_for
from eventyard.yard import SERVICES, Yard

log = logging.getLogger("eventyard.gateway")


class Gateway:
    """``Gateway(yard)`` is an ASGI app; its lifespan opens and closes the yard.

    Every API in :data:`~eventyard.yard.SERVICES` (and any service the yard was given) is routed and
    validated, even one whose service is not built yet: its calls then answer that it is not served.
    """

    def __init__(self, yard: Yard, *, auth: Authenticator | None = None) -> None:
        self.yard = yard
        self.auth = auth or Authenticator()
        self.metrics = Metrics()
        self._request_ids = RequestIds()
        self._labels: dict[str, str] = {}
        self.by_target: dict[str, tuple[str, JsonProtocol]] = {}
        self._cbor: dict[str, cbor.CborProtocol] = {}
        self.query: dict[str, QueryProtocol] = {}
        self.rest: dict[str, RestJsonProtocol] = {}
        self.signing_names: dict[str, str] = {}
        for name in dict.fromkeys([*SERVICES, *yard.services]):
            model = model_for(name)
            metadata = model.metadata
            for signing_name in (name, metadata.get("signingName"), metadata.get("endpointPrefix")):
                if signing_name:
                    self.signing_names.setdefault(signing_name, name)
            protocol = metadata.get("protocol")
            if protocol == "json":
                self.by_target[model.target_prefix] = (name, JsonProtocol(model))
            if protocol == "query" or (protocol == "json" and model.query_compatible):
                self.query[name] = QueryProtocol(model)
            if protocol == "rest-json":
                self.rest[name] = RestJsonProtocol(model)
        self.callers = Callers(self.auth, self.signing_names)

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
        headers = read_headers(scope["headers"], everything=self.auth.verify)
        try:
            body = await read_body(receive, headers)
            reply, label = await self._route(scope, headers, body, request_id)
        except EventyardError as error:  # raised before a protocol was known
            reply, label = aws_json.error_reply(None, error), "unrouted"
        reply.headers.append((b"x-amzn-requestid", request_id.encode()))
        await send_reply(send, receive, reply)
        elapsed = time.perf_counter() - started
        self.metrics.observe(label, reply.status, elapsed)
        if log.isEnabledFor(logging.INFO):  # ``eventyard serve --log-level info``
            log.info("%s %s %s %d %.1fms", scope["method"], scope["path"], label, reply.status, elapsed * 1000)

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
            if "x-amzn-trace-id" in headers and service == "sqs":
                _trace_header_into_messages(operation, params, headers["x-amzn-trace-id"])
            context = self.callers.context(scope, headers, body)
            result = await self.yard.api.dispatch(service, operation, params, context)
            return protocol.reply(operation, result), label
        except Exception as error:
            return protocol.error_reply(_as_wire_error(error, label)), label

    async def _form_call(
        self, scope: Scope, headers: dict[str, str], body: bytes, request_id: str
    ) -> tuple[Reply, str]:
        form = read_form(body, scope.get("query_string", b""))
        operation = form.get("Action", "")
        service = self.callers.signed_for(scope, headers)
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
            if "x-amzn-trace-id" in headers and service == "sqs":
                _trace_header_into_messages(operation, params, headers["x-amzn-trace-id"])
            context = self.callers.context(scope, headers, body)
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
        headers = read_headers(scope["headers"], everything=True)
        method: str = scope["method"]
        path = raw_path(scope)
        query_string = scope.get("query_string", b"").decode("latin-1")
        signed = self.callers.signed_for(scope, headers)
        if signed and signed not in self.rest:
            return self._not_routed(scope, headers, request_id)
        service, match = signed, None
        for candidate in [signed] if signed else self.rest:
            match = self.rest[candidate].match(method, path, query_string)
            if match is not None:
                service = candidate
                break
        if not service:  # unsigned, and no template of ours matches
            if method == "GET" and path in ("/", ""):
                return admin.banner(self), "admin"
            error = UnknownOperationException("The requested operation is not recognized by this endpoint.")
            return aws_json.error_reply(None, error), "unrouted"
        protocol = self.rest[service]
        label = f"{service}.{match.operation}" if match is not None else f"{service}.unknown"
        try:
            if match is None:
                raise UnknownOperation("")
            params = protocol.parse(match.operation, match.labels, query_string, headers, body)
            context = self.callers.context(scope, headers, body)
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
        service = self.callers.signed_for(scope, headers)
        if service in self.signing_names.values():
            metadata: dict[str, Any] | None = model_for(service).metadata
        else:
            metadata = not_served.metadata_of(service) if service else None
        if metadata is None or self.yard.api.served(service):
            if form and "sqs" in self.query:
                error: EventyardError = InvalidAction("The action is not valid for this endpoint.")
                return self.query["sqs"].error_reply(error, request_id), "unrouted"
            error = UnknownOperationException("The requested operation is not recognized by this endpoint.")
            return (cbor.error_reply(error) if cbor_body else aws_json.error_reply(None, error)), "unrouted"
        everything = read_headers(scope["headers"], everything=True)
        protocol = not_served.protocol_for(metadata, everything, target=target, form=form)
        error = self.yard.api.not_served(service)
        return not_served.error_reply(metadata, protocol, error, request_id, cbor_body=cbor_body), "unserved"


def _trace_header_into_messages(operation: str, params: dict[str, Any], trace: str) -> None:
    """SQS takes an X-Ray ``X-Amzn-Trace-Id`` header as every sent message's ``AWSTraceHeader``
    system attribute; a message's own ``MessageSystemAttributes`` win (AWS X-Ray guide, "Amazon SQS")."""
    if operation == "SendMessage":
        messages = [params]
    elif operation == "SendMessageBatch" and isinstance(params.get("Entries"), list):
        messages = [entry for entry in params["Entries"] if isinstance(entry, dict)]
    else:
        return
    for message in messages:
        system = message.setdefault("MessageSystemAttributes", {})
        if isinstance(system, dict) and "AWSTraceHeader" not in system:
            system["AWSTraceHeader"] = {"DataType": "String", "StringValue": trace}


def _as_wire_error(error: Exception, label: str) -> EventyardError:
    if isinstance(error, EventyardError):
        return error
    log.exception("internal error in %s", label)
    return InternalFailure("The request processing has failed because of an unknown error, exception or failure.")
