"""The lease taker's plan and the lineage rule, as pure functions."""

from __future__ import annotations

from typing import Any

from eventyard.kcl.balance import plan
from eventyard.kcl.lineage import eligible_shards

SHARDS = [f"s{i}" for i in range(4)]


def test_a_worker_alone_wants_every_shard() -> None:
    moves = plan("a", SHARDS, {}, set())
    assert moves.take == SHARDS and moves.wanted == 4 and moves.steal is None


def test_free_leases_come_before_stealing() -> None:
    moves = plan("b", SHARDS, {"s0": "a", "s1": "a", "s2": "a"}, set())
    assert moves.take == ["s3"] and moves.wanted == 2 and moves.steal is None


def test_a_worker_below_its_share_steals_one_from_the_most_loaded() -> None:
    moves = plan("c", SHARDS, {"s0": "a", "s1": "a", "s2": "a", "s3": "b"}, set())
    assert moves.take == [] and moves.steal == ("s2", "a")


def test_no_steal_that_would_only_move_the_imbalance() -> None:
    holders = {"s0": "a", "s1": "a", "s2": "b"}
    assert plan("b", SHARDS[:3], holders, {"s2"}).steal is None, "2 and 1 of 3 is as even as it gets"


def test_a_worker_at_its_share_takes_nothing() -> None:
    holders = {"s0": "a", "s1": "a", "s2": "b", "s3": "b"}
    moves = plan("a", SHARDS, holders, {"s0", "s1"})
    assert moves.take == [] and moves.steal is None


def test_a_lease_of_ours_not_processed_here_counts_as_free() -> None:
    moves = plan("a", SHARDS[:1], {"s0": "a"}, set())
    assert moves.take == ["s0"]


def _shard(index: int, *parents: str, closed: bool = False) -> dict[str, Any]:
    shard: dict[str, Any] = {"ShardId": f"shardId-{index:012d}", "SequenceNumberRange": {"StartingSequenceNumber": "1"}}
    if parents:
        shard["ParentShardId"] = parents[0]
    if len(parents) > 1:
        shard["AdjacentParentShardId"] = parents[1]
    if closed:
        shard["SequenceNumberRange"]["EndingSequenceNumber"] = "2"
    return shard


P0, P1 = "shardId-000000000000", "shardId-000000000001"
SPLIT = [_shard(0, closed=True), _shard(1, P0), _shard(2, P0)]


def test_children_wait_until_the_parent_is_at_shard_end() -> None:
    assert [e.shard_id for e in eligible_shards(SPLIT, {}, "TRIM_HORIZON")] == [P0]
    assert [e.shard_id for e in eligible_shards(SPLIT, {P0: "4967"}, "TRIM_HORIZON")] == [P0]
    children = eligible_shards(SPLIT, {P0: "SHARD_END"}, "TRIM_HORIZON")
    assert [(e.shard_id, e.start) for e in children] == [(P1, "TRIM_HORIZON"), ("shardId-000000000002", "TRIM_HORIZON")]


def test_a_merge_waits_for_both_parents() -> None:
    merged = [_shard(0, closed=True), _shard(1, closed=True), _shard(2, P0, P1)]
    assert [e.shard_id for e in eligible_shards(merged, {P0: "SHARD_END"}, "TRIM_HORIZON")] == [P1]
    both = {P0: "SHARD_END", P1: "SHARD_END"}
    assert [e.shard_id for e in eligible_shards(merged, both, "TRIM_HORIZON")] == ["shardId-000000000002"]


def test_a_parent_past_retention_holds_nothing_back() -> None:
    assert [e.shard_id for e in eligible_shards(SPLIT[1:], {}, "TRIM_HORIZON")] == [P1, "shardId-000000000002"]


def test_latest_skips_closed_shards_never_read_and_starts_their_children_at_latest() -> None:
    found = eligible_shards(SPLIT, {}, "LATEST")
    assert [(e.shard_id, e.start) for e in found] == [(P1, "LATEST"), ("shardId-000000000002", "LATEST")]
    assert [e.shard_id for e in eligible_shards(SPLIT, {P0: "LATEST"}, "LATEST")] == [P0], "a parent being read"
