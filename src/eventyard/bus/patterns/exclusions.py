"""``anything-but`` in all its forms, matched as "every state here minus those the key excludes".

Each anything-but matcher lets every leaf through except those it excludes: listed keys, or strings
with a listed prefix or suffix, equal ignoring case, or matching a wildcard. Rather than asking each
matcher in turn, the exclusions of all matchers of one field sit in lookup structures (a dict, prefix
and suffix tables, wildcards bucketed by their literal head or tail), so one key finds the few
matchers that exclude it; every other state is accepted. The cost is the number of states let
through, which go on to be matched anyway.

A state normally has one anything-but matcher; when its condition lists several, it is accepted if
any one of them does not exclude the key (the matchers of a condition are alternatives).
"""

from __future__ import annotations

from typing import Any

from eventyard.bus.patterns.model import (
    AnythingBut,
    AnythingButIgnoreCase,
    AnythingButPrefix,
    AnythingButSuffix,
    AnythingButWildcard,
    Matcher,
)
from eventyard.bus.patterns.segments import Affixes
from eventyard.bus.patterns.values import LeafKey

State = Any
Token = tuple[Matcher, State]  # one anything-but matcher of one state


class Exclusions:
    """The anything-but matchers of one field at one state."""

    __slots__ = ("ignore_case", "keys", "matchers", "prefixes", "suffixes", "wildcard_heads", "wildcard_tails")

    def __init__(self) -> None:
        self.matchers: dict[State, int] = {}  # state -> how many anything-but matchers it has here
        self.keys: dict[LeafKey, list[Token]] = {}
        self.ignore_case: dict[str, list[Token]] = {}
        self.prefixes = Affixes()
        self.suffixes = Affixes()
        self.wildcard_heads = Affixes()  # items are (wildcard, token): candidates still run as regexes
        self.wildcard_tails = Affixes()

    def __bool__(self) -> bool:
        return bool(self.matchers)

    def add(self, matcher: Matcher, state: State) -> None:
        self.matchers[state] = self.matchers.get(state, 0) + 1
        self._change(matcher, (matcher, state), adding=True)

    def remove(self, matcher: Matcher, state: State) -> None:
        left = self.matchers[state] - 1
        if left:
            self.matchers[state] = left
        else:
            del self.matchers[state]
        self._change(matcher, (matcher, state), adding=False)

    def _change(self, matcher: Matcher, token: Token, adding: bool) -> None:
        kind = type(matcher)
        if kind is AnythingBut:
            for key in matcher.keys:  # type: ignore[attr-defined]
                _edit(self.keys, key, token, adding)
        elif kind is AnythingButIgnoreCase:
            for text in matcher.texts:  # type: ignore[attr-defined]
                _edit(self.ignore_case, text, token, adding)
        elif kind is AnythingButPrefix or kind is AnythingButSuffix:
            table = self.prefixes if kind is AnythingButPrefix else self.suffixes
            for text in matcher.texts:  # type: ignore[attr-defined]
                (table.add if adding else table.remove)(text, token)
        elif kind is AnythingButWildcard:
            for wildcard in matcher.wildcards:  # type: ignore[attr-defined]
                head, tail = wildcard.parts[0], wildcard.parts[-1]
                table, text = (self.wildcard_heads, head) if head or not tail else (self.wildcard_tails, tail)
                (table.add if adding else table.remove)(text, (wildcard, token))
        else:  # pragma: no cover - FieldIndex only hands anything-but matchers here
            raise TypeError(f"not an anything-but matcher: {matcher!r}")

    def accepting(self, key: LeafKey, found: list[State]) -> None:
        """Append every state with an anything-but matcher here that does not exclude ``key``."""
        excluded: list[Token] = []
        hit = self.keys.get(key)
        if hit:
            excluded.extend(hit)
        if type(key) is str:
            if self.ignore_case:
                hit = self.ignore_case.get(key.lower())
                if hit:
                    excluded.extend(hit)
            if self.prefixes:
                self.prefixes.starting(key, excluded)
            if self.suffixes:
                self.suffixes.ending(key, excluded)
            if self.wildcard_heads or self.wildcard_tails:
                candidates: list[tuple[Any, Token]] = []
                self.wildcard_heads.starting(key, candidates)
                self.wildcard_tails.ending(key, candidates)
                excluded.extend(token for wildcard, token in candidates if wildcard.regex.fullmatch(key) is not None)
        if not excluded:
            found.extend(self.matchers)
            return
        hits: dict[State, set[Matcher]] = {}
        for matcher, state in excluded:
            hits.setdefault(state, set()).add(matcher)
        found.extend(state for state, count in self.matchers.items() if len(hits.get(state, ())) < count)


def _edit(table: dict[Any, list[Token]], key: object, token: Token, adding: bool) -> None:
    if adding:
        table.setdefault(key, []).append(token)
    else:
        entries = table[key]
        entries.remove(token)
        if not entries:
            del table[key]
