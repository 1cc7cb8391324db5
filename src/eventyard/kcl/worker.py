"""The worker: takes and keeps shard leases, runs a record processor per shard, checkpoints.

One round (:meth:`Worker.step`) renews the leases this worker holds (a lease it failed to renew
was taken: its processor gets ``lease_lost``), lists the stream's shards, works out which are
eligible (parents before children, :mod:`.lineage`) and balances leases with the other workers
(:mod:`.balance`), then reads one batch from each shard it holds. :meth:`Worker.run` does rounds
every ``idle_seconds`` on the yard's clock and renews leases every third of ``lease_seconds`` in a
task of its own, so that a slow batch does not let a lease expire; :meth:`Worker.shutdown` asks
each processor to checkpoint and lets the leases go.

Leases and checkpoints are the kernel's (``kernel_leases``, ``kernel_checkpoints``), under the
owner ``kcl/{account}/{region}/{application}/{stream}`` and the shard id as the key; the lease's
holder is the worker's id. A take is one transaction (claim the lease, record the starting
checkpoint if there is none); so is a steal, and so is a checkpoint (renew the lease, record it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from eventyard.ids import random_hex
from eventyard.kcl.balance import plan
from eventyard.kcl.lineage import eligible_shards
from eventyard.kcl.processor import LATEST, SHARD_END, TRIM_HORIZON, LeaseLost, call
from eventyard.kcl.shard_consumer import ShardConsumer
from eventyard.service import DEFAULT_ACCOUNT, DEFAULT_REGION
from eventyard.yard import Yard

log = logging.getLogger("eventyard.kcl")

#: The KCL's defaults: failover time 10 s, 1 s between reads, 10 000 records a read.
LEASE_SECONDS = 10.0
IDLE_SECONDS = 1.0
MAX_RECORDS = 10_000


class Worker:
    """Processes a stream with ``processor_factory()``'s processors, one per shard this worker leases.

    ``yard``: a :class:`~eventyard.yard.Yard` (in-process, started or not), or a database URL to open
    one on (the worker then owns it). Every worker of an application must reach the same database:
    the leases and checkpoints live there, and records are read through the yard's Kinesis API.
    """

    def __init__(
        self,
        application_name: str,
        stream_name: str,
        processor_factory: Callable[[], Any],
        *,
        yard: Yard | str,
        worker_id: str | None = None,
        initial_position: str = LATEST,
        lease_seconds: float = LEASE_SECONDS,
        idle_seconds: float = IDLE_SECONDS,
        max_records: int = MAX_RECORDS,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
    ) -> None:
        if initial_position not in (LATEST, TRIM_HORIZON):
            raise ValueError(f"initial_position must be {LATEST} or {TRIM_HORIZON}, not {initial_position!r}")
        self.application_name = application_name
        self.stream_name = stream_name
        self.processor_factory = processor_factory
        self._owns_yard = isinstance(yard, str)
        self.yard = Yard(yard) if isinstance(yard, str) else yard
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{random_hex(8)}"
        self.initial_position = initial_position
        self.lease_seconds = lease_seconds
        self.idle_seconds = idle_seconds
        self.max_records = max_records
        self.lease_owner = f"kcl/{account}/{region}/{application_name}/{stream_name}"
        self.kinesis = self.yard.client("kinesis", account=account, region=region)
        self.consumers: dict[str, ShardConsumer] = {}
        self._stopping = asyncio.Event()
        self._running = False
        self._ran = asyncio.Event()

    @property
    def shards(self) -> list[str]:
        """The shards this worker processes now."""
        return sorted(self.consumers)

    # --- one round ----------------------------------------------------------------------------------

    async def step(self) -> int:
        """Renew, balance, and read one batch from each shard held; returns the records delivered."""
        await self.yard.start()
        await self.renew()
        await self.balance()
        delivered = 0
        for shard_id in self.shards:
            consumer = self.consumers.get(shard_id)
            if consumer is not None:
                delivered += await self._poll(consumer)
        return delivered

    async def renew(self) -> None:
        """Renew every lease held; a processor whose lease is gone is told ``lease_lost``."""
        if not self.consumers:
            return
        held = list(self.consumers)
        leases = self.yard.kernel.leases

        def renew_all(c: Any) -> list[str]:
            return [s for s in held if not leases.renew_in(c, self.lease_owner, s, self.lease_seconds, self.id)]

        for shard_id in await self.yard.db.write(renew_all):
            await self._lost(shard_id)

    async def balance(self) -> None:
        """Take free leases up to an even share, or steal one from the most loaded worker."""
        leases = self.yard.kernel.leases
        checkpoints = await leases.checkpoints(self.lease_owner)
        shards = await self._list_shards()
        listed = {s["ShardId"] for s in shards}
        for gone in [s for s in self.consumers if s not in listed]:  # past retention: nothing left to read
            await self._lost(gone)
            await leases.release(self.lease_owner, gone, self.id)
        eligible = {e.shard_id: e.start for e in eligible_shards(shards, checkpoints, self.initial_position)}
        holders = {key: holder for key, holder, _ in await leases.held(self.lease_owner)}
        moves = plan(self.id, list(eligible), holders, set(self.consumers))
        taken = 0
        for shard_id in moves.take:
            if taken >= moves.wanted:
                break
            if await self._take(shard_id, eligible[shard_id], None):
                taken += 1
        if moves.steal is not None:
            shard_id, victim = moves.steal
            await self._take(shard_id, eligible[shard_id], victim)

    async def _take(self, shard_id: str, start: str, victim: str | None) -> bool:
        leases = self.yard.kernel.leases

        def take(c: Any) -> str | None:
            if victim is None:
                held = leases.claim_in(c, self.lease_owner, shard_id, self.lease_seconds, self.id)
            else:
                held = leases.steal_in(c, self.lease_owner, shard_id, victim, self.lease_seconds, self.id)
            return leases.start_checkpoint_in(c, self.lease_owner, shard_id, start, self.id) if held else None

        checkpoint = await self.yard.db.write(take)
        if checkpoint is None:
            return False
        if victim is not None:
            log.info("kcl: %s stole %s from %s", self.id, shard_id, victim)
        if checkpoint == SHARD_END:  # another worker finished it since this one looked
            await leases.release(self.lease_owner, shard_id, self.id)
            return False
        consumer = ShardConsumer(self, shard_id, self.processor_factory(), checkpoint)
        self.consumers[shard_id] = consumer
        try:
            await consumer.start()
        except Exception:
            log.exception("kcl: %s could not start %s; letting the lease go", self.id, shard_id)
            self.consumers.pop(shard_id, None)
            await leases.release(self.lease_owner, shard_id, self.id)
            return False
        return True

    async def _poll(self, consumer: ShardConsumer) -> int:
        try:
            delivered = await consumer.poll()
        except LeaseLost:
            await self._lost(consumer.shard_id)
            return 0
        except Exception:  # the batch is delivered again on the next poll
            log.exception("kcl: %s: processing %s failed", self.id, consumer.shard_id)
            return 0
        if consumer.finished:  # SHARD_END is recorded: the children may start
            self.consumers.pop(consumer.shard_id, None)
            await self.yard.kernel.leases.release(self.lease_owner, consumer.shard_id, self.id)
        return delivered

    async def _lost(self, shard_id: str) -> None:
        consumer = self.consumers.pop(shard_id, None)
        if consumer is None:
            return
        log.info("kcl: %s lost the lease of %s", self.id, shard_id)
        try:
            await call(consumer.processor.lease_lost)
        except Exception:
            log.exception("kcl: %s: lease_lost of %s failed", self.id, shard_id)

    async def _list_shards(self) -> list[dict[str, Any]]:
        answer = await self.kinesis.list_shards(StreamName=self.stream_name)
        shards: list[dict[str, Any]] = answer["Shards"]
        while answer.get("NextToken"):
            answer = await self.kinesis.list_shards(NextToken=answer["NextToken"])
            shards += answer["Shards"]
        return shards

    # --- running and stopping -----------------------------------------------------------------------

    async def run(self) -> None:
        """Do rounds until :meth:`shutdown`; leases are renewed meanwhile by a task of their own."""
        await self.yard.start()
        self._running = True
        renewer = asyncio.create_task(self._renew_forever(), name=f"kcl-renew-{self.id}")
        try:
            while not self._stopping.is_set():
                try:
                    delivered = await self.step()
                except Exception:
                    log.exception("kcl: %s: a round failed", self.id)
                    delivered = 0
                if not delivered:
                    await self._idle()
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            await self._shut_consumers()
            self._running = False
            self._ran.set()
            if self._owns_yard:
                await self.yard.close()

    async def _idle(self) -> None:
        sleeper = asyncio.ensure_future(self.yard.clock.sleep(self.idle_seconds))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({sleeper, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            stopping.cancel()

    async def _renew_forever(self) -> None:
        while True:
            await self.yard.clock.sleep(self.lease_seconds / 3)
            try:
                await self.renew()
            except Exception:
                log.exception("kcl: %s: renewing leases failed", self.id)

    async def shutdown(self) -> None:
        """Shut down cleanly: each processor's ``shutdown_requested`` may checkpoint (the default
        does, at the last record delivered), then every lease is released for the others at once."""
        self._stopping.set()
        if self._running:
            await self._ran.wait()
            return
        await self._shut_consumers()
        if self._owns_yard:
            await self.yard.close()

    async def _shut_consumers(self) -> None:
        leases = self.yard.kernel.leases
        for shard_id in self.shards:
            consumer = self.consumers.pop(shard_id, None)
            if consumer is None:
                continue
            try:
                await consumer.shutdown_requested()
            except LeaseLost:
                await call(consumer.processor.lease_lost)
                continue
            except Exception:
                log.exception("kcl: %s: shutdown_requested of %s failed", self.id, shard_id)
            await leases.release(self.lease_owner, shard_id, self.id)
