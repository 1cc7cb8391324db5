"""How a worker balances leases with the others of its application, as the KCL's lease taker does.

The workers are those holding a live lease, and this one. Each aims at an even share, the number
of eligible shards divided by the workers, rounded up. A worker below its share first takes shards
nobody holds (never leased, released, or expired with a dead holder); only when there are none
does it steal, one lease per round, from the most loaded worker, and only when that leaves the
victim no worse off than the thief (so two workers never trade one lease back and forth). A worker
above its share gives nothing up by itself: the others steal from it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Moves:
    """What a worker should try this round: shards to take (in order, up to ``wanted``), one steal."""

    take: list[str] = field(default_factory=list)
    wanted: int = 0
    steal: tuple[str, str] | None = None  # (shard, victim)


def plan(me: str, eligible: list[str], holders: dict[str, str], mine: set[str]) -> Moves:
    """``holders``: shard -> holder of its live lease; ``mine``: the shards this worker processes."""
    live = {shard: holder for shard, holder in holders.items() if shard in eligible}
    for shard, holder in list(live.items()):
        if holder == me and shard not in mine:  # ours in the table, not processed here (a restart)
            del live[shard]
    counts = Counter(live.values())
    counts[me] = len(mine)
    target = math.ceil(len(eligible) / len(counts)) if eligible else 0
    wanted = target - len(mine)
    if wanted <= 0:
        return Moves()
    free = [shard for shard in eligible if shard not in live]
    if free:
        return Moves(take=free, wanted=wanted)
    others = [(count, worker) for worker, count in counts.items() if worker != me]
    if not others:
        return Moves()
    most, victim = max(others)
    if most > target or (most == target and wanted > 1):
        shard = max(shard for shard, holder in live.items() if holder == victim)
        return Moves(steal=(shard, victim))
    return Moves()
