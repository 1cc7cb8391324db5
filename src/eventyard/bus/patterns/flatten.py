"""Turn a nested event into its leaf values by flattened path, remembering array elements.

``{"detail": {"items": [{"sku": "A"}, {"sku": "B"}]}}`` has two leaves at ``detail.items.sku``. Paths
join keys with ``.`` (so a key that itself contains a dot reads the same as nesting, as in AWS). An
object or empty array is not a leaf: ``exists`` sees only leaves.

AWS never lets one match combine fields from *different elements of the same array* (event-ruler's
array consistency). So each leaf carries its *membership*: the ``(array id, element index)`` of
every array element it sits in whose element is an object or array. Leaves of an array of plain
values need no entry, because no other path can share that array.
"""

from __future__ import annotations

from itertools import count
from typing import NamedTuple

from eventyard.bus.patterns.values import LeafKey, leaf_key

Membership = tuple[tuple[int, int], ...]


class Leaf(NamedTuple):
    key: LeafKey
    membership: Membership


def flatten_event(event: dict) -> dict[str, list[Leaf]]:
    """Every leaf of ``event`` by path (the reference matcher's view: everything, no shortcuts)."""
    fields: dict[str, list[Leaf]] = {}
    arrays = count()

    def walk(value: object, path: str, membership: Membership) -> None:
        if isinstance(value, dict):
            for name, child in value.items():
                walk(child, f"{path}.{name}" if path else name, membership)
        elif isinstance(value, list):
            array = next(arrays)
            for index, element in enumerate(value):
                inner = (*membership, (array, index)) if isinstance(element, (dict, list)) else membership
                walk(element, path, inner)
        else:
            key = leaf_key(value)
            if key is not None:
                fields.setdefault(path, []).append(Leaf(key, membership))

    walk(event, "", ())
    return fields


def compatible(first: Membership, second: Membership) -> bool:
    """Whether two leaves may be used together: never from different elements of one array.

    Memberships list arrays from the outside in; once two leaves are in different arrays they have
    parted ways and share no array deeper down.
    """
    for (array, index), (other_array, other_index) in zip(first, second, strict=False):
        if array != other_array:
            return True
        if index != other_index:
            return False
    return True
