"""The reference matcher: one pattern, one event, no cleverness. ``matches(pattern, event) -> bool``.

It states EventBridge's semantics directly, so the compiled ``RuleMachine`` can be checked against it:

- a pattern matches if any branch (``$or`` multiplied out) matches;
- a branch matches if every condition holds, each using one leaf of the event at its path that one
  of its matchers accepts, all the chosen leaves being compatible (no two from different elements
  of the same array);
- a condition with ``{"exists": false}`` also holds when the event has no leaf at its path.
"""

from __future__ import annotations

from eventyard.bus.patterns.flatten import Leaf, compatible, flatten_event
from eventyard.bus.patterns.model import Condition, Pattern


def matches(pattern: Pattern, event: dict) -> bool:
    """Whether ``event`` (a parsed JSON object, envelope included) matches ``pattern``."""
    fields = flatten_event(event)
    return any(_branch_matches(branch, fields) for branch in pattern.branches)


def _branch_matches(branch: tuple[Condition, ...], fields: dict[str, list[Leaf]]) -> bool:
    choices: list[list[Leaf]] = []
    for condition in branch:
        leaves = fields.get(condition.path, [])
        if not leaves:
            if condition.absent_ok:
                continue  # nothing to choose: the field is rightly absent
            return False
        accepted = [leaf for leaf in leaves if any(m.accepts(leaf.key) for m in condition.matchers)]
        if not accepted:
            return False
        choices.append(accepted)
    return _compatible_choice(choices, [])


def _compatible_choice(choices: list[list[Leaf]], chosen: list[Leaf]) -> bool:
    """Whether one leaf per condition can be picked so that every pair is compatible (backtracking)."""
    if len(chosen) == len(choices):
        return True
    for leaf in choices[len(chosen)]:
        if all(compatible(leaf.membership, other.membership) for other in chosen):
            chosen.append(leaf)
            if _compatible_choice(choices, chosen):
                return True
            chosen.pop()
    return False
