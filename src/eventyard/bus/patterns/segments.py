"""Lookup structures of a ``FieldIndex`` whose cost does not grow with the entries they hold.

- ``Affixes``: texts by length, answering "which of these does the value start (or end) with" in
  one dict lookup per distinct length;
- ``Segments``: closed integer ranges, answering "which ranges hold this point" by one bisect into
  elementary segments precomputed (lazily, after a change) with the states active in each.
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
    """Closed integer ranges; ``states(point)`` finds all ranges holding a point by one bisect."""

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

    def states(self, point: int) -> tuple[Item, ...]:
        """The items of every range holding ``point``, each once (none when no range was added)."""
        if self._dirty:
            self._rebuild()
        return self._segments[bisect_right(self._bounds, point) - 1]


def doubled(low: int, low_open: bool, high: int, high_open: bool) -> tuple[int, int]:
    """A numeric range as a closed range of doubled bounds (``> x`` starts at ``2x + 1``)."""
    return 2 * low + (1 if low_open else 0), 2 * high - (1 if high_open else 0)
