"""How event and pattern values are compared: leaf keys, comparable numbers and IP addresses.

EventBridge (event-ruler underneath) compares a string as its quoted JSON text and a number as its
text or, when it can, as a *comparable number*: the value times 10**6 as an integer, allowed only
between -5e9 and +5e9 with at most six decimal places. So ``"404"`` never equals ``404``, ``250``
equals ``250.0``, and ``true`` is neither the string ``"true"`` nor the number 1.

Here every event leaf becomes one hashable *key* of a distinct Python type per JSON kind, so one
dict lookup does what the quoted-text comparison does, without building quoted strings:

- ``str`` for a JSON string;
- ``int`` for a number that has a comparable form (the scaled value);
- ``NumberText`` for any other number (compared by its canonical text, as AWS compares texts);
- the ``TRUE``/``FALSE``/``NULL`` singletons for the literals.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from decimal import Decimal, InvalidOperation
from typing import Final, NamedTuple

SCALE: Final = 1_000_000
FIVE_BILLION: Final = 5_000_000_000
NUMBER_LIMIT: Final = FIVE_BILLION * SCALE  # bounds of a scaled comparable number, inclusive
_MAX_DECIMALS: Final = 6


class NumberText(NamedTuple):
    """A number with no comparable form (too big, or more than six decimals): matched by its text."""

    text: str


class JsonLiteral:
    """``true``, ``false`` and ``null``: each equal only to itself, never to a number or string."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


TRUE: Final = JsonLiteral("true")
FALSE: Final = JsonLiteral("false")
NULL: Final = JsonLiteral("null")

LeafKey = str | int | NumberText | JsonLiteral


def scaled_number(number: Decimal) -> int | None:
    """The comparable form of ``number`` (value * 10**6), or None when AWS cannot compare it."""
    if not number.is_finite():
        return None
    shifted = number.scaleb(_MAX_DECIMALS)
    if shifted != shifted.to_integral_value():
        return None
    scaled = int(shifted)
    if -NUMBER_LIMIT <= scaled <= NUMBER_LIMIT:
        return scaled
    return None


def number_key(value: int | float) -> int | NumberText:
    """The key of an event number, as parsed by ``json``/``orjson`` (int or float)."""
    if type(value) is int:
        if -FIVE_BILLION <= value <= FIVE_BILLION:
            return value * SCALE
        return NumberText(str(value))
    assert isinstance(value, float)
    if value.is_integer() and -FIVE_BILLION <= value <= FIVE_BILLION:
        return int(value) * SCALE
    text = repr(value)
    try:
        scaled = scaled_number(Decimal(text))
    except InvalidOperation:  # inf/nan never come from JSON, but stay safe
        scaled = None
    return NumberText(text) if scaled is None else scaled


def number_text_key(text: str) -> int | NumberText:
    """The key of a number written in a pattern, given its JSON source text."""
    is_integer = not any(c in text for c in ".eE")
    return number_key(int(text) if is_integer else float(text))


def leaf_key(value: object) -> LeafKey | None:
    """The key of an event leaf value, or None for an object or array (not a leaf)."""
    if type(value) is str:
        return value
    if value is True:
        return TRUE
    if value is False:
        return FALSE
    if value is None:
        return NULL
    if type(value) is int or type(value) is float:
        return number_key(value)
    return None


# --- IP addresses -----------------------------------------------------------------------------------

_IPV4_SHAPE: Final = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6_SHAPE: Final = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")


_read_ipv4: Final = socket.inet_pton
_IPV4: Final = socket.AF_INET


class IpAddress(NamedTuple):
    """An address as (width in bits, integer value); IPv4 and IPv6 never compare equal."""

    bits: int
    value: int


def looks_like_ip(text: str) -> bool:
    """event-ruler's shape test, done before any attempt to read an address."""
    return bool(_IPV4_SHAPE.fullmatch(text) or _IPV6_SHAPE.fullmatch(text))


def parse_ip(text: str) -> IpAddress | None:
    """The address ``text`` spells, or None; decimal IPv4 parts may carry leading zeros (as Java reads them)."""
    found = read_ip(text)
    return None if found is None else IpAddress(*found)


def read_ip(text: str) -> tuple[int, int] | None:
    """``parse_ip`` as a plain (bits, value) tuple, cheaper to make for every event address."""
    try:  # the common case: strict dotted decimal (no leading zeros), read by the C library
        return 32, int.from_bytes(_read_ipv4(_IPV4, text), "big")
    except (OSError, ValueError):  # not one; ValueError: a NUL or a lone surrogate in the text
        pass
    if _IPV4_SHAPE.fullmatch(text):
        parts = [int(part) for part in text.split(".")]
        if any(part > 255 for part in parts):
            return None
        return 32, (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]
    if _IPV6_SHAPE.fullmatch(text):
        try:
            address = ipaddress.IPv6Address(text)
        except ValueError:
            return None
        if address.ipv4_mapped is not None:  # Java hands back the IPv4 address for ::ffff:a.b.c.d
            return 32, int(address.ipv4_mapped)
        return 128, int(address)
    return None


def event_ip(value: str) -> tuple[int, int] | None:
    """The (bits, value) address of an event string, cheaply rejecting strings that cannot be one."""
    if not value or not (value[0].isdigit() or value[0] in ":abcdefABCDEF"):
        return None
    return read_ip(value)
