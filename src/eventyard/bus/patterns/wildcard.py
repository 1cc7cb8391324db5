"""Wildcard values: AWS's syntax rules, the compiled form, and the complexity limit.

Syntax (event-ruler's WildcardParser, positions counted in the UTF-8 bytes of the value *with* its
surrounding quotes, as AWS reports them): ``*`` matches any run of characters; two ``*`` in a row are
refused ("Consecutive wildcard characters at pos N"); a backslash may only escape ``*`` or ``\\``
("Invalid escape character at pos N").

Complexity: EventBridge refuses a rule whose wildcards could keep too many partial matches alive at
once ("Rule is too complex - try using fewer wildcard characters or fewer repeating character
sequences after a wildcard character"). event-ruler measures this as the largest number of
wildcard-pattern states one input can occupy simultaneously, counting a state that loops on any
character (the state of a ``*``) together with its loop. We compute that number exactly for the
wildcards of one field of one rule by exploring the subsets of pattern positions any input can
reach. AWS does not publish its threshold; ``MAX_COMPLEXITY`` is set so that AWS's documented
refusal (``*:*:*:*:*:event-bus/*``) is refused and its accepted examples (including repeated
sequences after one wildcard) pass.
"""

from __future__ import annotations

import re

from eventyard.bus.patterns.model import Wildcard

MAX_COMPLEXITY = 10
TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences "
    "after a wildcard character"
)
_STAR = None  # marks a wildcard position in a parsed value


class WildcardSyntaxError(ValueError):
    """A value that breaks the wildcard syntax; ``str()`` is AWS's message."""


def parse_wildcard(text: str) -> Wildcard:
    """Check ``text`` against AWS's wildcard syntax and compile it."""
    parts: list[str] = []
    current: list[str] = []
    chars = list(text)
    byte_offsets = []  # where each character starts in the quoted UTF-8 value AWS counts in
    offset = 1
    for char in chars:
        byte_offsets.append(offset)
        offset += len(char.encode())
    index = 0
    while index < len(chars):
        char = chars[index]
        if char == "*":
            if index + 1 < len(chars) and chars[index + 1] == "*":
                raise WildcardSyntaxError(f"Consecutive wildcard characters at pos {byte_offsets[index]}")
            parts.append("".join(current))
            current = []
        elif char == "\\":
            if index + 1 < len(chars) and chars[index + 1] in "*\\":
                current.append(chars[index + 1])
                index += 1
            else:
                raise WildcardSyntaxError(f"Invalid escape character at pos {byte_offsets[index]}")
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    regex = re.compile(".*".join(re.escape(part) for part in parts), re.DOTALL)
    return Wildcard(text=text, parts=tuple(parts), regex=regex)


def complexity(wildcards: list[Wildcard], limit: int = MAX_COMPLEXITY) -> int:
    """The largest weighted number of states the wildcards of one field can occupy at once (capped above ``limit``).

    Each wildcard is a chain of positions over its literal characters; a ``*`` position loops on any
    character and weighs 2 (the state and its loop), any other position weighs 1. We explore every set
    of positions some input reaches, with the input alphabet reduced to the characters the patterns
    name plus one "other" character.
    """
    chains: list[list[str | None]] = []
    for wildcard in wildcards:
        if len(wildcard.parts) < 2:
            continue  # no wildcard character: an exact value, no non-determinism
        chain: list[str | None] = []
        for number, part in enumerate(wildcard.parts):
            if number:
                chain.append(_STAR)
            chain.extend(part)
        chains.append(chain)
    if not chains:
        return 0
    alphabet = {c for chain in chains for c in chain if c is not None}
    alphabet.add("\x00other")

    def closure(states: set[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        # a star position can be skipped (it matches the empty run)
        todo = list(states)
        seen = set(states)
        while todo:
            which, at = todo.pop()
            chain = chains[which]
            if at < len(chain) and chain[at] is _STAR and (which, at + 1) not in seen:
                seen.add((which, at + 1))
                todo.append((which, at + 1))
        return frozenset(seen)

    def weight(states: frozenset[tuple[int, int]]) -> int:
        total = 0
        for which, at in states:
            chain = chains[which]
            if at < len(chain):
                total += 2 if chain[at] is _STAR else 1
        return total

    start = closure({(which, 0) for which in range(len(chains))})
    seen_sets = {start}
    todo = [start]
    worst = weight(start)
    while todo:
        states = todo.pop()
        for char in alphabet:
            moved: set[tuple[int, int]] = set()
            for which, at in states:
                chain = chains[which]
                if at >= len(chain):
                    continue
                step = chain[at]
                if step is _STAR:
                    moved.add((which, at))
                elif step == char:
                    moved.add((which, at + 1))
            if not moved:
                continue
            reached = closure(moved)
            if reached in seen_sets:
                continue
            worst = max(worst, weight(reached))
            if worst > limit or len(seen_sets) > 20_000:
                return limit + 1
            seen_sets.add(reached)
            todo.append(reached)
    return worst
