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
- events are read only along paths some rule uses (``source``, ``detail.x``), once per event.

The hot path is kept short (mypyc compiles this module and the ones it uses, see setup.py, but the
work per step still counts): events are read by a plan made for the paths in use (``reader``,
falling back to ``interest.flatten_interesting``); floats and arrays are keyed only if a step reads
them; each state keeps its steps as ready-made ``(path, lookup, reach, repeats)`` tuples, where
``lookup`` is the cheapest call that answers for what its index holds (often ``dict.get`` itself);
and only states flagged ``special`` (rules end there, absence steps, many steps) get a closer look.
An array or float read by a step that leads to a single state is keyed one leaf at a time, up to
the first leaf accepted (``interest.first_hit``).

Adding or removing a rule touches only its own chains: states are reference-counted and pruned when
no branch passes through them any more; only a changed field's range index is rebuilt, lazily, and
the reader is planned again at the next match only when the set of paths in use changed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Final

from eventyard.bus.patterns.flatten import Membership
from eventyard.bus.patterns.index import FieldIndex
from eventyard.bus.patterns.interest import Interest, first_hit, flatten_interesting, interest_tree, keyed
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
from eventyard.bus.patterns.reader import Reader, compile_reader

RuleId = Hashable


class State:
    """A point in the machine: the steps that leave it and the rules whose branches end here."""

    __slots__ = ("absent", "children", "fields", "references", "rules", "special", "steps")

    def __init__(self) -> None:
        # Most states are ends (rules only) or links (one step, one child): the dicts a state does
        # not need stay the shared, never-changed ``_NOTHING`` until something is put in them.
        self.fields: dict[str, FieldIndex] = _NOTHING  # value steps, by field path
        # the same, as matching uses them: (path, lookup of one key, lookup of several keys, repeats,
        # whether the step leads to a single state)
        self.steps: tuple[tuple[str, Any, Any, int, bool], ...] = ()
        self.absent: dict[str, list[State]] = _NOTHING  # steps taken when the event has no leaf at a path
        self.children: dict[Condition, State] = _NOTHING
        self.rules: dict[RuleId, int] = _NOTHING  # rule -> number of its branches ending here
        self.references = 0  # branches passing through or ending here
        self.special = False  # rules end here, or absence steps, or many steps: matching looks closer

    def settle(self) -> None:
        """Refresh what matching reads (``steps``, ``special``) after a change."""
        self.steps = tuple(
            (path, index.lookup, index.reach, index.repeats, index.conditions == 1)
            for path, index in self.fields.items()
        )
        self.special = bool(self.rules or self.absent or len(self.steps) > _FEW_STEPS)


_NOTHING: Final[dict] = {}  # see State.__init__
_FEW_STEPS: Final = 16  # past this many steps at a state, walk the event's fields instead when they are fewer


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
        self._interest = Interest()
        self._reader: Reader = compile_reader(self._interest)
        self._reader_stale = False

    def __len__(self) -> int:
        return len(self._chains)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._chains

    # --- changes --------------------------------------------------------------------------------

    def add(self, rule_id: RuleId, pattern: Pattern) -> None:
        """Compile ``pattern`` in under ``rule_id`` (replacing the rule's previous pattern)."""
        if rule_id in self._chains:
            self.remove(rule_id)
        paths_before = len(self._path_uses)
        chains = []
        for branch in pattern.branches:
            state = self._root
            chain: list[tuple[State, Condition]] = []
            for condition in sorted(branch, key=_step_order):
                state = self._step(state, condition)
                chain.append((state, condition))
            if state.rules is _NOTHING:
                state.rules = {}
            state.rules[rule_id] = state.rules.get(rule_id, 0) + 1
            state.settle()
            chains.append(chain)
            for condition in branch:
                self._path_uses[condition.path] = self._path_uses.get(condition.path, 0) + 1
        self._chains[rule_id] = chains
        if len(self._path_uses) != paths_before:
            self._interest = interest_tree(self._path_uses)
            self._reader_stale = True  # planned at the next match: a batch of adds plans once

    def remove(self, rule_id: RuleId) -> None:
        """Take the rule out, pruning the states only it used."""
        chains = self._chains.pop(rule_id, None)
        if chains is None:
            return
        paths_before = len(self._path_uses)
        for chain in chains:
            end = chain[-1][0]
            end.rules[rule_id] -= 1
            if not end.rules[rule_id]:
                del end.rules[rule_id]
                end.settle()
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
        if len(self._path_uses) != paths_before:
            self._interest = interest_tree(self._path_uses)
            self._reader_stale = True  # planned at the next match: a batch of adds plans once

    def _step(self, parent: State, condition: Condition) -> State:
        child = parent.children.get(condition)
        if child is None:
            if parent.children is _NOTHING:
                parent.children = {}
            child = parent.children[condition] = State()
            self._link(parent, condition, child, adding=True)
        child.references += 1
        return child

    def _unlink(self, parent: State, condition: Condition, child: State) -> None:
        del parent.children[condition]
        self._link(parent, condition, child, adding=False)

    @staticmethod
    def _link(parent: State, condition: Condition, child: State, adding: bool) -> None:
        """Add (or take away) the transitions from ``parent`` to ``child`` for each matcher of ``condition``."""
        path = condition.path
        values: list[Matcher] = []
        for matcher in dict.fromkeys(condition.matchers):  # a repeated matcher would lead to child twice
            if type(matcher) is Exists and not matcher.present:
                if adding:
                    if parent.absent is _NOTHING:
                        parent.absent = {}
                    parent.absent.setdefault(path, []).append(child)
                else:
                    waiting = parent.absent[path]
                    waiting.remove(child)
                    if not waiting:
                        del parent.absent[path]
            else:
                values.append(matcher)
        if not values:
            parent.settle()
            return
        index = parent.fields.get(path)
        if index is None:
            if parent.fields is _NOTHING:
                parent.fields = {}
            index = parent.fields[path] = FieldIndex()
        for matcher in values:
            (index.add if adding else index.remove)(matcher, child)
        if len(values) > 1:
            index.repeats += 1 if adding else -1
        index.conditions += 1 if adding else -1
        if not index.count:
            del parent.fields[path]
        parent.settle()

    # --- matching -------------------------------------------------------------------------------

    def match(self, event: dict) -> set[RuleId]:
        """The ids of every rule ``event`` (a parsed JSON object, envelope included) matches."""
        if self._reader_stale:
            self._reader, self._reader_stale = compile_reader(self._interest), False
        read = self._reader(event)
        fields: dict[str, Any]  # a path's leaf keys: one key, or a list of them
        pending: dict[str, list]
        if read is None:
            fields, pending, memberships = flatten_interesting(event, self._interest)
            if memberships:
                return match_with_arrays(self._root, fields, memberships)
        else:
            fields, pending = read
        # Each state has one parent and is reached only through its parent's step on one path, so
        # visiting each reached state once needs no global "seen" set: only a step that can yield a
        # state twice (several leaves, or several matchers of one condition) removes duplicates.
        matched: set[RuleId] = set()
        todo: list[State] = []
        pop, push_all, get = todo.pop, todo.extend, fields.get
        todo.append(self._root)
        while todo:
            state = pop()
            steps: Sequence[tuple[str, Any, Any, int, bool]] = state.steps
            if state.special:
                if state.rules:
                    matched.update(state.rules)
                if state.absent:
                    for path, targets in state.absent.items():
                        if path in fields:
                            continue
                        if pending and path in pending:
                            found = keyed(pending.pop(path))
                            if found:
                                fields[path] = found
                                continue
                        push_all(targets)
                if len(steps) > _FEW_STEPS and len(steps) > len(fields) + len(pending):
                    steps = _present_steps(state, fields, pending)
            for path, lookup, reach, repeats, single in steps:
                keys = get(path)
                if keys is None:
                    if pending and path in pending:
                        take_pending(path, lookup, reach, repeats, single, fields, pending, push_all)
                    continue
                if type(keys) is not list:  # one leaf, as the reader stores it
                    hit = lookup(keys)
                    if hit:
                        push_all(set(hit) if repeats else hit)
                elif len(keys) == 1:
                    hit = lookup(keys[0])
                    if hit:
                        push_all(set(hit) if repeats else hit)
                else:
                    push_all(reach(keys))
        return matched


def take_pending(
    path: str,
    lookup: Any,
    reach: Any,
    repeats: int,
    single: bool,
    fields: dict[str, Any],
    pending: dict[str, list],
    push_all: Callable[[Iterable[State]], None],
) -> None:
    """One step on a path whose leaves were set aside raw (floats, arrays): key them, as few as needed."""
    if single:  # one leaf accepted is enough: stop keying there (the leaves stay pending for others)
        hit, keys = first_hit(pending[path], lookup)
        if hit:
            push_all(hit[:1])
            return
        del pending[path]
        if keys:
            fields[path] = keys
        return
    keys = keyed(pending.pop(path))
    if not keys:
        return  # only empty arrays: the path has no leaf after all
    fields[path] = keys
    if len(keys) == 1:
        hit = lookup(keys[0])
        if hit:
            push_all(set(hit) if repeats else hit)
    else:
        push_all(reach(keys))


def _present_steps(
    state: State, fields: dict[str, Any], pending: dict[str, list]
) -> list[tuple[str, Any, Any, int, bool]]:
    """The steps of ``state`` on paths the event has, found from the event's side (it has fewer paths)."""
    present = []
    for path in (*fields, *pending):
        index = state.fields.get(path)
        if index is not None:
            present.append((path, index.lookup, index.reach, index.repeats, index.conditions == 1))
    return present


def match_with_arrays(root: State, fields: dict[str, list], memberships: dict[str, list[Membership]]) -> set[RuleId]:
    """Like ``RuleMachine.match``, but a path through the machine carries the array elements it has used.

    Used only for events with arrays of objects below which rules read several paths (see
    ``interest``): two conditions of one branch must not take leaves from different elements. Such
    events come from ``flatten_interesting`` with every leaf keyed (nothing pending).
    """
    matched: set[RuleId] = set()
    start: tuple[State, dict[int, int]] = (root, {})
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
            if not fields.get(path):  # only empty arrays there: keyed to no leaf, so absent
                for target in targets:
                    marker = (target, frozenset(used.items()))
                    if marker not in seen:
                        seen.add(marker)
                        todo.append((target, used))
    return matched
