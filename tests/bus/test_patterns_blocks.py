"""``Blocks``: address ranges cut into aligned blocks find exactly the ranges holding an address."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from eventyard.bus.patterns.segments import Blocks, tiles

BITS = 12  # small addresses keep the search space dense; the arithmetic is the same at 32 or 128 bits
address = st.integers(0, 2**BITS - 1)
span = st.tuples(address, address).map(sorted)


@settings(max_examples=300, deadline=None)
@given(span)
def test_the_tiles_of_a_range_cover_it_exactly_with_aligned_blocks(bounds: list[int]) -> None:
    low, high = bounds
    covered = []
    for shift, prefix in tiles(low, high):
        start = prefix << shift
        assert start % (1 << shift) == 0
        covered.extend(range(start, start + (1 << shift)))
    assert covered == list(range(low, high + 1))


@settings(max_examples=200, deadline=None)
@given(st.lists(span, min_size=1, max_size=8), st.lists(address, min_size=1, max_size=20), st.data())
def test_blocks_find_the_ranges_holding_an_address_also_after_removals(
    spans: list[list[int]], points: list[int], data: st.DataObject
) -> None:
    blocks = Blocks()
    held = list(enumerate(spans))
    for item, (low, high) in held:
        blocks.add(low, high, item)
    removed = data.draw(st.sets(st.sampled_from([item for item, _ in held])))
    for item, (low, high) in held:
        if item in removed:
            blocks.remove(low, high, item)
    for point in points:
        expected = sorted(item for item, (low, high) in held if item not in removed and low <= point <= high)
        assert sorted(blocks.states(point)) == expected
    assert bool(blocks) == (len(removed) < len(held))


def test_the_usual_cidr_blocks_cost_one_lookup_per_size() -> None:
    blocks = Blocks()
    for number in range(256):
        blocks.add(10 << 24 | number << 16, 10 << 24 | number << 16 | 0xFFFF, f"/16 {number}")  # 10.n.0.0/16
        blocks.add(10 << 24 | number << 8, 10 << 24 | number << 8 | 0xFF, f"/24 {number}")  # 10.0.n.0/24
    assert sorted(blocks.by_shift) == [8, 16]
    assert sorted(blocks.states(10 << 24 | 7 << 8 | 9)) == ["/16 0", "/24 7"]  # 10.0.7.9
