"""Shard iterators: opaque base64 tokens that say where in which shard the next GetRecords reads.

An iterator carries everything GetRecords needs without a lookup table: the shard's row, the
stream's tag (a shard row of a deleted stream may be reused), the position after which to read,
when it was issued (iterators expire after five minutes), and the account and stream name for
AWS's error messages. A checksum makes a mangled or invented token read as AWS's "Invalid
ShardIterator." instead of as some other shard's position. Nothing is stored: any node can serve
any iterator, before and after a restart.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from dataclasses import dataclass

from eventyard.streams.errors import invalid_iterator

_VERSION = 1
_HEAD = struct.Struct(">BQIQQQ")  # version, shard row, shard index, position, issued (ms), stream tag
_CHECK = struct.Struct(">I")
_SALT = b"eventyard-kinesis-iterator"
_BIGINT = 2**63  # what a database integer holds: a forged iterator must not reach past it


@dataclass(frozen=True, slots=True)
class ShardIterator:
    shard_row: int
    shard_index: int
    position: int  # GetRecords returns records with positions after this one
    issued_ms: int
    stream_tag: int
    account: str
    stream_name: str

    @property
    def shard_id(self) -> str:
        return f"shardId-{self.shard_index:012d}"

    def encode(self) -> str:
        names = f"{self.account}/{self.stream_name}".encode()
        head = _HEAD.pack(_VERSION, self.shard_row, self.shard_index, self.position, self.issued_ms, self.stream_tag)
        body = head + names
        return base64.b64encode(body + _CHECK.pack(zlib.crc32(_SALT + body))).decode("ascii")

    def moved_to(self, position: int, issued_ms: int) -> ShardIterator:
        return ShardIterator(
            self.shard_row, self.shard_index, position, issued_ms, self.stream_tag, self.account, self.stream_name
        )


def decode_iterator(token: str) -> ShardIterator:
    """The iterator in ``token``; AWS's InvalidArgumentException when it is not one of ours.

    AWS accepts an iterator wrapped in double quotes (a common copy-paste from JSON), so do we.
    """
    text = token.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_iterator()
    if len(raw) < _HEAD.size + _CHECK.size:
        raise invalid_iterator()
    body, check = raw[: -_CHECK.size], raw[-_CHECK.size :]
    if _CHECK.unpack(check)[0] != zlib.crc32(_SALT + body):
        raise invalid_iterator()
    version, shard_row, shard_index, position, issued_ms, stream_tag = _HEAD.unpack(body[: _HEAD.size])
    account, slash, name = body[_HEAD.size :].decode("utf-8", "replace").partition("/")
    if version != _VERSION or not slash or max(shard_row, position, issued_ms) >= _BIGINT:
        raise invalid_iterator()
    return ShardIterator(shard_row, shard_index, position, issued_ms, stream_tag, account, name)
