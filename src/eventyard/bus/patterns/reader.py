"""A reader for the common shape of event, planned once from the ``Interest`` tree.

Flattening is a large share of matching an event. For a given set of paths the walk is always the
same sequence of ``dict.get`` calls, so the tree of paths is turned once into a plan of ``Key``
objects (one per key of interest, saying what to do with its value) that ``ReadPlan.read`` follows
without looking anything up; mypyc compiles this module (setup.py), so following it is C. For
``source`` and ``detail.state`` the plan reads, in essence::

    fields, pending = {}, {}
    value = event.get("source")       # a string or integer: its key in fields
    ...                               # floats and arrays set aside in pending, keyed when a step reads them
    detail = event.get("detail")      # an object: the same for its keys of interest
    ...
    return fields, pending

It gives up (returns None) whenever the event needs what only ``interest.flatten_interesting`` does:
a dotted key in an object where one could reach a path, an array where rules read several paths below
it or below an object inside it, or a value at a path that also has paths below it. The caller then
walks the event the general way, so the reader is a shortcut, never a second definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from eventyard.bus.patterns.interest import Interest
from eventyard.bus.patterns.values import FIVE_BILLION, SCALE, leaf_key, number_key

# (fields, pending) as in ``interest.Flattened``, except that a path with one leaf maps to the leaf itself
Reader = Callable[[dict], "tuple[dict[str, Any], dict[str, list]] | None"]
_MISSING: Final[Any] = object()
_LEAF: Final = 0  # a path ends here and nothing lies below
_OBJECT: Final = 1  # paths lie below only
_BOTH: Final = 2  # a path ends here and others lie below: the general walk's case


class Key:
    """One key of interest in an object of the event, and what its value is read for."""

    __slots__ = ("children", "deep", "kind", "name", "path")

    def __init__(self, name: str, node: Interest) -> None:
        self.name = name
        self.path: str = node.path or ""
        self.kind: int = (_BOTH if node.path is not None else _OBJECT) if node.children else _LEAF
        self.deep = node.deep  # a dotted key in the value could stand for nesting
        self.children: list[Key] = [Key(child_name, child) for child_name, child in node.children.items()]


class ReadPlan:
    """The plan for one ``Interest`` tree; ``read(event)`` -> (fields, pending), or None to walk instead."""

    __slots__ = ("deep", "keys")

    def __init__(self, root: Interest) -> None:
        self.deep = root.deep
        self.keys = [Key(name, child) for name, child in root.children.items()]

    def read(self, event: dict) -> tuple[dict[str, Any], dict[str, list]] | None:
        fields: dict[str, Any] = {}
        pending: dict[str, list] = {}
        if _read_object(event, self.keys, self.deep, fields, pending):
            return fields, pending
        return None


def compile_reader(root: Interest) -> Reader:
    """The reader for the paths of ``root``."""
    return ReadPlan(root).read


def _read_object(value: dict, keys: list[Key], deep: bool, fields: dict[str, Any], pending: dict[str, list]) -> bool:
    if deep:
        for name in value:
            if "." in name:
                return False
    for key in keys:
        child: Any = value.get(key.name, _MISSING)
        if child is _MISSING:
            continue
        kind = key.kind
        if kind == _LEAF:
            of = type(child)
            if of is str:
                fields[key.path] = child
            elif of is int:
                fields[key.path] = child * SCALE if -FIVE_BILLION <= child <= FIVE_BILLION else number_key(child)
            elif of is list:
                if len(child) == 1 and type(child[0]) is str:
                    fields[key.path] = child[0]
                else:
                    pending[key.path] = [child]
            elif of is float:
                pending[key.path] = [child]
            elif of is not dict:
                fields[key.path] = leaf_key(child)
        elif kind == _OBJECT:
            of = type(child)
            if of is dict:
                if not _read_object(child, key.children, key.deep, fields, pending):
                    return False
            elif of is list:
                return False
        else:
            return False
    return True
