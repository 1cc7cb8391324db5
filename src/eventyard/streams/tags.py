"""Tag checks shared by every resource that carries tags (streams, consumers, queues).

Kinesis checks tag characters twice, and words the two refusals differently: a character outside
letters, digits, white space and ``_ . / = + - % @ :`` gets "Some tags contain invalid characters",
and then a ``%`` gets "... because some tags contained illegal characters" (AWS's own inconsistency,
recorded by suites that run against it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from eventyard.streams.errors import InvalidArgumentException, too_many_tags

MAX_TAGS = 50
_PUNCTUATION = frozenset("_./=+-%@:")


def _valid(text: str) -> bool:
    return all(ch.isalnum() or ch in _PUNCTUATION or unicodedata.category(ch) == "Zs" for ch in text)


def check_tag_text(texts: Iterable[str], verb: str, name: str, account: str) -> None:
    texts = list(texts)
    if not all(_valid(text) for text in texts):
        raise InvalidArgumentException(
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space,"
            " _ . / = + - % @."
        )
    if any("%" in text for text in texts):
        raise InvalidArgumentException(
            f"Failed to {verb} stream {name} under account {account} because some tags contained illegal"
            " characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'."
        )


def check_tags(tags: dict[str, str], verb: str, name: str, account: str) -> dict[str, str]:
    check_tag_text([*tags, *tags.values()], verb, name, account)
    if len(tags) > MAX_TAGS:
        raise too_many_tags(verb, name, account, MAX_TAGS)
    return dict(tags)


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]
