"""Driving the gateway as an ASGI app, without sockets: raw requests in, the raw response out.

``botocore_request`` builds the request botocore would send (its own serializer for the protocol),
and ``botocore_parse`` reads our response with botocore's own parser, the way a boto3 client would:
round trips judged by the SDK, not by us.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

from botocore.awsrequest import HeadersDict
from botocore.model import OperationModel
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer

from eventyard.gateway.app import Gateway

AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    chunks: list[bytes] = field(default_factory=list)
    finished: bool = False

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


async def call(
    gateway: Gateway,
    method: str,
    path: str,
    *,
    query_string: bytes = b"",
    headers: dict[str, str] | list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
    raw_path: bytes | None = None,
    disconnect_after: int | None = None,
) -> Response:
    """One request; ``receive`` then waits, as ASGI servers do, until the response is complete, or
    says the client went away after ``disconnect_after`` body chunks."""
    if isinstance(headers, dict):
        raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    else:
        raw_headers = list(headers or [])
    done = asyncio.Event()
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        chunks = sum(1 for m in sent if m["type"] == "http.response.body")
        finished = message["type"] == "http.response.body" and not message.get("more_body")
        if finished or (disconnect_after is not None and chunks >= disconnect_after):
            done.set()

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": raw_path if raw_path is not None else path.encode(),
        "query_string": query_string,
        "headers": raw_headers,
        "scheme": "http",
    }
    await gateway(scope, receive, send)
    start = sent[0]
    assert start["type"] == "http.response.start"
    response = Response(int(start["status"]), {k.decode(): v.decode() for k, v in start["headers"]})
    for message in sent[1:]:
        if message.get("body"):
            response.chunks.append(message["body"])
        if not message.get("more_body"):
            response.finished = True
    return response


def botocore_request(protocol: str, operation: OperationModel, params: dict[str, Any], service: str) -> dict[str, Any]:
    """What botocore puts on the wire for ``params``: method, path, query, headers and body."""
    request = create_serializer(protocol).serialize_to_request(params, operation)
    url_path, _, literal_query = request["url_path"].partition("?")
    query = urlencode(request["query_string"], doseq=True) if request["query_string"] else ""
    query = "&".join(part for part in (literal_query, query) if part)
    body = request["body"]
    if isinstance(body, dict):
        body = urlencode(body).encode()
    headers = {k.lower(): str(v) for k, v in request["headers"].items()}
    headers["authorization"] = AUTH.format(service=service)
    headers.setdefault("host", "127.0.0.1:4566")
    return {
        "method": request["method"],
        "path": unquote(url_path),
        "raw_path": url_path.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "body": body if isinstance(body, bytes) else body.encode(),
    }


async def botocore_call(
    gateway: Gateway, protocol: str, operation: OperationModel, params: dict[str, Any], service: str
) -> tuple[Response, dict[str, Any]]:
    """Send what botocore would send, read the answer as botocore would: (raw response, parsed)."""
    request = botocore_request(protocol, operation, params, service)
    response = await call(gateway, **request)
    return response, botocore_parse(protocol, operation, response)


class _RawStream:
    """What botocore's EventStream reads: ``stream()`` yields the chunks as they arrived."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def stream(self) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        pass


def botocore_parse(protocol: str, operation: OperationModel, response: Response, parser: Any = None) -> dict[str, Any]:
    """botocore's reading of our response, as its endpoint hands it to the parser."""
    body: Any = response.body
    if response.status < 300 and operation.has_event_stream_output:
        body = _RawStream(response.chunks)
    elif response.status < 300 and operation.has_streaming_output:
        body = StreamingBody(io.BytesIO(response.body), len(response.body))
    answer = {
        "status_code": response.status,
        "headers": HeadersDict(response.headers),
        "body": body,
        "context": {"operation_name": operation.name},
    }
    parsed: dict[str, Any] = (parser or create_parser(protocol)).parse(answer, operation.output_shape)
    return parsed
