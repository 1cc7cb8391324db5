"""One clock for all of Eventyard's time.

Every timestamp and every wait (visibility timeouts, delays, Wait states, retry back-off,
schedules) goes through a :class:`Clock`, so tests and users' test suites can swap wall time for a
:class:`VirtualClock` that jumps over waits: a workflow that waits a day finishes in milliseconds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    """Seconds since the epoch, and waiting for them to pass."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    async def sleep_until(self, deadline: float) -> None: ...


class WallClock:
    """Real time: ``time.time()`` and ``asyncio.sleep``."""

    virtual = False

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, deadline: float) -> None:
        await asyncio.sleep(max(0.0, deadline - time.time()))


class VirtualClock:
    """Time that moves only when told to.

    ``advance(seconds)`` moves time forward and wakes every sleeper whose deadline has come, in
    deadline order. With ``auto_advance=True`` a sleep jumps the clock straight to its own deadline,
    which suits a single workflow run in-process (``eventyard workflow run``) or a test that only
    cares about the result.
    """

    virtual = True

    def __init__(self, start: float | None = None, *, auto_advance: bool = False) -> None:
        self._now = time.time() if start is None else start
        self.auto_advance = auto_advance
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._now + max(0.0, seconds))

    async def sleep_until(self, deadline: float) -> None:
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        if self.auto_advance:
            self._now = deadline
            self._wake_due()
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._order), future))
        await future

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` and wake the sleepers that are due; returns the new time."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds
        self._wake_due()
        return self._now

    def set(self, timestamp: float) -> float:
        """Move time forward to ``timestamp`` (never backwards)."""
        return self.advance(max(0.0, timestamp - self._now))

    def next_deadline(self) -> float | None:
        """The earliest deadline anyone sleeps until, so a driver can jump straight to it."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    def _wake_due(self) -> None:
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
