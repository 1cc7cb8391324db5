"""Requests for an AWS service Eventyard does not serve, answered in *that* service's protocol.

``aws s3 ls`` with ``AWS_ENDPOINT_URL`` pointing here signs for ``s3`` and expects rest-xml;
``aws dynamodb list-tables`` signs for ``dynamodb`` and expects AWS JSON. Whatever Eventyard serves,
the SDK can only report an error it can parse, so the answer takes the protocol from botocore's
model of the signed service (the request's own shape first: a target header means JSON, a form
means query) and says which service was asked for and which are served, as a
:class:`~eventyard.api.ServiceNotServed` (400, never retried: see its docstring).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from xml.sax.saxutils import escape

import cbor2
import orjson
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader

from eventyard.errors import EventyardError
from eventyard.gateway.wire import Reply


@cache
def _known_services() -> frozenset[str]:
    return frozenset(Loader().list_available_services("service-2"))


def metadata_of(service: str) -> dict[str, Any] | None:
    """botocore's ``metadata`` of ``service`` (a SigV4 signing name), or None when botocore has no
    such model. Only names botocore lists are looked up (and remembered), and only their metadata kept."""
    return _metadata(service) if service in _known_services() else None


@cache
def _metadata(service: str) -> dict[str, Any] | None:
    try:
        return dict(Loader().load_service_model(service, "service-2")["metadata"])
    except (DataNotFoundError, KeyError, ValueError):
        return None


def protocol_for(metadata: dict[str, Any], headers: dict[str, str], *, target: bool, form: bool) -> str:
    protocol = str(metadata.get("protocol", "json"))
    if headers.get("smithy-protocol") == "rpc-v2-cbor":
        return "smithy-rpc-v2-cbor"
    if target:
        return "json"
    if form:
        return "ec2" if protocol == "ec2" else "query"
    return protocol


def error_reply(
    metadata: dict[str, Any], protocol: str, error: EventyardError, request_id: str, *, cbor_body: bool = False
) -> Reply:
    code, message = escape(error.code), escape(error.message)
    status = error.status
    if protocol == "json":
        if cbor_body:
            body = cbor2.dumps({"__type": error.code, "message": error.message})
            return Reply(status, body, "application/x-amz-cbor-1.1")
        body = orjson.dumps({"__type": error.code, "message": error.message})
        return Reply(status, body, f"application/x-amz-json-{metadata.get('jsonVersion', '1.0')}")
    if protocol == "rest-json":
        headers = [(b"x-amzn-errortype", error.code.encode())]
        return Reply(status, orjson.dumps({"message": error.message}), "application/json", headers)
    if protocol == "smithy-rpc-v2-cbor":
        body = cbor2.dumps({"__type": error.code, "message": error.message})
        return Reply(status, body, "application/cbor", [(b"smithy-protocol", b"rpc-v2-cbor")])
    if protocol == "query":
        xmlns = escape(str(metadata.get("xmlNamespace", "")), {'"': "&quot;"})
        text = (
            f'<?xml version="1.0"?><ErrorResponse xmlns="{xmlns}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return Reply(status, text.encode(), "text/xml")
    if protocol == "ec2":
        text = (
            f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return Reply(status, text.encode(), "text/xml")
    # rest-xml (S3, Route 53, CloudFront): botocore reads an <Error> root as S3 writes it, and the others' too
    text = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    return Reply(status, text.encode(), "application/xml", [(b"x-amz-request-id", request_id.encode())])
