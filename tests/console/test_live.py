"""Live updates: a watched view is sent again when it changes; the tail sends the events a pattern matches."""

from __future__ import annotations

import asyncio

import orjson

from eventyard.console import live
from eventyard.console.endpoints import Call
from eventyard.service import RequestContext
from tests.console.conftest import ConsoleClient


def _data(chunk: bytes) -> tuple[str, object]:
    kind, data = chunk.decode().split("\n")[:2]
    return kind.removeprefix("event: "), orjson.loads(data.removeprefix("data: "))


async def test_watch_sends_the_view_then_each_change(console: ConsoleClient) -> None:
    sqs = console.yard.client("sqs")
    url = (await sqs.create_queue(QueueName="jobs"))["QueueUrl"]
    reply = await live.watch(Call(console.yard, RequestContext(), {"view": "queue", "name": "jobs"}))
    assert reply.content_type == "text/event-stream" and reply.stream is not None
    updates = reply.stream
    kind, first = _data(await anext(updates))
    assert kind == "update" and first["queue"]["visible"] == 0  # type: ignore[index]
    await sqs.send_message(QueueUrl=url, MessageBody="new")
    _, second = _data(await asyncio.wait_for(anext(updates), 5))
    assert second["queue"]["visible"] == 1  # type: ignore[index]
    await updates.aclose()  # type: ignore[attr-defined]


async def test_tail_sends_matching_events_only_and_lets_go_when_closed(console: ConsoleClient) -> None:
    bus = console.yard.services["events"]
    call = Call(console.yard, RequestContext(), {"bus": "default", "pattern": '{"source": ["com.example.orders"]}'})
    reply = await live.tail(call)
    assert reply.stream is not None
    events = reply.stream
    assert (await anext(events)).startswith(b":")  # subscribed
    for source in ("com.example.billing", "com.example.orders"):
        await console.post("bus/put-events", source=source, detailType="Tested", detail={"from": source})
    kind, event = _data(await asyncio.wait_for(anext(events), 5))
    assert kind == "event" and event["source"] == "com.example.orders"  # type: ignore[index]
    await events.aclose()  # type: ignore[attr-defined]
    assert bus.taps == []  # type: ignore[attr-defined]


async def test_live_streams_end_when_the_server_stops(console: ConsoleClient) -> None:
    stopping = False
    call = Call(console.yard, RequestContext(), {"view": "queues"}, lambda: stopping)
    updates = (await live.watch(call)).stream
    events = (await live.tail(Call(console.yard, RequestContext(), {}, lambda: stopping))).stream
    assert updates is not None and events is not None
    assert (await anext(updates)).startswith(b"event: update")
    assert (await anext(events)).startswith(b":")
    stopping = True
    for stream in (updates, events):
        remaining = [chunk async for chunk in stream]  # ends by itself, within an interval
        assert all(chunk.startswith((b":", b"event:")) for chunk in remaining)
    assert console.yard.services["events"].taps == []  # type: ignore[attr-defined]
