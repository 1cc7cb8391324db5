"""Lookup structures of a ``FieldIndex`` whose cost does not grow with the entries they hold.

- ``Affixes``: texts by length, answering "which of these does the value start (or end) with" in
  one dict lookup per distinct length;
- ``Segments``: closed integer ranges, answering "which ranges hold this point" by one bisect into
  elementary segments precomputed (lazily, after a change) with the states active in each;
- ``Blocks``: address ranges cut into aligned blocks (CIDR blocks), answering "which ranges hold this
  address" by one dict lookup per block size in use (a handful, at most the address width).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any

Item = Any  # what an entry leads to: a state, or (matcher, state) when candidates need a final check


class Affixes:
    """Texts by length, each with the items it leads to."""

    __slots__ = ("by_length",)

    def __init__(self) -> None:
        self.by_length: dict[int, dict[str, list[Item]]] = {}

    def __bool__(self) -> bool:
        return bool(self.by_length)

    def add(self, text: str, item: Item) -> None:
        self.by_length.setdefault(len(text), {}).setdefault(text, []).append(item)

    def remove(self, text: str, item: Item) -> None:
        table = self.by_length[len(text)]
        table[text].remove(item)
        if not table[text]:
            del table[text]
            if not table:
                del self.by_length[len(text)]

    def starting(self, value: str, found: list[Item]) -> None:
        """Append the items of every text ``value`` starts with."""
        size = len(value)
        for length, table in self.by_length.items():
            if length <= size:
                hit = table.get(value[:length])
                if hit:
                    found.extend(hit)

    def lookup_starting(self, value: object) -> list[Item] | None:
        """The items of every text a string ``value`` starts with (None for other values)."""
        if type(value) is not str:
            return None
        found: list[Item] = []
        self.starting(value, found)
        return found

    def lookup_ending(self, value: object) -> list[Item] | None:
        """The items of every text a string ``value`` ends with (None for other values)."""
        if type(value) is not str:
            return None
        found: list[Item] = []
        self.ending(value, found)
        return found

    def ending(self, value: str, found: list[Item]) -> None:
        """Append the items of every text ``value`` ends with."""
        size = len(value)
        for length, table in self.by_length.items():
            if length <= size:
                hit = table.get(value[size - length :])
                if hit:
                    found.extend(hit)


class Segments:
    """Closed ranges of doubled numbers (see ``doubled``): the ranges holding a number are found by one
    bisect (``lookup_doubled``)."""

    __slots__ = ("_bounds", "_dirty", "_segments", "ranges")

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int, Item]] = []
        self._dirty = False
        self._bounds: list[float] = [-math.inf]  # starts with -inf, so every point falls in some segment
        self._segments: list[tuple[Item, ...]] = [()]

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def add(self, low: int, high: int, item: Item) -> None:
        self.ranges.append((low, high, item))
        self._dirty = True

    def remove(self, low: int, high: int, item: Item) -> None:
        self.ranges.remove((low, high, item))
        self._dirty = True

    def _rebuild(self) -> None:
        starts: dict[int, list[Item]] = {}
        ends: dict[int, list[Item]] = {}
        for low, high, item in self.ranges:
            starts.setdefault(low, []).append(item)
            ends.setdefault(high + 1, []).append(item)
        bounds = sorted(set(starts) | set(ends))
        active: dict[Item, int] = {}
        segments: list[tuple[Item, ...]] = [()]  # below every range: the sentinel bound -inf leads here
        for bound in bounds:
            for item in ends.get(bound, ()):
                active[item] -= 1
                if not active[item]:
                    del active[item]
            for item in starts.get(bound, ()):
                active[item] = active.get(item, 0) + 1
            segments.append(tuple(active))
        self._bounds, self._segments, self._dirty = [-math.inf, *bounds], segments, False

    def extend_doubled(self, key: int, found: list[Item]) -> None:
        """Append the items of every range holding the number whose comparable form is ``key``."""
        if self._dirty:
            self._rebuild()
        found.extend(self._segments[bisect_right(self._bounds, 2 * key) - 1])

    def lookup_doubled(self, key: object) -> tuple[Item, ...] | None:
        """The items of every range holding the number whose comparable form is ``key`` (None for others)."""
        if type(key) is not int:
            return None
        if self._dirty:
            self._rebuild()
        return self._segments[bisect_right(self._bounds, 2 * key) - 1]

    def reach_doubled(self, keys: list) -> set[Item]:
        """The items of every range holding one of the numbers among ``keys`` (other keys are ignored)."""
        if self._dirty:
            self._rebuild()
        bounds, segments = self._bounds, self._segments
        return {item for key in keys if type(key) is int for item in segments[bisect_right(bounds, 2 * key) - 1]}


def doubled(low: int, low_open: bool, high: int, high_open: bool) -> tuple[int, int]:
    """A numeric range as a closed range of doubled bounds (``> x`` starts at ``2x + 1``)."""
    return 2 * low + (1 if low_open else 0), 2 * high - (1 if high_open else 0)


class Blocks:
    """Address ranges, each cut into the aligned blocks that tile it; ``states(address)`` finds the
    ranges holding an address by one dict lookup per block size in use.

    A CIDR block is one aligned block, so rules on the usual /8, /16 and /24 blocks cost three
    lookups whatever their number. A range that holds an address holds it in exactly one of its
    blocks, so an item appears once per range that holds the address.
    """

    __slots__ = ("by_shift",)

    def __init__(self) -> None:
        # block size as a shift (a block of 2**shift addresses) -> {address >> shift: items}
        self.by_shift: dict[int, dict[int, list[Item]]] = {}

    def __bool__(self) -> bool:
        return bool(self.by_shift)

    def add(self, low: int, high: int, item: Item) -> None:
        for shift, prefix in tiles(low, high):
            self.by_shift.setdefault(shift, {}).setdefault(prefix, []).append(item)

    def remove(self, low: int, high: int, item: Item) -> None:
        for shift, prefix in tiles(low, high):
            table = self.by_shift[shift]
            table[prefix].remove(item)
            if not table[prefix]:
                del table[prefix]
                if not table:
                    del self.by_shift[shift]

    def states(self, address: int) -> list[Item]:
        found: list[Item] = []
        for shift, table in self.by_shift.items():
            hit = table.get(address >> shift)
            if hit:
                found.extend(hit)
        return found


def tiles(low: int, high: int) -> list[tuple[int, int]]:
    """The aligned blocks, as (shift, low >> shift), that exactly cover the range [low, high]."""
    blocks = []
    while low <= high:
        fits = (high - low + 1).bit_length() - 1  # the largest block that fits in what is left
        aligned = (low & -low).bit_length() - 1 if low else fits  # the largest block starting at low
        shift = min(fits, aligned)
        blocks.append((shift, low >> shift))
        low += 1 << shift
    return blocks
