"""Identifiers: request ids, message ids, event ids, receipt nonces.

They only need to be unique and unguessable in practice, and they are minted on every hot path
(each request, message and event), where ``uuid.uuid4()`` and ``os.urandom`` cost ~10 µs a call
here. A PRNG seeded from the OS (and re-seeded in forked children) is an order of magnitude cheaper.
"""

from __future__ import annotations

import itertools
import os
import random

_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))  # forked workers must not share ids


def new_uuid() -> str:
    """A version-4-shaped UUID in its usual text form, as AWS's ids look."""
    text = f"{_random.getrandbits(128):032x}"
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{'89ab'[int(text[16], 16) & 3]}{text[17:20]}-{text[20:]}"


def random_hex(bits: int) -> str:
    """``bits`` random bits as lower-case hex."""
    return f"{_random.getrandbits(bits):0{(bits + 3) // 4}x}"


class RequestIds:
    """UUID-shaped ids from a random per-instance prefix and a counter, ~5x cheaper than
    :func:`new_uuid`: unique within the process, and across processes by the random prefix. For ids
    that must be unique but need not be unguessable (request, message and event ids; receipt
    handles carry their own random nonce)."""

    def __init__(self) -> None:
        text = f"{_random.getrandbits(80):020x}"
        self._prefix = f"{text[:8]}-{text[8:12]}-4{text[13:16]}-a{text[17:20]}-"
        self._counter = itertools.count(_random.getrandbits(32))

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFF:012x}"


_sequential = RequestIds()
os.register_at_fork(after_in_child=lambda: globals().__setitem__("_sequential", RequestIds()))


def new_id() -> str:
    """A UUID-shaped id unique in this process and, by its random prefix, across processes."""
    return _sequential.next()
