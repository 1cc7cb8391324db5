"""Leases: work that one node (or one worker) at a time may do, held until an expiry and renewed.

A timer is work that comes due; a lease is work that goes on: a stream shard read by one consumer,
a poller that must run on one node. Claim, renew and release are each one statement (see
:mod:`.store`). A holder that dies stops renewing, its lease expires, and anyone may claim it:
there is no leader. ``holder`` defaults to this node; a consumer library passes its worker's name.

A lease may carry a checkpoint: how far its work got, kept after the lease ends, and recorded only
by its holder (:meth:`Leases.checkpoint_in` renews the lease and writes the checkpoint in one
transaction). :meth:`Leases.steal_in` takes a live lease from a named holder, for a consumer library
that balances its leases across workers.

Each method comes twice: ``await leases.claim(...)`` in a transaction of its own, and
``leases.claim_in(connection, ...)`` inside a job that must commit other writes with it (a
checkpoint recorded only while the lease is still held).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from eventyard.kernel import store

if TYPE_CHECKING:
    from typing import Any

    from eventyard.kernel.engine import Kernel


class Leases:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def _holder(self, holder: str | None) -> str:
        return holder or self.kernel.node

    # --- inside a job -------------------------------------------------------------------------------

    def claim_in(self, c: Any, owner: str, key: str, seconds: float, holder: str | None = None) -> bool:
        now = self.kernel.clock.now()
        return store.claim_lease(c, owner, key, self._holder(holder), now, now + seconds)

    def renew_in(self, c: Any, owner: str, key: str, seconds: float, holder: str | None = None) -> bool:
        return store.renew_lease(c, owner, key, self._holder(holder), self.kernel.clock.now() + seconds)

    def steal_in(self, c: Any, owner: str, key: str, victim: str, seconds: float, holder: str | None = None) -> bool:
        """Take the lease from ``victim`` if it still holds it (live or not); True when ours now."""
        return store.steal_lease(c, owner, key, victim, self._holder(holder), self.kernel.clock.now() + seconds)

    def checkpoint_in(
        self, c: Any, owner: str, key: str, position: str, seconds: float, holder: str | None = None
    ) -> bool:
        """Renew the lease and record ``position`` as its checkpoint; False (nothing written) when the
        lease is not ours any more."""
        holder = self._holder(holder)
        if not store.renew_lease(c, owner, key, holder, self.kernel.clock.now() + seconds):
            return False
        store.set_checkpoint(c, owner, key, position, holder, self.kernel.clock.now())
        return True

    def start_checkpoint_in(self, c: Any, owner: str, key: str, position: str, holder: str | None = None) -> str:
        """The lease's checkpoint, first recording ``position`` when it has none; returns it."""
        return store.start_checkpoint(c, owner, key, position, self._holder(holder), self.kernel.clock.now())

    def release_in(self, c: Any, owner: str, key: str, holder: str | None = None) -> bool:
        return store.release_lease(c, owner, key, self._holder(holder))

    # --- each in its own transaction ----------------------------------------------------------------

    async def claim(self, owner: str, key: str, seconds: float, holder: str | None = None) -> bool:
        """Take the lease for ``seconds`` if it is free, expired or already ours; True when held now."""
        return await self.kernel.db.write(lambda c: self.claim_in(c, owner, key, seconds, holder))

    async def renew(self, owner: str, key: str, seconds: float, holder: str | None = None) -> bool:
        """Extend a lease we hold; False when it is not ours any more (it expired and was taken)."""
        return await self.kernel.db.write(lambda c: self.renew_in(c, owner, key, seconds, holder))

    async def steal(self, owner: str, key: str, victim: str, seconds: float, holder: str | None = None) -> bool:
        return await self.kernel.db.write(lambda c: self.steal_in(c, owner, key, victim, seconds, holder))

    async def checkpoint(self, owner: str, key: str, position: str, seconds: float, holder: str | None = None) -> bool:
        """Record a checkpoint while holding the lease (see :meth:`checkpoint_in`)."""
        return await self.kernel.db.write(lambda c: self.checkpoint_in(c, owner, key, position, seconds, holder))

    async def checkpoint_of(self, owner: str, key: str) -> str | None:
        """The checkpoint recorded for ``key`` (None when none was)."""
        return await self.kernel.db.read(partial(store.checkpoint_of, owner=owner, key=key))

    async def checkpoints(self, owner: str) -> dict[str, str]:
        """key -> checkpoint of every lease of ``owner`` that recorded one, held or not."""
        return await self.kernel.db.read(partial(store.checkpoints_of, owner=owner))

    async def release(self, owner: str, key: str, holder: str | None = None) -> bool:
        return await self.kernel.db.write(lambda c: self.release_in(c, owner, key, holder))

    async def holder(self, owner: str, key: str) -> str | None:
        """Who holds the lease now (None when nobody does)."""
        return await self.kernel.db.read(partial(store.lease_holder, owner=owner, key=key, now=self.kernel.clock.now()))

    async def held(self, owner: str) -> list[tuple[str, str, float]]:
        """(key, holder, expires_at) of every live lease of ``owner``."""
        return await self.kernel.db.read(partial(store.leases_of, owner=owner, now=self.kernel.clock.now()))
