"""A straight-line reader for the common shape of event, compiled from the ``Interest`` tree.

(The machine's first level, its root steps, is compiled the same way: ``compile_first_level``.)

Flattening is a large share of matching an event, and most of its cost in Python is the walk
itself: a call per object, a loop over the keys of interest. For a given set of paths, the walk is
always the same sequence of ``dict.get`` calls, so we write it out once as Python source and compile
it. For ``source`` and ``detail.state`` the reader is, in essence::

    def read(event):
        fields, pending = {}, {}
        if "." in "".join(event): return None
        value = event.get("source", MISSING)
        if type(value) is str: fields["source"] = [value]
        elif ...  # numbers, literals; floats and arrays set aside in ``pending``
        detail = event.get("detail", MISSING)
        if type(detail) is dict:
            value = detail.get("state", MISSING)
            ...
        elif type(detail) is list: return None
        return fields, pending

It gives up (returns None) whenever the event needs what only ``interest.flatten_interesting`` does:
a dotted key in an object where one could reach a path, an array where rules read several paths below
it or below an object inside it, or a value at a path that also has paths below it. The caller then
walks the event the general way, so the reader is a shortcut, never a second definition.

Every name and path enters the source through ``repr``, so no pattern text can inject code. A tree
larger than ``MAX_NODES`` is not compiled (its source would be large, and the walk's cost is then
dominated by the event anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from eventyard.bus.patterns.interest import Interest
from eventyard.bus.patterns.values import FIVE_BILLION, SCALE, leaf_key, number_key

# (fields, pending) as in ``interest.Flattened``, except that a path with one leaf maps to the leaf itself
Reader = Callable[[dict], "tuple[dict[str, Any], dict[str, list]] | None"]
MAX_NODES = 400
_MISSING = object()


def compile_reader(root: Interest) -> Reader | None:
    """The reader for the paths of ``root``, or None when the tree is too large to be worth it."""
    if _count(root) > MAX_NODES:
        return None
    lines = ["def read(event):", "    fields = {}", "    pending = {}"]
    _object(root, "event", 1, lines, [0])
    lines.append("    return fields, pending")
    namespace = {
        "MISSING": _MISSING,
        "SCALE": SCALE,
        "LIMIT": FIVE_BILLION,
        "leaf_key": leaf_key,
        "number_key": number_key,
        "str": str,
        "int": int,
        "float": float,
        "list": list,
        "dict": dict,
        "type": type,
    }
    exec(compile("\n".join(lines), "<event reader>", "exec"), namespace)
    return namespace["read"]  # type: ignore[return-value]


def _count(node: Interest) -> int:
    return 1 + sum(_count(child) for child in node.children.values())


def _object(node: Interest, name: str, depth: int, lines: list[str], counter: list[int]) -> None:
    pad = "    " * depth
    if node.deep:  # a key like "a.b" here stands for nesting: the general walk handles it
        lines.append(f'{pad}if "." in "".join({name}): return None')
    for key, child in node.children.items():
        counter[0] += 1
        value = f"v{counter[0]}"
        lines.append(f"{pad}{value} = {name}.get({key!r}, MISSING)")
        if child.children and child.path is not None:
            lines.append(f"{pad}if {value} is not MISSING: return None")
        elif child.children:
            lines.append(f"{pad}if type({value}) is dict:")
            _object(child, value, depth + 1, lines, counter)
            lines.append(f"{pad}elif type({value}) is list: return None")
        elif child.path is not None:
            _leaf(child.path, value, pad, lines)


def _leaf(path: str, value: str, pad: str, lines: list[str]) -> None:
    """A path with nothing below it: one leaf (stored bare, not in a list), an array set aside, or nothing."""
    kind = f"t{value}"
    lines.extend(
        [
            f"{pad}{kind} = type({value})",
            f"{pad}if {kind} is str: fields[{path!r}] = {value}",
            f"{pad}elif {value} is MISSING: pass",
            f"{pad}elif {kind} is int: fields[{path!r}] = "
            f"{value} * SCALE if -LIMIT <= {value} <= LIMIT else number_key({value})",
            f"{pad}elif {kind} is list and len({value}) == 1 and type({value}[0]) is str:",
            f"{pad}    fields[{path!r}] = {value}[0]",
            f"{pad}elif {kind} is list or {kind} is float: pending[{path!r}] = [{value}]",
            f"{pad}elif {kind} is not dict: fields[{path!r}] = leaf_key({value})",
        ]
    )


# first(fields, pending, push_all): pushes the states the root's steps reach (see compile_first_level)
FirstLevel = Callable[[dict[str, Any], dict[str, list], Callable[[Iterable[Any]], None]], None]
_MAX_FIRST_STEPS = 200


def compile_first_level(
    steps: tuple[tuple[str, Any, Any, int, bool], ...], take_pending: Callable
) -> FirstLevel | None:
    """The root's ``steps`` as one straight-line function ``first(fields, pending, push_all)``.

    Every event takes every root step, and at the root a rule set has its most steps, so there the
    loop's own cost (unpacking each step, dispatching on what was read) is a visible share of a match
    (``machine.RuleMachine.match``). Written out, each step is one ``fields.get`` and one call of its
    lookup, bound as a default argument. It does what that loop does for a state that is not
    ``special`` (the machine keeps the loop for a special root); ``take_pending`` is the machine's
    step on leaves set aside raw. Paths enter the source through ``repr``, lookups by name only.
    None when there are too many steps for the source to be worth compiling.
    """
    if not steps or len(steps) > _MAX_FIRST_STEPS:
        return None
    bound = ["take_pending=take_pending", "list=list", "type=type", "len=len", "set=set"]
    lines = []
    for number, (path, _, _, repeats, _) in enumerate(steps):
        lookup, reach, step = f"lookup{number}", f"reach{number}", f"step{number}"
        bound += [f"{lookup}={step}[1]", f"{reach}={step}[2]"]
        found = "set(hit)" if repeats else "hit"
        lines += [
            f"    keys = get({path!r})",
            "    if keys is None:",
            f"        if pending and {path!r} in pending: take_pending(*{step}, fields, pending, push_all)",
            "    elif type(keys) is not list:",
            f"        hit = {lookup}(keys)",
            f"        if hit: push_all({found})",
            "    elif len(keys) == 1:",
            f"        hit = {lookup}(keys[0])",
            f"        if hit: push_all({found})",
            "    else:",
            f"        push_all({reach}(keys))",
        ]
    source = "\n".join(
        [
            f"def make({', '.join(f'step{number}' for number in range(len(steps)))}):",
            f"    def first(fields, pending, push_all, {', '.join(bound)}):",
            "        get = fields.get",
            *("    " + line for line in lines),
            "    return first",
        ]
    )
    namespace: dict[str, Any] = {"take_pending": take_pending}
    exec(compile(source, "<first level>", "exec"), namespace)
    return namespace["make"](*steps)
