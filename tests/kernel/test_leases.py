"""Leases: one holder at a time, until it stops renewing; then anyone may take it. No leader."""

from __future__ import annotations

import eventyard
from eventyard.clock import VirtualClock


async def test_a_lease_has_one_holder_until_it_expires(yard: eventyard.Yard, clock: VirtualClock) -> None:
    leases = yard.kernel.leases
    assert await leases.claim("streams.shard", "clicks/0", 10, holder="worker-a")
    assert not await leases.claim("streams.shard", "clicks/0", 10, holder="worker-b")
    assert await leases.holder("streams.shard", "clicks/0") == "worker-a"
    assert await leases.claim("streams.shard", "clicks/0", 10, holder="worker-a"), "claiming one's own renews it"
    clock.advance(11)
    assert await leases.holder("streams.shard", "clicks/0") is None
    assert not await leases.renew("streams.shard", "clicks/0", 10, holder="worker-b")
    assert await leases.claim("streams.shard", "clicks/0", 10, holder="worker-b"), "an expired lease is anyone's"
    assert not await leases.renew("streams.shard", "clicks/0", 10, holder="worker-a"), "the old holder lost it"


async def test_renewing_keeps_a_lease_and_releasing_frees_it_at_once(yard: eventyard.Yard, clock: VirtualClock) -> None:
    leases = yard.kernel.leases
    assert await leases.claim("streams.shard", "s", 10, holder="a")
    clock.advance(8)
    assert await leases.renew("streams.shard", "s", 10, holder="a")
    clock.advance(8)
    assert await leases.holder("streams.shard", "s") == "a"
    assert not await leases.release("streams.shard", "s", holder="b"), "only the holder releases"
    assert await leases.release("streams.shard", "s", holder="a")
    assert await leases.claim("streams.shard", "s", 10, holder="b")
    assert await leases.held("streams.shard") == [("s", "b", clock.now() + 10)]


async def test_the_default_holder_is_this_node(yard: eventyard.Yard) -> None:
    assert await yard.kernel.leases.claim("bus.poller", "only-one", 30)
    assert await yard.kernel.leases.holder("bus.poller", "only-one") == yard.kernel.node


async def test_a_lease_and_other_writes_commit_together(yard: eventyard.Yard) -> None:
    leases = yard.kernel.leases

    def checkpoint(c) -> bool:  # record progress only while the lease is still ours
        if not leases.renew_in(c, "streams.shard", "s", 10, holder="a"):
            return False
        c.execute("INSERT INTO kernel_leases (owner, key, holder, expires_at) VALUES ('note', 'k', 'a', 0)")
        return True

    assert not await yard.db.write(checkpoint), "not holding the lease: nothing is written"
    assert await leases.claim("streams.shard", "s", 10, holder="a")
    assert await yard.db.write(checkpoint)


async def test_a_live_lease_is_stolen_only_from_its_holder(yard: eventyard.Yard, clock: VirtualClock) -> None:
    leases = yard.kernel.leases
    assert await leases.claim("kcl", "s", 10, holder="a")
    assert not await leases.steal("kcl", "s", "b", 10, holder="c"), "b does not hold it"
    assert await leases.steal("kcl", "s", "a", 10, holder="c")
    assert await leases.holder("kcl", "s") == "c"
    assert not await leases.renew("kcl", "s", 10, holder="a"), "the victim finds out when it renews"


async def test_a_checkpoint_is_recorded_only_by_the_holder_and_outlives_the_lease(
    yard: eventyard.Yard, clock: VirtualClock
) -> None:
    leases = yard.kernel.leases
    assert await leases.claim("kcl", "s", 10, holder="a")
    assert await leases.checkpoint("kcl", "s", "42", 10, holder="a")
    assert not await leases.checkpoint("kcl", "s", "99", 10, holder="b")
    assert await leases.checkpoint_of("kcl", "s") == "42"
    assert await leases.release("kcl", "s", holder="a")
    clock.advance(60)
    assert await leases.checkpoints("kcl") == {"s": "42"}
    assert not await leases.checkpoint("kcl", "s", "43", 10, holder="a"), "released: not a's to move"
    assert await leases.claim("kcl", "s", 10, holder="b")
    assert await yard.db.write(lambda c: leases.start_checkpoint_in(c, "kcl", "s", "TRIM_HORIZON", "b")) == "42"
