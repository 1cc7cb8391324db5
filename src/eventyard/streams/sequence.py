"""Sequence numbers: 56 decimal digits, as AWS's are, increasing along a shard.

AWS's sequence numbers are the decimal form of a 188-bit number whose first hex digit is a version
(``2``), which makes every one of them exactly 56 digits long (between 2^185 and 3 * 2^184), so they
compare the same as numbers and as strings. Eventyard's follow that shape with a layout of its own::

    bits 184-187  version 2
    bits 148-179  the shard's creation time, epoch seconds
    bits 116-147  the shard's index (shardId-000000000007 -> 7)
    bits  52-115  the record's position in the shard: 1, 2, 3... (0 is the shard's start)
    bits   0-51   the stream's tag, a random number drawn when the stream was created

Within a shard only the position varies, so sequence numbers increase with it. The position is
allocated by the put transaction from the shard's row (``last_seq``), which every writer updates
under the row's lock: two nodes writing one shard get disjoint, increasing positions, and a later
position can only commit after an earlier one. A child shard is younger than its parent or has a
higher index, so its numbers sort after the parent's. The tag tells a sequence number of another
stream (or of a stream deleted and created again under the same name) from one of this stream.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = 2
_VERSION_SHIFT = 184
_CREATED_SHIFT = 148
_INDEX_SHIFT = 116
_POSITION_SHIFT = 52
_MASK_32 = (1 << 32) - 1
_MASK_64 = (1 << 64) - 1
TAG_BITS = 52
_TAG_MASK = (1 << TAG_BITS) - 1
DIGITS = 56
#: The largest position a shard can reach (a signed 64-bit column, with room to spare).
MAX_POSITION = 2**62


def shard_base(created_s: int, shard_index: int, stream_tag: int) -> int:
    """Every field of a shard's sequence numbers but the position: ``base | position << 52`` is one."""
    return (
        (VERSION << _VERSION_SHIFT)
        | ((created_s & _MASK_32) << _CREATED_SHIFT)
        | ((shard_index & _MASK_32) << _INDEX_SHIFT)
        | (stream_tag & _TAG_MASK)
    )


def format_sequence(base: int, position: int) -> str:
    return str(base | (position << _POSITION_SHIFT))


@dataclass(frozen=True, slots=True)
class SequenceNumber:
    """A sequence number taken apart."""

    created_s: int
    shard_index: int
    position: int
    stream_tag: int


def parse_sequence(text: str) -> SequenceNumber | None:
    """The parts of a sequence number Eventyard minted, or None when ``text`` is not one."""
    if len(text) != DIGITS or not text.isdigit():
        return None
    value = int(text)
    if value >> _VERSION_SHIFT != VERSION or (value >> (_CREATED_SHIFT + 32)) & 0xF:
        return None
    position = (value >> _POSITION_SHIFT) & _MASK_64
    if position > MAX_POSITION:  # never minted: positions are BIGINT in the database
        return None
    return SequenceNumber(
        created_s=(value >> _CREATED_SHIFT) & _MASK_32,
        shard_index=(value >> _INDEX_SHIFT) & _MASK_32,
        position=position,
        stream_tag=value & _TAG_MASK,
    )
