"""HTTP/2 over cleartext ("prior knowledge") beside HTTP/1.1 on the same port.

Some SDK clients speak only HTTP/2 to some services: the AWS SDK for JavaScript v3's Kinesis client
(every operation, not only SubscribeToShard) and the Java SDK v2's async Kinesis client, which the
KCL uses. Against an ``http://`` endpoint they open the connection with HTTP/2's preface
(``PRI * HTTP/2.0``...), without an upgrade. :class:`Http1Or2` is uvicorn's httptools protocol that
looks at a connection's first bytes: the preface hands the connection to :class:`Http2Connection`,
anything else stays HTTP/1.1 on uvicorn's own path, untouched.

:class:`Http2Connection` drives the same ASGI app, one task per stream: the request's headers and
whole body in, the response's headers and body chunks out as the app sends them (an event stream
stays open until it ends or the client resets the stream), within HTTP/2's flow-control windows.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import unquote

from h2.config import H2Configuration
from h2.connection import ConnectionState, H2Connection
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    RequestReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import ProtocolError, StreamClosedError
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("eventyard.gateway")

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#: Headers HTTP/2 forbids (RFC 9113, 8.2.2): they describe an HTTP/1.1 connection.
_CONNECTION_HEADERS = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade"})


class Http1Or2(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, unless the connection starts with HTTP/2's preface. Over HTTP/1.1
    a response's writes go out together (see :class:`Gathered`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._socket = transport
        super().connection_made(Gathered(transport))  # type: ignore[arg-type]
        self._head = b""

    def data_received(self, data: bytes) -> None:
        head = self._head + data
        if len(head) < len(PREFACE) and PREFACE.startswith(head):
            self._head = head  # not enough to tell yet
            return
        self._head = b""
        if not head.startswith(PREFACE):
            # HTTP/1.1 for good: the transport calls uvicorn's own method from now on (set_protocol
            # makes uvloop look the method up again), so the sniffing costs nothing after this
            self.data_received = super().data_received  # type: ignore[method-assign]
            self.transport.set_protocol(self)
            super().data_received(head)
            return
        self.connections.discard(self)
        http2 = Http2Connection(self.app, self.server_state, self.loop)
        self._socket.set_protocol(http2)
        http2.connection_made(self._socket)
        http2.data_received(head)


class Gathered:
    """A connection's transport whose writes of one turn of the event loop leave in one call: uvicorn
    writes a response's status line and headers, then its body, which would be two system calls
    (and two packets for the client to read) a response. What is written goes out at the end of the
    turn (or before the connection closes), in order; everything else is the transport's own."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            asyncio.get_running_loop().call_soon(self.flush)
        self._held.append(data)

    def flush(self) -> None:
        held, self._held = self._held, []
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


#: How long a finished connection waits for the client to close its side before closing anyway
#: (while the server stops, only briefly: uvicorn waits for every connection to be gone).
LINGER = 5.0
LINGER_STOPPING = 0.2


class _Connection(H2Connection):
    """``h2``'s connection, except that a GOAWAY received leaves it open. HTTP/2 lets the streams
    already open finish (RFC 9113, 6.8); ``h2`` closes the whole connection instead, and would then
    refuse the frames that follow the GOAWAY in the same read (the client's SETTINGS ack, say).
    :attr:`Http2Connection.closing` keeps new streams out."""

    def _receive_goaway_frame(self, frame: Any) -> Any:
        answer = super()._receive_goaway_frame(frame)
        self.state_machine.state = ConnectionState.SERVER_OPEN
        return answer


class _Stream:
    __slots__ = ("body", "closed", "headers", "task", "window")

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.headers = headers
        self.body: list[bytes] = []
        self.task: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.window = asyncio.Event()


class Http2Connection(asyncio.Protocol):
    """One HTTP/2 connection serving an ASGI app (see the module doc)."""

    def __init__(self, app: Any, server_state: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.server_state = server_state
        self.loop = loop
        self.h2 = _Connection(H2Configuration(client_side=False, header_encoding=None))
        self.streams: dict[int, _Stream] = {}
        self.transport: asyncio.Transport | None = None
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None
        self.closing = False
        self.finished = False  # our side is written and ended
        self.stopping = False  # the server is stopping

    # --- the transport's side -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's TCPTransport is not an asyncio.Transport
        self.server_state.connections.add(self)
        self.server = _address(transport.get_extra_info("sockname"))
        self.client = _address(transport.get_extra_info("peername"))
        self.h2.initiate_connection()
        self._flush()

    def data_received(self, data: bytes) -> None:
        try:
            events = self.h2.receive_data(data)
        except ProtocolError:
            self._flush()
            self._close()
            return
        for event in events:
            if isinstance(event, RequestReceived):
                if self.closing:  # a stream opened after a GOAWAY is refused
                    self._reset(event.stream_id)
                    continue
                self.streams[event.stream_id] = _Stream(list(event.headers))
                if event.stream_ended is not None:
                    self._start(event.stream_id)
            elif isinstance(event, DataReceived):
                stream = self.streams.get(event.stream_id)
                if stream is not None:
                    stream.body.append(event.data)
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, StreamEnded):
                self._start(event.stream_id)
            elif isinstance(event, StreamReset):
                self._end(event.stream_id)
            elif isinstance(event, WindowUpdated):
                waiting = [self.streams.get(event.stream_id)] if event.stream_id else list(self.streams.values())
                for stream in waiting:
                    if stream is not None:
                        stream.window.set()
            elif isinstance(event, ConnectionTerminated):
                # GOAWAY: no new streams, but those already open finish (the JavaScript SDK sends it
                # right after its request, while a SubscribeToShard stream is still to be served)
                self.closing = True
                if not self.streams:
                    self._flush()
                    self._close()
                    return
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server_state.connections.discard(self)
        for stream_id in list(self.streams):
            self._end(stream_id)

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: no new streams; the transport closes when the app is done."""
        self.closing = self.stopping = True
        self.h2.close_connection()
        self._keep_serving()
        self._flush()
        if not self.streams:
            self._close()

    # --- one stream ---------------------------------------------------------------------------------

    def _start(self, stream_id: int) -> None:
        stream = self.streams.get(stream_id)
        if stream is None or stream.task is not None:
            return
        stream.task = self.loop.create_task(self._serve(stream_id, stream))
        self.server_state.tasks.add(stream.task)
        stream.task.add_done_callback(self.server_state.tasks.discard)

    async def _serve(self, stream_id: int, stream: _Stream) -> None:
        scope = self._scope(stream.headers)
        body = b"".join(stream.body)
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await stream.closed.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if stream.closed.is_set():
                return
            if message["type"] == "http.response.start":
                headers = [(b":status", str(message["status"]).encode())]
                given = message.get("headers", ())
                headers += [(k.lower(), v) for k, v in given if k.lower() not in _CONNECTION_HEADERS]
                self.h2.send_headers(stream_id, headers)
                self._flush()
            elif message["type"] == "http.response.body":
                await self._send_data(stream_id, stream, message.get("body", b""), not message.get("more_body"))

        try:
            await self.app(scope, receive, send)
        except Exception:
            log.exception("HTTP/2 stream %d failed", stream_id)
            self._reset(stream_id)
        finally:
            self.streams.pop(stream_id, None)
            stream.closed.set()
            if self.closing and not self.streams:
                self._close()

    async def _send_data(self, stream_id: int, stream: _Stream, data: bytes, end: bool) -> None:
        view = memoryview(data)
        while view and not stream.closed.is_set():
            try:
                window = min(self.h2.local_flow_control_window(stream_id), self.h2.max_outbound_frame_size)
            except StreamClosedError:
                return
            if window <= 0:
                stream.window.clear()
                closing = asyncio.ensure_future(stream.closed.wait())
                opening = asyncio.ensure_future(stream.window.wait())
                await asyncio.wait({closing, opening}, return_when=asyncio.FIRST_COMPLETED)
                closing.cancel()
                opening.cancel()
                continue
            chunk, view = view[:window], view[window:]
            self.h2.send_data(stream_id, bytes(chunk), end_stream=end and not view)
            self._flush()
        if end and not data and not stream.closed.is_set():
            try:
                self.h2.end_stream(stream_id)
            except StreamClosedError:
                return
            self._flush()

    def _scope(self, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
        pseudo = {k: v for k, v in headers if k.startswith(b":")}
        plain = [(k, v) for k, v in headers if not k.startswith(b":")]
        if b":authority" in pseudo and not any(k == b"host" for k, _ in plain):
            plain.insert(0, (b"host", pseudo[b":authority"]))
        target = pseudo.get(b":path", b"/")
        raw_path, _, query = target.partition(b"?")
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "2",
            "server": self.server,
            "client": self.client,
            "scheme": pseudo.get(b":scheme", b"http").decode(),
            "method": pseudo.get(b":method", b"GET").decode(),
            "root_path": "",
            "path": unquote(raw_path.decode("latin-1")),
            "raw_path": raw_path,
            "query_string": query,
            "headers": plain,
        }

    # --- the connection -----------------------------------------------------------------------------

    def _keep_serving(self) -> None:
        """After our own GOAWAY too, the open streams finish (see :class:`_Connection`)."""
        if self.h2.state_machine.state is ConnectionState.CLOSED:
            self.h2.state_machine.state = ConnectionState.SERVER_OPEN

    def _end(self, stream_id: int) -> None:
        stream = self.streams.pop(stream_id, None)
        if stream is not None:
            stream.closed.set()
            stream.window.set()

    def _reset(self, stream_id: int) -> None:
        try:
            self.h2.reset_stream(stream_id)
        except (StreamClosedError, ProtocolError):
            return
        self._flush()

    def _flush(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing() and not self.finished:
            self.transport.write(data)

    def _close(self) -> None:
        """Ends our side and lets the client close: closing a socket with the client's last frames
        (a SETTINGS ack, a WINDOW_UPDATE) unread makes the kernel reset the connection, and a reset
        can throw away the answer the client has not read yet."""
        transport = self.transport
        if transport is None or transport.is_closing() or self.finished:
            return
        self.finished = True
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        self.loop.call_later(LINGER_STOPPING if self.stopping else LINGER, transport.close)


def _address(info: Any) -> tuple[str, int] | None:
    if isinstance(info, tuple) and len(info) >= 2:
        return str(info[0]), int(info[1])
    return None
