"""The value transitions of one field at one state of the ``RuleMachine``.

``FieldIndex.targets(key)`` returns the next states whose matcher accepts a leaf key, looking each
kind of matcher up by a structure whose cost does not depend on how many matchers it holds:

- exact values and equals-ignore-case: one dict lookup;
- prefixes and suffixes (plain or ignoring case): one dict lookup per distinct prefix length;
- wildcards: bucketed by their literal head (a prefix lookup) or, for a leading ``*``, by their
  literal tail; only the few candidates found are run as regular expressions;
- numeric ranges and IP ranges: a bisect into precomputed elementary segments (rebuilt lazily for
  this field only when a range is added or removed);
- ``exists: true``: every leaf; ``anything-but``: every leaf not excluded, so its cost is the number
  of rules it lets through, which are matches anyway.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from eventyard.bus.patterns.model import (
    AnythingBut,
    AnythingButIgnoreCase,
    AnythingButPrefix,
    AnythingButSuffix,
    AnythingButWildcard,
    EqualsIgnoreCase,
    Exact,
    Exists,
    IpRange,
    Matcher,
    Numeric,
    Prefix,
    Suffix,
    Wildcard,
)
from eventyard.bus.patterns.values import LeafKey, event_ip

State = Any  # machine.State; kept loose to avoid an import cycle


class _Affixes:
    """Strings by length, for "does the value start (or end) with any of these" in len-many lookups."""

    __slots__ = ("by_length",)

    def __init__(self) -> None:
        self.by_length: dict[int, dict[str, list[tuple[Any, State]]]] = {}

    def add(self, text: str, entry: tuple[Any, State]) -> None:
        self.by_length.setdefault(len(text), {}).setdefault(text, []).append(entry)

    def remove(self, text: str, entry: tuple[Any, State]) -> None:
        table = self.by_length[len(text)]
        table[text].remove(entry)
        if not table[text]:
            del table[text]
            if not table:
                del self.by_length[len(text)]

    def starting(self, value: str) -> list[tuple[Any, State]]:
        found: list[tuple[Any, State]] = []
        for length, table in self.by_length.items():
            if length <= len(value):
                hit = table.get(value[:length])
                if hit:
                    found.extend(hit)
        return found

    def ending(self, value: str) -> list[tuple[Any, State]]:
        found: list[tuple[Any, State]] = []
        size = len(value)
        for length, table in self.by_length.items():
            if length <= size:
                hit = table.get(value[size - length :])
                if hit:
                    found.extend(hit)
        return found


class _Segments:
    """Closed integer ranges; ``states(point)`` finds all ranges holding a point by one bisect.

    Bounds are doubled so that open bounds become closed ones (``> x`` starts at ``2x + 1``).
    """

    __slots__ = ("_bounds", "_dirty", "_segments", "ranges")

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int, State]] = []
        self._dirty = False
        self._bounds: list[int] = []
        self._segments: list[tuple[State, ...]] = []

    def add(self, low: int, high: int, state: State) -> None:
        self.ranges.append((low, high, state))
        self._dirty = True

    def remove(self, low: int, high: int, state: State) -> None:
        self.ranges.remove((low, high, state))
        self._dirty = True

    def _rebuild(self) -> None:
        starts: dict[int, list[State]] = {}
        ends: dict[int, list[State]] = {}
        for low, high, state in self.ranges:
            starts.setdefault(low, []).append(state)
            ends.setdefault(high + 1, []).append(state)
        bounds = sorted(set(starts) | set(ends))
        active: dict[State, int] = {}
        segments: list[tuple[State, ...]] = []
        for bound in bounds:
            for state in ends.get(bound, ()):
                active[state] -= 1
                if not active[state]:
                    del active[state]
            for state in starts.get(bound, ()):
                active[state] = active.get(state, 0) + 1
            segments.append(tuple(active))
        self._bounds, self._segments, self._dirty = bounds, segments, False

    def states(self, point: int) -> tuple[State, ...]:
        if self._dirty:
            self._rebuild()
        at = bisect_right(self._bounds, point) - 1
        return self._segments[at] if at >= 0 else ()


def _doubled(low: int, low_open: bool, high: int, high_open: bool) -> tuple[int, int]:
    return 2 * low + (1 if low_open else 0), 2 * high - (1 if high_open else 0)


class FieldIndex:
    """All value matchers of one field at one state, each leading to a next state."""

    __slots__ = (
        "any_leaf",
        "anything_but",
        "count",
        "exact",
        "ignore_case",
        "ip4",
        "ip6",
        "non_exact",
        "numeric",
        "only_exact",
        "prefix",
        "prefix_ignore_case",
        "suffix",
        "suffix_ignore_case",
        "wildcard_head",
        "wildcard_scan",
        "wildcard_tail",
    )

    def __init__(self) -> None:
        self.count = 0
        self.non_exact = 0
        self.only_exact = True  # every matcher here is an exact value: one dict lookup answers
        self.exact: dict[LeafKey, list[State]] = {}
        self.ignore_case: dict[str, list[State]] = {}
        self.prefix = _Affixes()
        self.prefix_ignore_case = _Affixes()
        self.suffix = _Affixes()
        self.suffix_ignore_case = _Affixes()
        self.wildcard_head = _Affixes()
        self.wildcard_tail = _Affixes()
        self.wildcard_scan: list[tuple[Wildcard, State]] = []
        self.numeric = _Segments()
        self.ip4 = _Segments()
        self.ip6 = _Segments()
        self.any_leaf: list[State] = []
        self.anything_but: list[tuple[Matcher, State]] = []

    # --- building -------------------------------------------------------------------------------

    def add(self, matcher: Matcher, state: State) -> None:
        self.count += 1
        self.non_exact += type(matcher) is not Exact
        self.only_exact = not self.non_exact
        self._change(matcher, state, adding=True)

    def remove(self, matcher: Matcher, state: State) -> None:
        self.count -= 1
        self.non_exact -= type(matcher) is not Exact
        self.only_exact = not self.non_exact
        self._change(matcher, state, adding=False)

    def _change(self, matcher: Matcher, state: State, adding: bool) -> None:
        kind = type(matcher)
        if kind is Exact:
            _edit_list(self.exact, matcher.key, state, adding)  # type: ignore[attr-defined]
        elif kind is EqualsIgnoreCase:
            _edit_list(self.ignore_case, matcher.text, state, adding)  # type: ignore[attr-defined]
        elif kind is Prefix or kind is Suffix:
            table = {
                (Prefix, False): self.prefix,
                (Prefix, True): self.prefix_ignore_case,
                (Suffix, False): self.suffix,
                (Suffix, True): self.suffix_ignore_case,
            }[(kind, matcher.ignore_case)]  # type: ignore[attr-defined]
            (table.add if adding else table.remove)(matcher.text, (matcher, state))  # type: ignore[attr-defined]
        elif kind is Wildcard:
            self._change_wildcard(matcher, state, adding)  # type: ignore[arg-type]
        elif kind is Numeric:
            bounds = _doubled(matcher.low, matcher.low_open, matcher.high, matcher.high_open)  # type: ignore[attr-defined]
            (self.numeric.add if adding else self.numeric.remove)(*bounds, state)
        elif kind is IpRange:
            segments = self.ip4 if matcher.low.bits == 32 else self.ip6  # type: ignore[attr-defined]
            bounds = (matcher.low.value, matcher.high.value)  # type: ignore[attr-defined]
            (segments.add if adding else segments.remove)(*bounds, state)
        elif kind is Exists:
            if matcher.present:  # type: ignore[attr-defined]
                _edit(self.any_leaf, state, adding)
            # exists:false is a transition on absence, kept by the state, not here
        elif kind in (AnythingBut, AnythingButPrefix, AnythingButSuffix, AnythingButIgnoreCase, AnythingButWildcard):
            _edit(self.anything_but, (matcher, state), adding)
        else:  # pragma: no cover - every matcher kind is listed above
            raise TypeError(f"unknown matcher {matcher!r}")

    def _change_wildcard(self, wildcard: Wildcard, state: State, adding: bool) -> None:
        head, tail = wildcard.parts[0], wildcard.parts[-1]
        if len(wildcard.parts) == 1 or head:
            table, text = self.wildcard_head, head
        elif tail:
            table, text = self.wildcard_tail, tail
        else:
            _edit(self.wildcard_scan, (wildcard, state), adding)
            return
        (table.add if adding else table.remove)(text, (wildcard, state))

    # --- matching -------------------------------------------------------------------------------

    def targets(self, key: LeafKey) -> list[State]:
        """The next states of every matcher here that accepts ``key``."""
        found: list[State] = []
        hit = self.exact.get(key)
        if hit:
            found.extend(hit)
        if type(key) is str:
            self._string_targets(key, found)
        elif type(key) is int and self.numeric.ranges:
            found.extend(self.numeric.states(2 * key))
        if self.any_leaf:
            found.extend(self.any_leaf)
        if self.anything_but:
            found.extend(state for matcher, state in self.anything_but if matcher.accepts(key))
        return found

    def _string_targets(self, key: str, found: list[State]) -> None:
        lowered = None
        if self.ignore_case:
            lowered = key.lower()
            hit = self.ignore_case.get(lowered)
            if hit:
                found.extend(hit)
        if self.prefix.by_length:
            found.extend(state for _, state in self.prefix.starting(key))
        if self.suffix.by_length:
            found.extend(state for _, state in self.suffix.ending(key))
        if self.prefix_ignore_case.by_length:
            lowered = key.lower() if lowered is None else lowered
            found.extend(state for _, state in self.prefix_ignore_case.starting(lowered))
        if self.suffix_ignore_case.by_length:
            lowered = key.lower() if lowered is None else lowered
            found.extend(state for _, state in self.suffix_ignore_case.ending(lowered))
        if self.wildcard_head.by_length:
            found.extend(state for wildcard, state in self.wildcard_head.starting(key) if wildcard.accepts(key))
        if self.wildcard_tail.by_length:
            found.extend(state for wildcard, state in self.wildcard_tail.ending(key) if wildcard.accepts(key))
        if self.wildcard_scan:
            found.extend(state for wildcard, state in self.wildcard_scan if wildcard.accepts(key))
        if self.ip4.ranges or self.ip6.ranges:
            address = event_ip(key)
            if address is not None:
                segments = self.ip4 if address.bits == 32 else self.ip6
                if segments.ranges:
                    found.extend(segments.states(address.value))


def _edit(entries: list, entry: object, adding: bool) -> None:
    if adding:
        entries.append(entry)
    else:
        entries.remove(entry)


def _edit_list(table: dict, key: object, state: State, adding: bool) -> None:
    if adding:
        table.setdefault(key, []).append(state)
    else:
        table[key].remove(state)
        if not table[key]:
            del table[key]
