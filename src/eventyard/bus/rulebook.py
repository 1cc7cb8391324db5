"""The matcher cache: each bus's enabled pattern rules compiled into one ``RuleMachine``.

Rules live in storage; PutEvents must not read them per event. A bus's book is loaded on first
use and then kept current in place by every rule change made through this node (``add``/``remove``
on the machine: no rebuild). On PostgreSQL other nodes change rules too, so a book older than
``max_age`` seconds is reloaded there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from eventyard.bus import store
from eventyard.bus.patterns import parse_pattern
from eventyard.bus.patterns.machine import RuleMachine

Key = tuple[str, str, str]  # account, region, bus


@dataclass
class Book:
    machine: RuleMachine = field(default_factory=RuleMachine)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> rule document (with Targets)
    loaded_at: float = 0.0
    #: The sources its enabled rules can match, None for any (see :meth:`may_match_source`).
    _sources: set[str] | None = field(default=None, init=False, repr=False)
    _sources_known: bool = field(default=False, init=False, repr=False)

    def may_match_source(self, source: str) -> bool:
        """False when no enabled rule can match an event of ``source``: each pattern names its
        ``source`` as a list of exact values, and none is ``source``. Lets a caller skip building
        events nothing wants (the execution status changes of every workflow)."""
        if not self._sources_known:
            self._sources = _sources_of(self.rules.values())
            self._sources_known = True
        return self._sources is None or source in self._sources

    def rules_changed(self) -> None:
        self._sources_known = False


class RuleBook:
    def __init__(self, *, max_age: float | None = None) -> None:
        self._books: dict[Key, Book] = {}
        self.max_age = max_age

    def cached(self, key: Key, now: float) -> Book | None:
        book = self._books.get(key)
        if book is not None and self.max_age is not None and now - book.loaded_at > self.max_age:
            return None
        return book

    def load(self, key: Key, connection: Any, now: float) -> Book:
        """Build a bus's book from storage (runs inside a db job)."""
        account, region, bus = key
        book = Book(loaded_at=now)
        for rule in store.listing(connection, account, region, "rule", bus):
            _place(book, rule)
        self._books[key] = book
        return book

    def changed(self, key: Key, rule: dict[str, Any] | None, name: str) -> None:
        """A rule was put (``rule``) or deleted (None) through this node: update the cached book."""
        book = self._books.get(key)
        if book is None:
            return
        if name in book.machine:
            book.machine.remove(name)
        book.rules.pop(name, None)
        book.rules_changed()
        if rule is not None:
            _place(book, rule)

    def forget(self, key: Key) -> None:
        self._books.pop(key, None)


def _place(book: Book, rule: dict[str, Any]) -> None:
    book.rules[rule["Name"]] = rule
    book.rules_changed()
    if rule.get("State", "ENABLED") != "DISABLED" and rule.get("EventPattern"):
        book.machine.add(rule["Name"], parse_pattern(rule["EventPattern"]))


def _sources_of(rules: Any) -> set[str] | None:
    """The exact sources enabled pattern rules match; None when one may match any source."""
    sources: set[str] = set()
    for rule in rules:
        if rule.get("State", "ENABLED") == "DISABLED" or not rule.get("EventPattern"):
            continue
        try:
            pattern = orjson.loads(rule["EventPattern"])
        except orjson.JSONDecodeError:
            return None
        named = pattern.get("source") if isinstance(pattern, dict) else None
        if not isinstance(named, list) or not named or not all(isinstance(value, str) for value in named):
            return None  # no source, or a source matched by an operator ($or, prefix, anything-but...)
        if "$or" in pattern:
            return None
        sources.update(named)
    return sources
