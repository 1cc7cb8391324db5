"""The retention sweep: records past their stream's retention are deleted every few minutes.

Reads never return such records and puts trim the shards they write to; this kernel job is for
shards nobody writes to any more, so storage does not keep what retention gave up. One timer, fired
by whichever node claims it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventyard.kernel import Firing, Job

if TYPE_CHECKING:
    from eventyard.streams.service import StreamService

SWEEP_SECONDS = 300.0


class RetentionSweep(Job):
    owner = "kinesis.retention"
    concurrency = 1

    def __init__(self, service: StreamService) -> None:
        self.service = service
        self.kernel = service.yard.kernel

    async def arm(self) -> None:
        due = self.kernel.clock.now() + SWEEP_SECONDS
        await self.kernel.db.write(lambda c: self.kernel.ensure(c, self.owner, "sweep", due))

    async def fire(self, firing: Firing) -> None:
        await self.service.trim_expired(firing.now)
        firing.rearm(firing.timer, firing.now + SWEEP_SECONDS)
