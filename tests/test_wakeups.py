"""Wake-ups (``eventyard.wakeups``): what long polls, SubscribeToShard and GetActivityTask sleep on."""

from __future__ import annotations

import asyncio

from eventyard.clock import VirtualClock
from eventyard.wakeups import Wakeups, wait_or_timeout


async def test_a_notify_wakes_every_waiter_of_its_key_and_no_other() -> None:
    clock = VirtualClock(start=1000.0)
    wakeups: Wakeups[str] = Wakeups()
    first, second, other = wakeups.arm("a"), wakeups.arm("a"), wakeups.arm("b")
    waiting = [asyncio.ensure_future(wait_or_timeout(clock, f, 1060.0)) for f in (first, second, other)]
    await asyncio.sleep(0)
    wakeups.notify("a")
    await asyncio.wait(waiting[:2], timeout=1)
    assert [w.done() for w in waiting] == [True, True, False]
    assert (wakeups.waiting_on("a"), wakeups.waiting_on("b")) == (0, 1)
    clock.advance(60)  # the deadline, on the clock: the last waiter gives up
    await asyncio.wait_for(waiting[2], timeout=1)
    wakeups.disarm("b", other)
    assert other.cancelled() and wakeups.waiting_on("b") == 0


async def test_a_notify_between_arming_and_waiting_is_not_lost() -> None:
    clock = VirtualClock(start=0.0)
    wakeups: Wakeups[int] = Wakeups()
    armed = wakeups.arm(7)
    wakeups.notify(7)  # a commit lands before the waiter sleeps
    await asyncio.wait_for(wait_or_timeout(clock, armed, 3600.0), timeout=1)
    assert armed.done() and not armed.cancelled()
    assert clock.now() == 0.0  # woken, not timed out
