"""The checked, immutable form of an event pattern, shared by both matchers.

A pattern is a disjunction of *branches* (``$or`` multiplied out, as event-ruler does); a branch is a
conjunction of *conditions*, one per flattened field path (``detail.state``); a condition holds the
*matchers* of that field, any one of which may match a leaf value of the event. Each matcher
answers ``accepts(key)`` for one leaf key (see ``values``), except ``Exists``, which is about the
field as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from eventyard.bus.patterns.values import IpAddress, LeafKey, event_ip


class Matcher:
    """One alternative of a field: ``accepts`` says whether it holds for one leaf key."""

    __slots__ = ()

    def accepts(self, key: LeafKey) -> bool:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Exact(Matcher):
    """Equal to a string, number, ``true``, ``false`` or ``null`` (``""`` included)."""

    key: LeafKey

    def accepts(self, key: LeafKey) -> bool:
        return type(key) is type(self.key) and key == self.key


@dataclass(frozen=True, slots=True)
class Prefix(Matcher):
    """A string starting with ``text``; ``ignore_case`` compares lower-cased (``text`` is stored lowered)."""

    text: str
    ignore_case: bool = False

    def accepts(self, key: LeafKey) -> bool:
        if type(key) is not str:
            return False
        return (key.lower() if self.ignore_case else key).startswith(self.text)


@dataclass(frozen=True, slots=True)
class Suffix(Matcher):
    """A string ending with ``text``; ``ignore_case`` compares lower-cased (``text`` is stored lowered)."""

    text: str
    ignore_case: bool = False

    def accepts(self, key: LeafKey) -> bool:
        if type(key) is not str:
            return False
        return (key.lower() if self.ignore_case else key).endswith(self.text)


@dataclass(frozen=True, slots=True)
class EqualsIgnoreCase(Matcher):
    """A string equal to ``text`` regardless of case (``text`` is stored lowered)."""

    text: str

    def accepts(self, key: LeafKey) -> bool:
        return type(key) is str and key.lower() == self.text


@dataclass(frozen=True, slots=True)
class Wildcard(Matcher):
    """A string matching ``text`` where ``*`` stands for any run of characters (``\\*`` and ``\\\\`` escape).

    ``parts`` are the literal pieces between the wildcards: ``a*b*c`` -> ("a", "b", "c").
    """

    text: str
    parts: tuple[str, ...]
    regex: re.Pattern[str] = field(compare=False, hash=False, repr=False)

    def accepts(self, key: LeafKey) -> bool:
        return type(key) is str and self.regex.fullmatch(key) is not None


@dataclass(frozen=True, slots=True)
class AnythingBut(Matcher):
    """Any leaf (null, booleans and other types included) whose key is not among ``keys``."""

    keys: frozenset[LeafKey]

    def accepts(self, key: LeafKey) -> bool:
        return not any(type(key) is type(excluded) and key == excluded for excluded in self.keys)


@dataclass(frozen=True, slots=True)
class AnythingButPrefix(Matcher):
    """Any leaf except strings starting with one of ``texts`` (never empty)."""

    texts: frozenset[str]

    def accepts(self, key: LeafKey) -> bool:
        return type(key) is not str or not any(key.startswith(text) for text in self.texts)


@dataclass(frozen=True, slots=True)
class AnythingButSuffix(Matcher):
    """Any leaf except strings ending with one of ``texts`` (never empty)."""

    texts: frozenset[str]

    def accepts(self, key: LeafKey) -> bool:
        return type(key) is not str or not any(key.endswith(text) for text in self.texts)


@dataclass(frozen=True, slots=True)
class AnythingButIgnoreCase(Matcher):
    """Any leaf except strings equal to one of ``texts`` regardless of case (stored lowered)."""

    texts: frozenset[str]

    def accepts(self, key: LeafKey) -> bool:
        return type(key) is not str or key.lower() not in self.texts


@dataclass(frozen=True, slots=True)
class AnythingButWildcard(Matcher):
    """Any leaf except strings matching one of ``wildcards``."""

    wildcards: frozenset[Wildcard]

    def accepts(self, key: LeafKey) -> bool:
        return type(key) is not str or not any(w.accepts(key) for w in self.wildcards)


@dataclass(frozen=True, slots=True)
class Numeric(Matcher):
    """A number in a range of comparable numbers (scaled by 10**6; ``=`` is a closed one-point range)."""

    low: int
    low_open: bool
    high: int
    high_open: bool

    def accepts(self, key: LeafKey) -> bool:
        if type(key) is not int:
            return False
        if key < self.low or (self.low_open and key == self.low):
            return False
        return not (key > self.high or (self.high_open and key == self.high))


@dataclass(frozen=True, slots=True)
class IpRange(Matcher):
    """A string that is an IP address between ``low`` and ``high`` inclusive (a CIDR block or one address)."""

    low: IpAddress
    high: IpAddress

    def accepts(self, key: LeafKey) -> bool:
        if type(key) is not str:
            return False
        address = event_ip(key)
        return address is not None and address[0] == self.low.bits and self.low.value <= address[1] <= self.high.value


@dataclass(frozen=True, slots=True)
class Exists(Matcher):
    """The field has a leaf value (``present``), or has none (``not present``): about the field, not a value."""

    present: bool

    def accepts(self, key: LeafKey) -> bool:
        return self.present


@dataclass(frozen=True, slots=True)
class Condition:
    """One field of a branch: its flattened path and the matchers, any of which may hold."""

    path: str
    matchers: tuple[Matcher, ...]

    @property
    def absent_ok(self) -> bool:
        """Whether the condition holds when the event has no leaf at ``path``."""
        return any(type(m) is Exists and not m.present for m in self.matchers)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A checked event pattern: it matches when any branch has all its conditions satisfied.

    ``branches`` are sorted by path inside and deduplicated; ``text`` is the pattern as given.
    """

    branches: tuple[tuple[Condition, ...], ...]
    text: str = field(compare=False)

    def paths(self) -> frozenset[str]:
        """Every field path the pattern looks at."""
        return frozenset(c.path for branch in self.branches for c in branch)
