"""A connection's writes of one turn of the event loop leave in one call (``h2c.Gathered``)."""

from __future__ import annotations

import asyncio
from typing import Any

from eventyard.gateway.h2c import Gathered


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 4566) if name == "sockname" else None


async def test_a_responses_head_and_body_leave_together_at_the_end_of_the_turn() -> None:
    transport = _Transport()
    gathered = Gathered(transport)  # type: ignore[arg-type]
    gathered.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    gathered.write(b"{}")
    assert transport.writes == []  # not yet: the turn goes on
    await asyncio.sleep(0)
    assert transport.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    gathered.write(b"next")
    await asyncio.sleep(0)
    assert transport.writes[1:] == [b"next"]  # a later turn's writes are a call of their own


async def test_closing_sends_what_is_held_first_and_a_closed_transport_gets_nothing_more() -> None:
    transport = _Transport()
    gathered = Gathered(transport)  # type: ignore[arg-type]
    gathered.write(b"last words")
    gathered.close()
    assert transport.writes == [b"last words"] and transport.closed
    gathered.write(b"too late")
    await asyncio.sleep(0)
    assert transport.writes == [b"last words"]


async def test_everything_else_is_the_transports_own() -> None:
    transport = _Transport()
    gathered = Gathered(transport)  # type: ignore[arg-type]
    assert gathered.get_extra_info("sockname") == ("127.0.0.1", 4566)
    assert gathered.is_closing() is False
