"""Per-shard throughput limits of provisioned streams, emulated only when asked for.

AWS limits each shard to 1 MiB/s and 1,000 records/s of writes (data plus partition key) and to
2 MiB/s and 5 GetRecords calls/s of reads; beyond them it answers
ProvisionedThroughputExceededException (a PutRecords entry fails alone). With
``EVENTYARD_KINESIS_THROUGHPUT_LIMITS=1`` Eventyard does the same with token buckets that refill
continuously on the yard's clock and hold one second's worth. Buckets are per node: on PostgreSQL
with several nodes a shard accepts up to the limit on each node. On-demand streams are not limited.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventyard.clock import Clock

WRITE_BYTES_PER_SECOND = 1024 * 1024
WRITE_RECORDS_PER_SECOND = 1000
READ_BYTES_PER_SECOND = 2 * 1024 * 1024
READ_CALLS_PER_SECOND = 5


@dataclass
class _Bucket:
    rate: float
    tokens: float
    at: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now


class Throughput:
    def __init__(self, clock: Clock, *, enabled: bool = False) -> None:
        self.clock = clock
        self.enabled = enabled
        self._buckets: dict[tuple[int, str], _Bucket] = {}

    def _bucket(self, shard_row: int, kind: str, rate: float) -> _Bucket:
        now = self.clock.now()
        bucket = self._buckets.get((shard_row, kind))
        if bucket is None:
            bucket = self._buckets[(shard_row, kind)] = _Bucket(rate, rate, now)
        else:
            bucket.refill(now)
        return bucket

    def admit_write(self, shard_row: int, size: int) -> bool:
        """Take one record of ``size`` bytes from the shard's write allowance; False when over it."""
        if not self.enabled:
            return True
        records = self._bucket(shard_row, "write-records", WRITE_RECORDS_PER_SECOND)
        volume = self._bucket(shard_row, "write-bytes", WRITE_BYTES_PER_SECOND)
        if records.tokens < 1 or volume.tokens < size:
            return False
        records.tokens -= 1
        volume.tokens -= size
        return True

    def admit_read(self, shard_row: int) -> bool:
        """One GetRecords call on the shard: False past 5 calls/s, or while the shard's 2 MiB/s of
        reads is spent (a large read makes the next calls wait, as on AWS)."""
        if not self.enabled:
            return True
        calls = self._bucket(shard_row, "read-calls", READ_CALLS_PER_SECOND)
        volume = self._bucket(shard_row, "read-bytes", READ_BYTES_PER_SECOND)
        if calls.tokens < 1 or volume.tokens <= 0:
            return False
        calls.tokens -= 1
        return True

    def charge_read(self, shard_row: int, size: int) -> None:
        if self.enabled:
            self._bucket(shard_row, "read-bytes", READ_BYTES_PER_SECOND).tokens -= size
