"""PutRecord and PutRecords staged: checked now, written in another service's transaction.

A rule's Kinesis target stages PutRecords so that the bus writes the records in the transaction
that accepts the events, and a workflow's ``aws-sdk:kinesis:putRecord(s)`` task stages them so that
they commit with the task's success: exactly once (see :mod:`eventyard.staging`). The checks,
the routing and the throughput admission are PutRecord's own (:mod:`.writing`); positions are taken
when written, so the answer (sequence numbers) is known only then. A shard closed by a reshard
between staging and writing raises :class:`~eventyard.streams.record_store.ShardClosed` from the
write: the bus falls back to a delivery, which routes again; a workflow step runs again.
"""

from __future__ import annotations

from typing import Any

from eventyard.service import RequestContext
from eventyard.staging import StagedCall
from eventyard.streams.errors import ProvisionedThroughputExceededException
from eventyard.streams.model import Stream
from eventyard.streams.record_store import ShardClosed, put_in
from eventyard.streams.writing import Placement, Writing


class StagedPuts(Writing):
    async def stage_put_record(self, context: RequestContext, request: dict[str, Any]) -> StagedCall:
        stream, entry = await self._record_to_put(context, request)
        placement = self._plan(stream, [entry])
        if placement.refused:
            raise ProvisionedThroughputExceededException(placement.refused[0])

        def write(c: Any) -> dict[str, Any]:
            return self._record_answer(stream, self._write_placed(c, stream, placement))

        return StagedCall(write, lambda: self._wake_readers(placement))

    async def stage_put_records(self, context: RequestContext, request: dict[str, Any]) -> StagedCall:
        stream, entries = await self._records_to_put(context, request)
        placement = self._plan(stream, entries)

        def write(c: Any) -> dict[str, Any]:
            return self._records_answer(stream, self._write_placed(c, stream, placement))

        refused = [str(position) for position in sorted(placement.refused)]
        return StagedCall(write, lambda: self._wake_readers(placement), refused=refused)

    def _write_placed(self, c: Any, stream: Stream, placement: Placement) -> list[tuple[str, str, str | None]]:
        try:
            stored = put_in(c, list(placement.batches.values()), self.now_ms(), placement.trims)
        except ShardClosed:
            self.forget(stream)  # the next call reads the stream as it is now
            raise
        return placement.answers(stored)
