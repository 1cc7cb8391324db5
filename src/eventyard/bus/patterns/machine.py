"""The compiled matcher: every rule of a bus in one state machine. ``RuleMachine.match(event) -> set``.

This is event-ruler's approach, in Python. Each branch of a rule (its ``$or`` alternatives multiplied
out) is a chain of *steps*, one per field condition; chains share their common beginnings, so the
machine is a tree of states. Matching an event walks the tree from the root: at each reached state,
every field it has steps for is looked up among the event's leaves, and each leaf's value is looked
up in that field's ``FieldIndex`` (dict, prefix-length, bisect ...), which yields the next states.
A state where a branch ends names the rules it completes.

Why the cost per event does not grow with the number of rules: a state's transitions are found by
lookups, never by trying its rules one by one, and only states whose whole chain so far matched are
ever visited. Two choices keep that set small:

- steps are ordered most selective first (exact values before ranges, ranges before
  ``anything-but`` and ``exists``), so chains part early;
- events are flattened only along paths some rule uses (``source``, ``detail.x``), once per event.

Adding or removing a rule touches only its own chains: states are reference-counted and pruned when
no branch passes through them any more; only a changed field's range index is rebuilt, lazily.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from eventyard.bus.patterns.flatten import Membership
from eventyard.bus.patterns.index import FieldIndex
from eventyard.bus.patterns.model import (
    AnythingBut,
    AnythingButIgnoreCase,
    AnythingButPrefix,
    AnythingButSuffix,
    AnythingButWildcard,
    Condition,
    EqualsIgnoreCase,
    Exact,
    Exists,
    IpRange,
    Matcher,
    Numeric,
    Pattern,
)
from eventyard.bus.patterns.values import FIVE_BILLION, NULL, SCALE, LeafKey, leaf_key

RuleId = Hashable


class State:
    """A point in the machine: the steps that leave it and the rules whose branches end here."""

    __slots__ = ("absent", "children", "fields", "references", "rules")

    def __init__(self) -> None:
        self.fields: dict[str, FieldIndex] = {}  # value steps, by field path
        self.absent: dict[str, list[State]] = {}  # steps taken when the event has no leaf at a path
        self.children: dict[Condition, State] = {}
        self.rules: dict[RuleId, int] = {}  # rule -> number of its branches ending here
        self.references = 0  # branches passing through or ending here


_MISSING = object()


def _mark_deep(node: _Interest) -> bool:
    """Set ``deep`` on every node with grandchildren; returns whether ``node`` has children."""
    node.deep = False
    for child in node.children.values():
        if _mark_deep(child):
            node.deep = True
    return bool(node.children)


class _Interest:
    """The tree of event keys some rule looks at; flattening follows only these."""

    __slots__ = ("children", "deep", "path")

    def __init__(self) -> None:
        self.children: dict[str, _Interest] = {}
        self.path: str | None = None  # set when a rule's field ends here
        self.deep = False  # some child has children of its own (so a dotted event key could reach them)


def _selectivity(matcher: Matcher) -> int:
    kind = type(matcher)
    if kind is Exact or kind is EqualsIgnoreCase:
        return 0
    if kind is Numeric:
        return 0 if matcher.low == matcher.high else 1  # type: ignore[attr-defined]
    if kind is IpRange:
        return 0 if matcher.low == matcher.high else 1  # type: ignore[attr-defined]
    if kind in (AnythingBut, AnythingButPrefix, AnythingButSuffix, AnythingButIgnoreCase, AnythingButWildcard):
        return 3
    if kind is Exists:
        return 2 if matcher.present else 4  # type: ignore[attr-defined]
    return 1  # prefix, suffix, wildcard, ranges


def _step_order(condition: Condition) -> tuple[int, str]:
    return max(_selectivity(m) for m in condition.matchers), condition.path


class RuleMachine:
    """Many rules compiled into one matcher; ``match`` returns the ids of the rules an event matches.

    ``add`` replaces any rule already held under the same id (as PutRule does); ``remove`` of an
    unknown id does nothing. Not thread-safe: guard changes and matches with a lock if shared.
    """

    def __init__(self) -> None:
        self._root = State()
        self._chains: dict[RuleId, list[list[tuple[State, Condition]]]] = {}
        self._path_uses: dict[str, int] = {}
        self._interest = _Interest()

    def __len__(self) -> int:
        return len(self._chains)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._chains

    # --- changes --------------------------------------------------------------------------------

    def add(self, rule_id: RuleId, pattern: Pattern) -> None:
        """Compile ``pattern`` in under ``rule_id`` (replacing the rule's previous pattern)."""
        if rule_id in self._chains:
            self.remove(rule_id)
        chains = []
        for branch in pattern.branches:
            state = self._root
            chain: list[tuple[State, Condition]] = []
            for condition in sorted(branch, key=_step_order):
                state = self._step(state, condition)
                chain.append((state, condition))
            state.rules[rule_id] = state.rules.get(rule_id, 0) + 1
            chains.append(chain)
            for condition in branch:
                self._path_uses[condition.path] = self._path_uses.get(condition.path, 0) + 1
        self._chains[rule_id] = chains
        self._rebuild_interest()

    def remove(self, rule_id: RuleId) -> None:
        """Take the rule out, pruning the states only it used."""
        chains = self._chains.pop(rule_id, None)
        if chains is None:
            return
        for chain in chains:
            end = chain[-1][0]
            end.rules[rule_id] -= 1
            if not end.rules[rule_id]:
                del end.rules[rule_id]
            parents = [self._root] + [state for state, _ in chain[:-1]]
            for parent, (state, condition) in reversed(list(zip(parents, chain, strict=True))):
                state.references -= 1
                if not state.references:
                    self._unlink(parent, condition, state)
                uses = self._path_uses[condition.path] - 1
                if uses:
                    self._path_uses[condition.path] = uses
                else:
                    del self._path_uses[condition.path]
        self._rebuild_interest()

    def _step(self, parent: State, condition: Condition) -> State:
        child = parent.children.get(condition)
        if child is None:
            child = parent.children[condition] = State()
            for matcher in condition.matchers:
                if type(matcher) is Exists and not matcher.present:
                    parent.absent.setdefault(condition.path, []).append(child)
                else:
                    parent.fields.setdefault(condition.path, FieldIndex()).add(matcher, child)
        child.references += 1
        return child

    def _unlink(self, parent: State, condition: Condition, child: State) -> None:
        del parent.children[condition]
        for matcher in condition.matchers:
            if type(matcher) is Exists and not matcher.present:
                waiting = parent.absent[condition.path]
                waiting.remove(child)
                if not waiting:
                    del parent.absent[condition.path]
            else:
                index = parent.fields[condition.path]
                index.remove(matcher, child)
                if not index.count:
                    del parent.fields[condition.path]

    def _rebuild_interest(self) -> None:
        root = _Interest()
        for path in self._path_uses:
            node = root
            for key in path.split("."):
                node = node.children.setdefault(key, _Interest())
            node.path = path
        _mark_deep(root)
        self._interest = root

    # --- matching -------------------------------------------------------------------------------

    def match(self, event: dict) -> set[RuleId]:
        """The ids of every rule ``event`` (a parsed JSON object, envelope included) matches."""
        fields: dict[str, list[LeafKey]] = {}
        memberships: dict[str, list[Membership]] = {}
        _Flattener(fields, memberships).walk(event, self._interest, ())
        if memberships:
            return self._match_with_arrays(fields, memberships)
        matched: set[RuleId] = set()
        todo = [self._root]
        seen: set[State] = set()
        field_count = len(fields)
        while todo:
            state = todo.pop()
            if state.rules:
                matched.update(state.rules)
            steps = state.fields
            if steps:
                if len(steps) <= field_count:
                    for path, index in steps.items():
                        keys = fields.get(path)
                        if keys:
                            for key in keys:
                                targets = index.exact.get(key, ()) if index.only_exact else index.targets(key)
                                for target in targets:
                                    if target not in seen:
                                        seen.add(target)
                                        todo.append(target)
                else:
                    for path, keys in fields.items():
                        found = steps.get(path)
                        if found is not None:
                            for key in keys:
                                targets = found.exact.get(key, ()) if found.only_exact else found.targets(key)
                                for target in targets:
                                    if target not in seen:
                                        seen.add(target)
                                        todo.append(target)
            if state.absent:
                for path, targets in state.absent.items():
                    if path not in fields:
                        for target in targets:
                            if target not in seen:
                                seen.add(target)
                                todo.append(target)
        return matched

    def _match_with_arrays(
        self, fields: dict[str, list[LeafKey]], memberships: dict[str, list[Membership]]
    ) -> set[RuleId]:
        """Like ``match``, but a path through the machine carries the array elements it has used."""
        matched: set[RuleId] = set()
        start: tuple[State, dict[int, int]] = (self._root, {})
        todo = [start]
        seen: set[tuple[State, frozenset]] = set()
        while todo:
            state, used = todo.pop()
            if state.rules:
                matched.update(state.rules)
            for path, index in state.fields.items():
                keys = fields.get(path)
                if not keys:
                    continue
                places = memberships.get(path)
                for position, key in enumerate(keys):
                    place = places[position] if places else ()
                    if any(used.get(array, element) != element for array, element in place):
                        continue  # another element of an array this path already used
                    targets = index.targets(key)
                    if not targets:
                        continue
                    now = {**used, **dict(place)} if place else used
                    for target in targets:
                        marker = (target, frozenset(now.items()))
                        if marker not in seen:
                            seen.add(marker)
                            todo.append((target, now))
            for path, targets in state.absent.items():
                if path not in fields:
                    for target in targets:
                        marker = (target, frozenset(used.items()))
                        if marker not in seen:
                            seen.add(marker)
                            todo.append((target, used))
        return matched


class _Flattener:
    """One event's leaves along the paths of interest (see ``flatten`` for the membership rule)."""

    __slots__ = ("arrays", "fields", "memberships")

    def __init__(self, fields: dict[str, list[LeafKey]], memberships: dict[str, list[Membership]]) -> None:
        self.fields = fields
        self.memberships = memberships
        self.arrays = 0

    def walk(self, value: dict, node: _Interest, membership: Membership) -> None:
        children = node.children
        if len(children) < len(value):  # look up the few keys of interest instead of scanning the event
            for name, child in children.items():
                child_value = value.get(name, _MISSING)
                if child_value is not _MISSING:
                    self.step(child_value, child, membership)
            if node.deep and "." in "".join(value):  # rare: a key like "state.status" stands for nesting
                for name, child_value in value.items():
                    if "." in name:
                        self.dotted(name, child_value, node, membership)
            return
        for name, child_value in value.items():
            found = children.get(name)
            if found is not None:
                self.step(child_value, found, membership)
            elif "." in name:
                self.dotted(name, child_value, node, membership)

    def dotted(self, name: str, value: Any, node: _Interest, membership: Membership) -> None:
        child: _Interest | None = node
        for part in name.split("."):
            child = child.children.get(part)  # type: ignore[union-attr]
            if child is None:
                return
        self.step(value, child, membership)  # type: ignore[arg-type]

    def step(self, value: Any, node: _Interest, membership: Membership) -> None:
        kind = type(value)
        if kind is str or kind is int:
            path = node.path
            if path is None or membership or self.memberships:
                self.visit(value, node, membership)
                return
            key = value if kind is str else (value * SCALE if -FIVE_BILLION <= value <= FIVE_BILLION else None)
            if key is None:
                self.visit(value, node, membership)
                return
            keys = self.fields.get(path)
            if keys is None:
                self.fields[path] = [key]
            else:
                keys.append(key)
        elif kind is dict:
            if node.children:
                self.walk(value, node, membership)
        else:
            self.visit(value, node, membership)

    def visit(self, value: Any, node: _Interest, membership: Membership) -> None:
        kind = type(value)
        if kind is dict:
            if node.children:
                self.walk(value, node, membership)
        elif kind is list:
            array = self.arrays
            self.arrays += 1
            for element, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    self.visit(item, node, (*membership, (array, element)))
                else:
                    self.visit(item, node, membership)
        elif node.path is not None:
            key = value if kind is str else (NULL if value is None else leaf_key(value))
            if key is None:
                return
            keys = self.fields.get(node.path)
            if keys is None:
                keys = self.fields[node.path] = []
            if membership or self.memberships:
                self._remember(node.path, len(keys), membership)
            keys.append(key)

    def _remember(self, path: str, position: int, membership: Membership) -> None:
        if not self.memberships:  # first leaf inside an array of objects: backfill the others
            for other, keys in self.fields.items():
                self.memberships[other] = [()] * len(keys)
        places = self.memberships.setdefault(path, [])
        places.extend([()] * (position - len(places)))
        places.append(membership)
