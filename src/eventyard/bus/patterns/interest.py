"""The event fields some rule looks at, and flattening an event along them only.

The ``RuleMachine`` keeps an ``Interest`` tree of the flattened paths its rules use (``source``,
``detail.state``); ``flatten_interesting`` walks an event along that tree and skips everything else
(a polygon's coordinates cost nothing unless a rule reads them). It produces the same leaves as
``flatten.flatten_event`` for those paths, in a form built for the matcher:

- ``fields``: the leaf keys of each path (see ``values``), strings and integers keyed as read;
- ``pending``: floats and arrays of scalars, set aside raw and keyed only when a rule's step actually
  reads their path (``keyed``), since keying a float is costly and big arrays (a polygon's
  coordinates) are usually read by few rules, and only after their more selective fields matched;
- ``memberships``: filled only when a leaf sits in an element of an array that is an object or array
  *and* more than one path of interest lies below that array. Only then can two conditions of one
  rule pick leaves from different elements (event-ruler's array consistency); an array below which
  rules read a single path (``resources``, a polygon's rings) needs no bookkeeping, so such events
  stay on the matcher's fast path.

Keys of an event object that contain a dot read as nesting (``{"a.b": 1}`` is the path ``a.b``), as in AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, NamedTuple

from eventyard.bus.patterns.flatten import Membership
from eventyard.bus.patterns.values import FIVE_BILLION, SCALE, LeafKey, leaf_key, number_key

_MISSING: Final = object()


class Interest:
    """One key of the tree of paths rules read; ``path`` is set where some rule's field ends."""

    __slots__ = ("children", "deep", "path", "shared")

    def __init__(self) -> None:
        self.children: dict[str, Interest] = {}
        self.path: str | None = None
        self.deep = False  # some child has children, so a dotted event key here could reach a path
        self.shared = False  # more than one path at or below: arrays here need membership bookkeeping


def interest_tree(paths: object) -> Interest:
    """The tree of ``paths`` (an iterable of dotted paths), with ``deep`` and ``shared`` worked out."""
    root = Interest()
    for path in paths:  # type: ignore[attr-defined]
        node = root
        for key in path.split("."):
            node = node.children.setdefault(key, Interest())
        node.path = path
    _settle(root)
    return root


def _settle(node: Interest) -> int:
    """Set ``deep`` and ``shared`` below ``node``; returns how many paths end at or below it."""
    total = 1 if node.path is not None else 0
    node.deep = False
    for child in node.children.values():
        total += _settle(child)
        if child.children:
            node.deep = True
    node.shared = total > 1
    return total


def keyed(items: list) -> list[LeafKey]:
    """The keys of the leaves of raw values set aside in ``Flattened.pending`` (arrays are flattened)."""
    keys: list[LeafKey] = []
    _key_into(items, keys)
    return keys


def _key_into(items: list, keys: list[LeafKey]) -> None:
    for value in items:
        kind = type(value)
        if kind is float:
            if -1e9 < value < 1e9:  # float_key's common case, inline: arrays of floats can be long
                scaled = round(value * 1e6)
                if scaled / 1e6 == value:
                    keys.append(scaled)
                    continue
            keys.append(number_key(value))
        elif kind is str:
            keys.append(value)
        elif kind is list:
            _key_into(value, keys)
        elif kind is int:
            keys.append(value * SCALE if -FIVE_BILLION <= value <= FIVE_BILLION else number_key(value))
        elif kind is not dict:  # an object where a leaf is expected holds nothing of interest
            keys.append(leaf_key(value))  # type: ignore[arg-type]


def first_hit(items: list, lookup: Callable[[LeafKey], Any]) -> tuple[Any, list[LeafKey]]:
    """Key the leaves of ``items`` (as ``keyed``) one at a time, stopping at the first that ``lookup`` accepts.

    For a step that leads to a single state, one accepted leaf is all it needs to know: a polygon's
    coordinates are mostly decided by their first number. Returns ``(hit, keys so far)``; ``hit`` is
    falsy exactly when every leaf was keyed (``keys`` is then what ``keyed`` returns).
    """
    keys: list[LeafKey] = []
    return _scan(items, lookup, keys, {}), keys


def _scan(items: list, lookup: Callable[[LeafKey], Any], keys: list[LeafKey], floats: dict[float, LeafKey]) -> Any:
    # ``floats``: the keys of floats already looked up (and refused) in this scan; a polygon's first
    # point repeats as its last, and its altitudes are all 0.0, so most coordinates are seen twice
    for value in items:
        kind = type(value)
        if kind is list:
            hit = _scan(value, lookup, keys, floats)
            if hit:
                return hit
            continue
        if kind is float:
            known = floats.get(value)
            if known is not None:
                keys.append(known)
                continue
            key: LeafKey = float_key(value)
            floats[value] = key
        elif kind is str:
            key = value
        elif kind is int:
            key = value * SCALE if -FIVE_BILLION <= value <= FIVE_BILLION else number_key(value)
        elif kind is dict:
            continue
        else:
            key = leaf_key(value)  # type: ignore[assignment]  # neither list nor dict: a leaf
        keys.append(key)
        hit = lookup(key)
        if hit:
            return hit
    return None


def float_key(value: float) -> LeafKey:
    """``values.number_key`` of a float, without its decimal arithmetic in the common case.

    Below 1e9 in magnitude, floats are spaced far closer than 1e-6 and ``value * 1e6`` is off by much
    less than 0.5, so ``value`` has at most six decimals exactly when the nearest integer ``scaled``
    divides back to it; that integer is then the comparable form. Anything else takes the exact path.
    """
    if -1e9 < value < 1e9:
        scaled = round(value * 1e6)
        if scaled / 1e6 == value:
            return scaled
    return number_key(value)


class Flattened(NamedTuple):
    """One event's leaves along the paths of interest (see the module doc)."""

    fields: dict[str, list[LeafKey]]
    pending: dict[str, list]  # path -> raw floats and arrays, never a path of ``fields``: ``keyed`` them
    # (when ``memberships`` is filled, everything is keyed into ``fields`` and ``pending`` is empty)
    memberships: dict[str, list[Membership]]  # empty unless arrays of objects need telling apart


def flatten_interesting(event: dict, root: Interest) -> Flattened:
    """The leaves of ``event`` along the paths of ``root``."""
    walk = _Walk()
    walk.walk_object(event, root, ())
    fields, pending, memberships = walk.fields, walk.pending, walk.memberships
    if pending:
        for path in [path for path in pending if path in fields or memberships]:
            keys = keyed(pending.pop(path))
            if memberships:  # leaves set aside sat in no array of objects
                places = memberships.setdefault(path, [])
                places.extend([()] * (len(fields.get(path, ())) + len(keys) - len(places)))
            fields.setdefault(path, []).extend(keys)
    return Flattened(fields, pending, memberships)


class _Walk:
    """One event's walk: the leaves found so far, raw values set aside, array numbering.

    Strings and integers directly under an object, the bulk of most events, are handled inline by
    ``walk_object`` rather than through ``value``, which sees everything else.
    """

    __slots__ = ("arrays", "fields", "memberships", "pending")

    def __init__(self) -> None:
        self.fields: dict[str, list] = {}
        self.pending: dict[str, list] = {}
        self.memberships: dict[str, list[Membership]] = {}
        self.arrays = 0

    def walk_object(self, value: dict, node: Interest, membership: Membership) -> None:
        children = node.children
        fields = self.fields
        if len(children) < len(value):  # look up the few keys of interest instead of scanning the event
            found = [(child, value.get(name, _MISSING)) for name, child in children.items()]
            if node.deep and "." in "".join(value):  # rare: a key like "state.status" stands for nesting
                for name, child_value in value.items():
                    if "." in name:
                        self.dotted(name, child_value, node, membership)
        else:
            found = [(known, child_value) for name, child_value in value.items() if (known := children.get(name))]
            if len(found) < len(value) and node.deep:
                for name, child_value in value.items():
                    if "." in name:
                        self.dotted(name, child_value, node, membership)
        for child, child_value in found:
            kind = type(child_value)
            path = child.path
            if path is not None and (kind is str or kind is int) and not membership and not self.memberships:
                if kind is int:
                    child_value = (
                        child_value * SCALE if -FIVE_BILLION <= child_value <= FIVE_BILLION else number_key(child_value)
                    )
                keys = fields.get(path)
                if keys is None:
                    fields[path] = [child_value]
                else:
                    keys.append(child_value)
            elif child_value is not _MISSING:
                self.value(child_value, child, membership)

    def dotted(self, name: str, value: object, node: Interest, membership: Membership) -> None:
        for part in name.split("."):
            reached = node.children.get(part)
            if reached is None:
                return
            node = reached
        self.value(value, node, membership)

    def value(self, value: object, node: Interest, membership: Membership) -> None:
        kind = type(value)
        if kind is dict:
            if node.children:
                self.walk_object(value, node, membership)  # type: ignore[arg-type]
            return
        path = node.path
        if kind is list:
            if node.shared:
                array = self.arrays
                self.arrays += 1
                item: object
                for element, item in enumerate(value):  # type: ignore[arg-type]
                    if type(item) is dict or type(item) is list:
                        self.value(item, node, (*membership, (array, element)))
                    else:
                        self.value(item, node, membership)
            elif node.children or membership or self.memberships:
                for item in value:  # type: ignore[attr-defined]
                    self.value(item, node, membership)
            elif path is not None:  # an array at a path nothing else lies below: keyed if a step reads it
                self.pending.setdefault(path, []).append(value)
            return
        if path is None:
            return
        if kind is float and not membership and not self.memberships:
            self.pending.setdefault(path, []).append(value)
            return
        if kind is str:
            key: LeafKey = value  # type: ignore[assignment]
        elif kind is float:
            key = float_key(value)  # type: ignore[arg-type]
        else:
            key = leaf_key(value)  # type: ignore[assignment]
        keys = self.fields.get(path)
        if keys is None:
            keys = self.fields[path] = []
        if membership or self.memberships:
            self.remember(path, len(keys), membership)
        keys.append(key)

    def remember(self, path: str, position: int, membership: Membership) -> None:
        memberships = self.memberships
        if not memberships:  # first leaf inside an array of objects: backfill the others
            for other, keys in self.fields.items():
                memberships[other] = [()] * len(keys)
        places = memberships.setdefault(path, [])
        places.extend([()] * (position - len(places)))
        places.append(membership)
