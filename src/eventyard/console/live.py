"""Live updates as server-sent events (``text/event-stream``), read with ``fetch`` so that the access
key travels in headers as for every other console request.

- ``/_console/live/watch?view=<endpoint>&<its parameters>``: the GET endpoint ``view`` is read again
  every :data:`INTERVAL` seconds and sent (``event: update``) whenever its answer changed; the page
  redraws from it. One stream per open page: the page never reloads.
- ``/_console/live/tail?pattern=<EventBridge pattern>&bus=<bus>``: each event this node accepts on
  that bus (``event: event``), matched or not by a rule, that the pattern matches (TestEventPattern's
  matcher; an empty pattern passes everything). Events accepted by other nodes of a shared
  PostgreSQL are not seen: the tail observes this node's PutEvents.

A comment line every :data:`HEARTBEAT` seconds keeps proxies from closing an idle stream. Streams end
when the server begins to stop (``Gateway.stopping``), so an open tab never holds a shutdown; the
page reconnects by itself when the server is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from eventyard.bus.patterns import matches, parse_pattern
from eventyard.console.endpoints import ENDPOINTS, BadRequest, Call, stream
from eventyard.errors import EventyardError
from eventyard.gateway.wire import Reply

INTERVAL = 0.5
HEARTBEAT = 15.0
TAIL_BUFFER = 1000
SSE = "text/event-stream"
_HEADERS = [(b"cache-control", b"no-store"), (b"x-accel-buffering", b"no")]


def message(kind: str, value: Any) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(value, default=str) + b"\n\n"


@stream("watch")
async def watch(call: Call) -> Reply:
    view = str(call.require("view"))
    read = ENDPOINTS.get(("GET", view))
    if read is None:
        raise BadRequest(f"no view {view!r}")
    params = {k: v for k, v in call.params.items() if k != "view"}
    viewed = Call(call.yard, call.context, params, call.stopping, call.rates)

    async def updates() -> AsyncIterator[bytes]:
        last = b""
        beat = time.monotonic()
        while not call.stopping():
            try:
                answer = orjson.dumps(await read(viewed), default=str)
            except EventyardError as error:
                answer = orjson.dumps({"error": error.code, "message": error.message})
            if answer != last:
                last = answer
                beat = time.monotonic()
                yield b"event: update\ndata: " + answer + b"\n\n"
            elif time.monotonic() - beat > HEARTBEAT:
                beat = time.monotonic()
                yield b": still here\n\n"
            await asyncio.sleep(INTERVAL)

    return Reply(200, b"", SSE, list(_HEADERS), stream=updates())


@stream("tail")
async def tail(call: Call) -> Reply:
    bus_service: Any = call.yard.services.get("events")
    if bus_service is None:
        raise BadRequest("this yard serves no event bus")
    text = str(call.get("pattern") or "").strip()
    pattern = parse_pattern(text) if text and text != "{}" else None  # AWS's own error for a bad one
    bus = str(call.get("bus") or "default")
    account, region = call.context.account, call.context.region
    arrived: asyncio.Queue[dict[str, Any]] = asyncio.Queue(TAIL_BUFFER)

    def tap(where: Any, accepted: list[tuple[str, dict[str, Any]]]) -> None:
        if where.account != account or where.region != region:
            return
        for event_bus, event in accepted:
            if event_bus == bus and (pattern is None or matches(pattern, event)):
                with contextlib.suppress(asyncio.QueueFull):  # a slow page misses events, the bus never waits
                    arrived.put_nowait(event)

    async def events() -> AsyncIterator[bytes]:
        bus_service.taps.append(tap)
        try:
            yield b": tailing\n\n"
            quiet = 0.0
            while not call.stopping():
                try:
                    event = await asyncio.wait_for(arrived.get(), INTERVAL)
                except TimeoutError:
                    quiet += INTERVAL
                    if quiet >= HEARTBEAT:
                        quiet = 0.0
                        yield b": still here\n\n"
                    continue
                quiet = 0.0
                yield message("event", event)
        finally:
            bus_service.taps.remove(tap)

    return Reply(200, b"", SSE, list(_HEADERS), stream=events())
