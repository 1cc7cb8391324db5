"""Benchmark of the compiled pattern matcher (``RuleMachine``) on city-lot-like events.

Events imitate event-ruler's citylots corpus (GeoJSON features of San Francisco lots: MAPBLKLOT,
BLKLOT, BLOCK_NUM, LOT_NUM, FROM_ST, TO_ST, STREET, ODD_EVEN, a polygon) inside the EventBridge
envelope. Rule sets of 1, 100, 1,000 and 10,000 rules mix every operator (exact, prefix, suffix,
equals-ignore-case, prefix/suffix ignoring case, wildcard, anything-but in its forms, numeric
ranges, exists, cidr, ``$or``), each anchored on a selective field as real rules are.

Reported: events/s on already-parsed events, events/s including ``orjson.loads``, matches per
event, and the growth of the per-event cost from 1 to 10,000 rules (goal: at most 2x), with the
reference matcher run on a sample as a baseline and a cProfile line saying what dominates.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import random
import time

import orjson

from eventyard.bus.patterns import matches, parse_pattern
from eventyard.bus.patterns.machine import RuleMachine

STREETS = ["MARKET ST", "MISSION ST", "VALENCIA ST", "GEARY BLVD", "FOLSOM ST", "HOWARD ST", "UNKNOWN", "LOMBARD ST"]
RULE_COUNTS = (1, 100, 1_000, 10_000)


def city_lot(rng: random.Random, number: int) -> dict:
    """One lot as PutEvents would deliver it."""
    block = f"{rng.randrange(1, 8000):04d}"
    lot = f"{rng.randrange(1, 300):03d}"
    lon, lat = -122.5 + rng.random() * 0.15, 37.7 + rng.random() * 0.1
    ring = [[round(lon + dx, 6), round(lat + dy, 6), 0.0] for dx, dy in ((0, 0), (1e-4, 0), (1e-4, 1e-4), (0, 1e-4))]
    from_st = rng.randrange(0, 4000)
    return {
        "version": "0",
        "id": f"6f87d04b-9f74-4f04-a780-{number:012d}",
        "detail-type": "CityLot",
        "source": "sf.citylots",
        "account": "000000000000",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "type": "Feature",
            "properties": {
                "MAPBLKLOT": block + lot,
                "BLKLOT": block + lot,
                "BLOCK_NUM": block,
                "LOT_NUM": lot,
                "FROM_ST": from_st,
                "TO_ST": from_st + rng.randrange(0, 40),
                "STREET": rng.choice(STREETS),
                "ODD_EVEN": rng.choice("EO"),
                "SRC_IP": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
            },
            "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        },
    }


def _props(**fields: list) -> dict:
    return {"source": ["sf.citylots"], "detail": {"properties": fields}}


def rule(rng: random.Random, number: int) -> str:
    """One selective rule; the operator cycles so every rule set mixes all of them."""
    block = f"{rng.randrange(1, 8000):04d}"
    lot = f"{rng.randrange(1, 300):03d}"
    street = rng.choice(STREETS)
    start = rng.randrange(4000)
    kind = number % 14
    shapes = [
        lambda: _props(MAPBLKLOT=[block + lot]),
        lambda: _props(BLOCK_NUM=[block], STREET=[{"prefix": street[:3]}]),
        lambda: _props(BLOCK_NUM=[block], STREET=[{"suffix": street[-3:]}]),
        lambda: _props(BLKLOT=[block + lot], STREET=[{"equals-ignore-case": street.lower()}]),
        lambda: _props(BLOCK_NUM=[block], STREET=[{"prefix": {"equals-ignore-case": street[:4].lower()}}]),
        lambda: _props(BLOCK_NUM=[block], STREET=[{"suffix": {"equals-ignore-case": street[-2:].lower()}}]),
        lambda: _props(MAPBLKLOT=[{"wildcard": f"{block}*{lot[-1]}"}]),
        lambda: _props(BLKLOT=[block + lot], ODD_EVEN=[{"anything-but": "O"}]),
        lambda: _props(BLOCK_NUM=[block], STREET=[{"anything-but": {"prefix": street[:2]}}]),
        lambda: _props(FROM_ST=[{"numeric": [">=", start, "<", start + 2.5]}]),
        lambda: _props(MAPBLKLOT=[block + lot], LOT_NUM=[{"exists": True}], TO_ST=[{"exists": False}, 12]),
        lambda: _props(BLOCK_NUM=[block], SRC_IP=[{"cidr": f"10.{rng.randrange(256)}.0.0/16"}]),
        lambda: {"$or": [_props(MAPBLKLOT=[block + lot]), _props(BLKLOT=[block + "001"], ODD_EVEN=["E"])]},
        lambda: _props(BLOCK_NUM=[block], STREET=[{"anything-but": {"wildcard": "*ST"}}]),
    ]
    return json.dumps(shapes[kind]())


def _timed(machine: RuleMachine, events: list) -> tuple[float, int]:
    matched = 0
    start = time.perf_counter()
    for event in events:
        matched += len(machine.match(event))
    return time.perf_counter() - start, matched


def _timed_raw(machine: RuleMachine, raw: list[bytes]) -> float:
    start = time.perf_counter()
    loads = orjson.loads
    for data in raw:
        machine.match(loads(data))
    return time.perf_counter() - start


def _profile(machine: RuleMachine, events: list) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for event in events:
        machine.match(event)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:4]  # type: ignore[attr-defined]
    total = sum(row[1][2] for row in stats.stats.items()) or 1.0  # type: ignore[attr-defined]
    return ", ".join(f"{func[2]} {100 * tottime / total:.0f}%" for func, (_, _, tottime, _, _) in rows)


def run(quick: bool = False) -> str:
    """Run the benchmark and return a markdown report (``quick`` uses 5k events instead of 100k)."""
    rng = random.Random(20260101)
    event_count = 5_000 if quick else 100_000
    events = [city_lot(rng, number) for number in range(event_count)]
    raw = [orjson.dumps(event) for event in events]
    rule_texts = [rule(rng, number) for number in range(max(RULE_COUNTS))]
    patterns = [parse_pattern(text) for text in rule_texts]

    rows = []
    per_event: dict[int, float] = {}
    profile_line = ""
    for count in RULE_COUNTS:
        machine = RuleMachine()
        start = time.perf_counter()
        for number in range(count):
            machine.add(number, patterns[number])
        build = time.perf_counter() - start
        _timed(machine, events[:500])  # warm up lazily built range indexes
        elapsed, matched = _timed(machine, events)
        with_parse = _timed_raw(machine, raw)
        per_event[count] = elapsed / event_count
        rows.append(
            f"| {count:,} | {event_count / elapsed:,.0f} | {event_count / with_parse:,.0f} | "
            f"{matched / event_count:.3f} | {build * 1000:.0f} ms |"
        )
        if count == max(RULE_COUNTS):
            profile_line = _profile(machine, events[: min(event_count, 20_000)])

    sample = events[:200]
    start = time.perf_counter()
    for event in sample:
        for pattern in patterns[:100]:
            matches(pattern, event)
    reference_rate = len(sample) / (time.perf_counter() - start)

    growth = per_event[max(RULE_COUNTS)] / per_event[min(RULE_COUNTS)]
    return "\n".join(
        [
            f"### Pattern matching: {event_count:,} city-lot events, one core",
            "",
            "| rules | events/s (parsed) | events/s (incl. orjson.loads) | matches/event | build |",
            "|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Per-event cost growth 1 -> 10,000 rules: **{growth:.2f}x** (goal <= 2x); "
            f"at 10,000 rules {1 / per_event[max(RULE_COUNTS)]:,.0f} events/s (goal >= 100,000). "
            f"Growth 100 -> 10,000 rules: {per_event[max(RULE_COUNTS)] / per_event[100]:.2f}x (one rule reads only "
            "2 event fields; every set of 100+ reads all 10, and matches per event grow with the rule count).",
            f"Baseline: the reference matcher trying 100 rules one by one manages {reference_rate:,.0f} events/s.",
            f"What dominates at 10,000 rules (cProfile tottime): {profile_line}.",
        ]
    )


if __name__ == "__main__":
    print(run(quick=True))
