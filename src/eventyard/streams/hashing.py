"""Hash keys: where a record goes.

Kinesis maps a partition key to a 128-bit integer, the MD5 of its UTF-8 bytes read big-endian, and a
record to the open shard whose hash key range holds that integer (or the ExplicitHashKey, when the
producer gives one). A stream of N shards splits 0..2^128-1 into N ranges of floor(2^128 / N) keys,
the last one taking the remainder, as AWS does.
"""

from __future__ import annotations

from hashlib import md5

from eventyard.streams.errors import InvalidArgumentException

HASH_SPACE = 1 << 128
MAX_HASH_KEY = HASH_SPACE - 1


def partition_hash(partition_key: str | bytes) -> int:
    """The hash key of a partition key: the MD5 of its UTF-8 bytes as a 128-bit big-endian integer."""
    key = partition_key if isinstance(partition_key, bytes) else encode_key(partition_key)
    return int.from_bytes(md5(key).digest(), "big")


def encode_key(partition_key: str) -> bytes:
    return partition_key.encode("utf-8", "surrogatepass")


def decode_key(stored: bytes | memoryview) -> str:
    return bytes(stored).decode("utf-8", "surrogatepass")


def explicit_hash(text: str) -> int:
    """An ExplicitHashKey (digits, checked by the model) as an integer; AWS's error when out of range."""
    value = int(text)
    if value > MAX_HASH_KEY:
        raise InvalidArgumentException(
            f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {text}"
        )
    return value


def even_ranges(count: int, start: int = 0, end: int = MAX_HASH_KEY) -> list[tuple[int, int]]:
    """``count`` adjacent ranges covering start..end, each floor(size / count) keys, the last one the rest."""
    step = (end - start + 1) // count
    ranges = [(start + i * step, start + (i + 1) * step - 1) for i in range(count)]
    ranges[-1] = (ranges[-1][0], end)
    return ranges
