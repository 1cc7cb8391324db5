"""The virtual clock: time moves only when told, sleepers wake in deadline order."""

from __future__ import annotations

import asyncio

import pytest

from eventyard.clock import VirtualClock, WallClock


async def test_sleepers_wake_when_time_is_advanced_past_their_deadline() -> None:
    clock = VirtualClock(start=1000.0)
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    tasks = [asyncio.create_task(sleeper("day", 86400)), asyncio.create_task(sleeper("minute", 60))]
    await asyncio.sleep(0)
    assert clock.next_deadline() == 1060.0
    clock.advance(61)
    await asyncio.sleep(0)
    assert woke == ["minute"]
    clock.advance(86400)
    await asyncio.gather(*tasks)
    assert woke == ["minute", "day"]
    assert clock.now() == 1000.0 + 61 + 86400


async def test_auto_advance_jumps_straight_to_the_deadline() -> None:
    clock = VirtualClock(start=0.0, auto_advance=True)
    await asyncio.wait_for(clock.sleep(365 * 86400), timeout=1)
    assert clock.now() == 365 * 86400


def test_virtual_clock_never_goes_backwards() -> None:
    clock = VirtualClock(start=50.0)
    with pytest.raises(ValueError):
        clock.advance(-1)
    assert clock.set(10.0) == 50.0


async def test_wall_clock_sleeps_for_real() -> None:
    clock = WallClock()
    before = clock.now()
    await clock.sleep(0.01)
    assert clock.now() - before >= 0.009
