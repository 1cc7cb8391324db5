"""The HTTP side of the gateway, in ASGI terms: reading a request's headers and body, sending a reply,
whole or streamed chunk by chunk while the client stays."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from eventyard.errors import ClientError
from eventyard.gateway.wire import Reply

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: Requests larger than this are refused before parsing (AWS's largest payloads are a few MiB).
MAX_BODY = 16 * 1024 * 1024


class RequestTooLarge(ClientError):
    code = "RequestEntityTooLarge"
    status = 413


def raw_path(scope: Scope) -> str:
    """The path as the client sent it, still percent-encoded: REST labels and SigV4 are read from it."""
    raw = scope.get("raw_path")
    if raw:
        return bytes(raw).split(b"?", 1)[0].decode("latin-1")
    return str(scope["path"])


#: The headers the gateway reads on the JSON path; the rest are decoded only when signatures are
#: verified, or for REST calls, whose members travel in headers.
_WANTED = tuple(
    (name.encode(), name) for name in ("x-amz-target", "content-type", "authorization", "host", "x-amzn-trace-id")
)


def read_headers(raw: list[tuple[bytes, bytes]], *, everything: bool) -> dict[str, str]:
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


async def read_body(receive: Receive, headers: dict[str, str]) -> bytes:
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


async def send_reply(send: Send, receive: Receive, reply: Reply) -> None:
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
