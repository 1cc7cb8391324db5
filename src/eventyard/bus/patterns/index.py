"""The value transitions of one field at one state of the ``RuleMachine``.

``FieldIndex.targets(key)`` returns the next states whose matcher accepts a leaf key, looking each
kind of matcher up by a structure whose cost does not depend on how many matchers it holds:

- exact values and equals-ignore-case: one dict lookup;
- prefixes and suffixes (plain or ignoring case): one dict lookup per distinct prefix length;
- wildcards: bucketed by their literal head (a prefix lookup) or, for a leading ``*``, by their
  literal tail; only the few candidates found are run as regular expressions;
- numeric ranges: a bisect into precomputed elementary segments (rebuilt lazily for this field
  only when a range is added or removed);
- IP ranges (cidr): a dict lookup per CIDR block size in use (``segments.Blocks``);
- ``exists: true``: every leaf; ``anything-but`` (every form): all its states minus those whose
  exclusions the key hits, found by the same lookups, so its cost is the number of states it lets
  through, which are matches anyway.

Only the structures that hold something are consulted: after each change the index lists, per kind
of key (string, comparable number, other), the lookups that apply (``_choose_probes``), so a field
with only exact values and prefixes costs a dict lookup and a prefix lookup, nothing more. It also
picks ``lookup``, the cheapest call answering ``targets`` for one key (``dict.get`` itself when the
field holds exact values only, one structure's own lookup when it holds one kind), and ``reach`` for
several keys at once (an array in the event). Structures a field does not use are shared empty ones
until it does, which keeps a machine of 10,000 rules small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from eventyard.bus.patterns.exclusions import Exclusions
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
from eventyard.bus.patterns.segments import Affixes, Blocks, Segments, doubled
from eventyard.bus.patterns.values import LeafKey, event_ip

State = Any  # machine.State; kept loose to avoid an import cycle
Probe = Callable[[Any, list], None]  # (key, found): appends the states accepting key
Lookup = Callable[[LeafKey], "list[State] | tuple[State, ...] | None"]  # the states accepting one key
# Event strings already read as addresses (or found not to be one): sources repeat their addresses,
# and one event's address is often looked up at several states. Bounded; shared by every index.
_ADDRESSES: Final[dict[str, tuple[int, int] | None]] = {}
_ADDRESS_CACHE_SIZE: Final = 4096
_UNKNOWN: Final[Any] = object()
_EMPTY: Final[dict[str, Any]] = {  # never changed: see FieldIndex.__init__
    "ignore_case": {},
    "prefix": Affixes(),
    "prefix_ignore_case": Affixes(),
    "suffix": Affixes(),
    "suffix_ignore_case": Affixes(),
    "wildcard_head": Affixes(),
    "wildcard_tail": Affixes(),
    "wildcard_scan": [],
    "numeric": Segments(),
    "ip4": Blocks(),
    "ip6": Blocks(),
    "any_leaf": [],
    "anything_but": Exclusions(),
}
_ANYTHING_BUT = (AnythingBut, AnythingButPrefix, AnythingButSuffix, AnythingButIgnoreCase, AnythingButWildcard)


class FieldIndex:
    """All value matchers of one field at one state, each leading to a next state.

    A state appears once per matcher of its condition; the machine removes duplicate matchers, so a
    state appears at most once per ``targets(key)`` when its condition has a single matcher.
    """

    __slots__ = (
        "any_leaf",
        "anything_but",
        "conditions",
        "count",
        "exact",
        "ignore_case",
        "ip4",
        "ip6",
        "lookup",
        "numeric",
        "only_exact",
        "prefix",
        "prefix_ignore_case",
        "probes_int",
        "probes_other",
        "probes_str",
        "reach",
        "repeats",
        "suffix",
        "suffix_ignore_case",
        "wildcard_head",
        "wildcard_scan",
        "wildcard_tail",
    )

    def __init__(self) -> None:
        self.count = 0
        self.conditions = 0  # conditions (so distinct next states) here; kept by the machine
        self.repeats = 0  # states here whose condition has several matchers (targets may list them twice)
        self.only_exact = True  # every matcher here is an exact value: one dict lookup answers
        self.exact: dict[LeafKey, list[State]] = {}
        # Most fields of most states hold one or two kinds of matcher: the others share one empty
        # structure per kind (``_EMPTY``) until a matcher of theirs arrives (see ``_owned``).
        self.ignore_case: dict[str, list[State]] = _EMPTY["ignore_case"]
        self.prefix: Affixes = _EMPTY["prefix"]
        self.prefix_ignore_case: Affixes = _EMPTY["prefix_ignore_case"]
        self.suffix: Affixes = _EMPTY["suffix"]
        self.suffix_ignore_case: Affixes = _EMPTY["suffix_ignore_case"]
        self.wildcard_head: Affixes = _EMPTY["wildcard_head"]
        self.wildcard_tail: Affixes = _EMPTY["wildcard_tail"]
        self.wildcard_scan: list[tuple[Wildcard, State]] = _EMPTY["wildcard_scan"]
        self.numeric: Segments = _EMPTY["numeric"]
        self.ip4: Blocks = _EMPTY["ip4"]
        self.ip6: Blocks = _EMPTY["ip6"]
        self.any_leaf: list[State] = _EMPTY["any_leaf"]
        self.anything_but: Exclusions = _EMPTY["anything_but"]
        self.probes_str: tuple[Probe, ...] = ()
        self.probes_int: tuple[Probe, ...] = ()
        self.probes_other: tuple[Probe, ...] = ()
        # the fastest way to ``targets`` for what the index holds: a plain dict lookup when it can be
        self.lookup: Lookup = self.exact.get
        self.reach: Callable[[list], set[State]] = self._reach_exact  # ``targets`` of several keys at once

    # --- building -------------------------------------------------------------------------------

    def add(self, matcher: Matcher, state: State) -> None:
        self.count += 1
        self._change(matcher, state, adding=True)

    def remove(self, matcher: Matcher, state: State) -> None:
        self.count -= 1
        self._change(matcher, state, adding=False)

    def _change(self, matcher: Matcher, state: State, adding: bool) -> None:
        kind = type(matcher)
        if kind is Exact:
            _edit_list(self.exact, matcher.key, state, adding)  # type: ignore[attr-defined]
        elif kind is EqualsIgnoreCase:
            _edit_list(self._owned("ignore_case"), matcher.text, state, adding)  # type: ignore[attr-defined]
        elif kind is Prefix or kind is Suffix:
            name = ("prefix" if kind is Prefix else "suffix") + ("_ignore_case" if matcher.ignore_case else "")  # type: ignore[attr-defined]
            table = self._owned(name)
            (table.add if adding else table.remove)(matcher.text, state)  # type: ignore[attr-defined]
        elif kind is Wildcard:
            self._change_wildcard(matcher, state, adding)  # type: ignore[arg-type]
        elif kind is Numeric:
            bounds = doubled(matcher.low, matcher.low_open, matcher.high, matcher.high_open)  # type: ignore[attr-defined]
            segments = self._owned("numeric")
            (segments.add if adding else segments.remove)(*bounds, state)
        elif kind is IpRange:
            blocks = self._owned("ip4" if matcher.low.bits == 32 else "ip6")  # type: ignore[attr-defined]
            bounds = (matcher.low.value, matcher.high.value)  # type: ignore[attr-defined]
            (blocks.add if adding else blocks.remove)(*bounds, state)
        elif kind is Exists:
            if matcher.present:  # type: ignore[attr-defined]
                _edit(self._owned("any_leaf"), state, adding)
            # exists:false is a transition on absence, kept by the state, not here
        elif kind in _ANYTHING_BUT:
            exclusions = self._owned("anything_but")
            (exclusions.add if adding else exclusions.remove)(matcher, state)
        else:  # pragma: no cover - every matcher kind is listed above
            raise TypeError(f"unknown matcher {matcher!r}")
        self._choose_probes()

    def _change_wildcard(self, wildcard: Wildcard, state: State, adding: bool) -> None:
        head, tail = wildcard.parts[0], wildcard.parts[-1]
        if len(wildcard.parts) == 1 or head:
            table, text = self._owned("wildcard_head"), head
        elif tail:
            table, text = self._owned("wildcard_tail"), tail
        else:
            _edit(self._owned("wildcard_scan"), (wildcard, state), adding)
            return
        (table.add if adding else table.remove)(text, (wildcard, state))

    def _owned(self, name: str) -> Any:
        """The structure ``name`` of this index, replacing the shared empty one before its first change."""
        structure = getattr(self, name)
        if structure is _EMPTY[name]:
            structure = type(structure)()
            setattr(self, name, structure)
        return structure

    def _choose_probes(self) -> None:
        """List the lookups that can find something, per kind of key (see the module doc)."""
        common: list[Probe] = []
        if self.any_leaf:
            common.append(self._any_leaf)
        if self.anything_but:
            common.append(self.anything_but.accepting)
        strings: list[Probe] = []
        if self.ignore_case:
            strings.append(self._ignore_case)
        if self.prefix:
            strings.append(self.prefix.starting)
        if self.suffix:
            strings.append(self.suffix.ending)
        if self.prefix_ignore_case:
            strings.append(self._prefix_ignore_case)
        if self.suffix_ignore_case:
            strings.append(self._suffix_ignore_case)
        if self.wildcard_head or self.wildcard_tail or self.wildcard_scan:
            strings.append(self._wildcards)
        if self.ip4 or self.ip6:
            strings.append(self._ip)
        self.probes_str = (*strings, *common)
        self.probes_int = (self.numeric.extend_doubled, *common) if self.numeric else tuple(common)
        self.probes_other = tuple(common)
        self.only_exact = not (self.probes_str or self.probes_int)
        self.lookup = self._single_lookup() or self.targets
        if self.only_exact:
            self.reach = self._reach_exact
        elif not self.exact and not strings and not common:
            self.reach = self.numeric.reach_doubled
        else:
            self.reach = self._reach

    def _single_lookup(self) -> Lookup | None:
        """When the index holds one kind of matcher only, the lookup of that kind alone (one call, no probes)."""
        if self.only_exact:
            return self.exact.get
        if self.probes_other:
            return None
        if self.exact:
            if len(self.probes_str) != 1 or self.probes_int:
                return None
            if self.prefix:
                return self._exact_or_prefix
            if self.suffix:
                return self._exact_or_suffix
            return self._exact_or_string
        if not self.probes_str:
            return self.numeric.lookup_doubled if len(self.probes_int) == 1 else None
        if self.probes_int or len(self.probes_str) != 1:
            return None
        if self.prefix:
            return self.prefix.lookup_starting
        if self.suffix:
            return self.suffix.lookup_ending
        if self.ip4 or self.ip6:
            return self._ip_lookup
        if self.wildcard_head or self.wildcard_tail or self.wildcard_scan:
            return self._wildcard_lookup
        return self._string_lookup

    def _exact_or_prefix(self, key: LeafKey) -> list[State] | None:
        hit = self.exact.get(key)
        if type(key) is not str:
            return hit
        found = list(hit) if hit else []
        size = len(key)
        for length, table in self.prefix.by_length.items():
            if length <= size:
                more = table.get(key[:length])
                if more:
                    found.extend(more)
        return found

    def _exact_or_suffix(self, key: LeafKey) -> list[State] | None:
        hit = self.exact.get(key)
        if type(key) is not str:
            return hit
        found = list(hit) if hit else []
        size = len(key)
        for length, table in self.suffix.by_length.items():
            if length <= size:
                more = table.get(key[size - length :])
                if more:
                    found.extend(more)
        return found

    def _exact_or_string(self, key: LeafKey) -> list[State] | None:
        hit = self.exact.get(key)
        if type(key) is not str:
            return hit
        found = list(hit) if hit else []
        self.probes_str[0](key, found)
        return found

    def _string_lookup(self, key: LeafKey) -> list[State] | None:
        if type(key) is not str:
            return None
        found: list[State] = []
        self.probes_str[0](key, found)
        return found

    # --- matching -------------------------------------------------------------------------------

    def targets(self, key: LeafKey) -> list[State] | None:
        """The next states of every matcher here that accepts ``key`` (None or empty when none does).

        The list may be one the index holds: read it, never change it.
        """
        hit = self.exact.get(key)
        kind = type(key)
        probes = self.probes_str if kind is str else self.probes_int if kind is int else self.probes_other
        if not probes:
            return hit
        found = list(hit) if hit else []
        for probe in probes:
            probe(key, found)
        return found

    def _reach_exact(self, keys: list) -> set[State]:
        exact = self.exact
        return {state for key in keys if key in exact for state in exact[key]}

    def _reach(self, keys: list) -> set[State]:
        reached: set[State] = set()
        lookup = self.lookup
        for key in keys:
            hit = lookup(key)
            if hit:
                reached.update(hit)
        return reached

    def _any_leaf(self, key: LeafKey, found: list[State]) -> None:
        found.extend(self.any_leaf)

    def _ignore_case(self, key: str, found: list[State]) -> None:
        hit = self.ignore_case.get(key.lower())
        if hit:
            found.extend(hit)

    def _prefix_ignore_case(self, key: str, found: list[State]) -> None:
        self.prefix_ignore_case.starting(key.lower(), found)

    def _suffix_ignore_case(self, key: str, found: list[State]) -> None:
        self.suffix_ignore_case.ending(key.lower(), found)

    def _wildcards(self, key: str, found: list[State]) -> None:
        hit = self._wildcard_lookup(key)
        if hit:
            found.extend(hit)

    def _wildcard_lookup(self, key: LeafKey) -> list[State] | None:
        """The wildcards whose literal head (or tail) the key has, confirmed by their expressions."""
        if type(key) is not str:
            return None
        candidates: list[tuple[Wildcard, State]] = []
        size = len(key)
        for length, table in self.wildcard_head.by_length.items():
            if length <= size:
                hit = table.get(key[:length])
                if hit:
                    candidates.extend(hit)
        for length, table in self.wildcard_tail.by_length.items():
            if length <= size:
                hit = table.get(key[size - length :])
                if hit:
                    candidates.extend(hit)
        candidates.extend(self.wildcard_scan)
        return [state for wildcard, state in candidates if wildcard.regex.fullmatch(key) is not None]

    def _ip_lookup(self, key: LeafKey) -> list[State] | None:
        if type(key) is not str:
            return None
        address = _address(key)
        if address is None:
            return None
        bits, value = address
        return (self.ip4 if bits == 32 else self.ip6).states(value)

    def _ip(self, key: str, found: list[State]) -> None:
        address = _address(key)
        if address is not None:
            bits, value = address
            found.extend((self.ip4 if bits == 32 else self.ip6).states(value))


def _address(text: str) -> tuple[int, int] | None:
    """``values.event_ip``, remembered (see ``_ADDRESSES``)."""
    address = _ADDRESSES.get(text, _UNKNOWN)
    if address is _UNKNOWN:
        address = event_ip(text)
        if len(_ADDRESSES) >= _ADDRESS_CACHE_SIZE:
            _ADDRESSES.clear()
        _ADDRESSES[text] = address
    return address


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
