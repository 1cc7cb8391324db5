"""Benchmark of the compiled pattern matcher (``RuleMachine``) on city-lot-like events.

Events imitate event-ruler's citylots corpus (GeoJSON features of San Francisco lots: MAPBLKLOT,
BLKLOT, BLOCK_NUM, LOT_NUM, FROM_ST, TO_ST, STREET, ODD_EVEN, a polygon) inside the EventBridge
envelope, with a source IP and the lot's ARN in ``resources``.

Rule sets of 1, 100, 1,000 and 10,000 rules read the same fields with the same operators:

- rule 0, in every set, is a broad monitoring rule over every field: exact, prefix, suffix,
  equals-ignore-case, wildcard, anything-but, numeric ranges, exists (true and false), cidr, ``$or``,
  a value list and fields inside event arrays (``resources``, the polygon's coordinates). It is the
  whole 1-rule set, so even one rule makes the matcher read every field;
- every further rule takes one of 15 shapes in turn (``_specific_shapes``): each combines one
  selective anchor (a lot, a block and a street range, an address block ...) expressed with a
  different operator, so each rule matches a couple of events in a million, as rules on a real bus
  target specific values. Matches per event therefore stay roughly constant as rules are added
  (the table reports them), instead of growing with the rule count.

Reported: events/s on already-parsed events, events/s including ``orjson.loads``, matches per
event, the operator mix of the 10,000-rule set, and the growth of the per-event cost from 1 to
10,000 rules (goal: at most 2x), with the reference matcher run on a sample as a baseline, and
whether the matcher ran compiled (mypyc, see setup.py) or as pure Python.
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections import Counter
from collections.abc import Callable

import orjson

from eventyard.bus.patterns import machine as machine_module
from eventyard.bus.patterns import matches, parse_pattern
from eventyard.bus.patterns.machine import RuleMachine

STREETS = ["MARKET ST", "MISSION ST", "VALENCIA ST", "GEARY BLVD", "FOLSOM ST", "HOWARD ST", "UNKNOWN", "LOMBARD ST"]
RULE_COUNTS = (1, 100, 1_000, 10_000)
OPERATORS = (
    "exact",
    "value list",
    "prefix",
    "suffix",
    "equals-ignore-case",
    "wildcard",
    "anything-but",
    "numeric",
    "exists",
    "cidr",
    "$or",
    "array field",
)
ARRAY_FIELDS = ("resources", "coordinates")


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
        "resources": [f"arn:aws:geo:us-east-1:000000000000:lot/{block}{lot}"],
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


def monitoring_rule() -> str:
    """Rule 0: broad, multi-field, every operator (it matches about 4% of the events)."""
    return json.dumps(
        {
            "source": ["sf.citylots"],
            "detail-type": [{"equals-ignore-case": "citylot"}],
            "resources": [{"prefix": "arn:aws:geo:"}],
            "detail": {
                "type": ["Feature"],
                "properties": {
                    "STREET": [{"suffix": " ST"}, {"prefix": "GEARY"}],
                    "ODD_EVEN": [{"anything-but": "O"}],
                    "FROM_ST": [{"numeric": [">=", 100, "<", 3000]}],
                    "SRC_IP": [{"cidr": "10.0.0.0/8"}],
                    "LOT_NUM": [{"exists": True}],
                    "NOTE": [{"exists": False}],
                    "MAPBLKLOT": [{"wildcard": "*0*"}],
                    "BLKLOT": [{"anything-but": {"suffix": "0"}}],
                    "$or": [{"BLOCK_NUM": [{"prefix": "0"}, {"prefix": "1"}]}, {"TO_ST": [{"numeric": [">", 3000]}]}],
                },
                "geometry": {"type": ["Polygon", "MultiPolygon"], "coordinates": [{"numeric": ["<", -122.40]}]},
            },
        }
    )


def _props(**fields: list) -> dict:
    return {"detail": {"properties": fields}}


def _with_source(pattern: dict) -> dict:
    return {"source": ["sf.citylots"], **pattern}


def _specific_shapes(rng: random.Random) -> list[Callable[[], dict]]:
    """Each shape anchors a rule on specific values through a different operator (see the module doc)."""

    def block() -> str:
        return f"{rng.randrange(1, 8000):04d}"

    def lot() -> str:
        return f"{rng.randrange(1, 300):03d}"

    def street() -> str:
        return rng.choice(STREETS)

    def start() -> int:
        return rng.randrange(4000)

    def near(low: int) -> list:
        return [">=", low, "<", low + 3]

    return [
        lambda: _with_source(_props(MAPBLKLOT=[block() + lot()], STREET=[street()])),
        lambda: _props(BLOCK_NUM=[{"prefix": block()[:3]}], FROM_ST=[{"numeric": near(start())}], ODD_EVEN=["E"]),
        lambda: _props(MAPBLKLOT=[{"suffix": block()[1:] + lot()}], STREET=[{"suffix": street()[-2:]}]),
        lambda: _props(BLKLOT=[{"equals-ignore-case": block() + lot()}], STREET=[{"equals-ignore-case": street()}]),
        lambda: _props(
            BLOCK_NUM=[block()], LOT_NUM=[lot()], STREET=[{"prefix": {"equals-ignore-case": street()[:4].lower()}}]
        ),
        lambda: _props(MAPBLKLOT=[block() + lot()], STREET=[{"suffix": {"equals-ignore-case": "st"}}]),
        lambda: _with_source(_props(MAPBLKLOT=[{"wildcard": f"{block()}*{lot()[-2:]}"}])),
        lambda: _props(
            BLKLOT=[block() + lot()],
            ODD_EVEN=[{"anything-but": "O"}],
            STREET=[{"anything-but": {"prefix": street()[:3]}}],
        ),
        lambda: _props(FROM_ST=[{"numeric": near(start())}], SRC_IP=[{"cidr": f"10.{rng.randrange(256)}.0.0/16"}]),
        lambda: _props(MAPBLKLOT=[block() + lot()], LOT_NUM=[{"exists": True}], NOTE=[{"exists": False}]),
        lambda: _props(
            SRC_IP=[{"cidr": f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/24"}],
            STREET=[{"prefix": street()[:2]}],
            TO_ST=[{"numeric": [">", 3000]}],
        ),
        lambda: _with_source(
            {"$or": [_props(MAPBLKLOT=[block() + lot()]), _props(BLOCK_NUM=[block()], LOT_NUM=[lot()])]}
        ),
        lambda: {
            "resources": [f"arn:aws:geo:us-east-1:000000000000:lot/{block()}{lot()}"],
            "detail": {"geometry": {"coordinates": [{"numeric": [">", -122.5, "<", -122.4]}]}},
        },
        lambda: _props(
            MAPBLKLOT=[block() + lot(), block() + lot(), block() + lot()], LOT_NUM=[{"anything-but": [lot()]}]
        ),
        lambda: _props(
            BLOCK_NUM=[block()],
            LOT_NUM=[{"prefix": lot()[:2]}],
            ODD_EVEN=["O"],
            STREET=[{"anything-but": {"wildcard": "*ST"}}],
            FROM_ST=[{"exists": True}],
        ),
    ]


def rules(rng: random.Random, count: int) -> list[str]:
    """Rule 0 then specific rules cycling through every shape."""
    shapes = _specific_shapes(rng)
    texts = [monitoring_rule()]
    texts.extend(json.dumps(shapes[(number - 1) % len(shapes)]()) for number in range(1, count))
    return texts


def operator_mix(texts: list[str]) -> Counter[str]:
    """How many rules use each operator (a rule counts once per operator it uses)."""
    mix: Counter[str] = Counter()
    for text in texts:
        used: set[str] = set()
        _collect(json.loads(text), used, "")
        mix.update(used)
    return mix


def _collect(node: object, used: set[str], key: str) -> None:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "$or":
                used.add("$or")
            elif isinstance(value, list):
                if key in ARRAY_FIELDS or name in ARRAY_FIELDS:
                    used.add("array field")
                if sum(not isinstance(item, dict) for item in value) > 1:
                    used.add("value list")
                for item in value:
                    if isinstance(item, dict):
                        used.update(op for op in item if op in OPERATORS)
                    else:
                        used.add("exact")
            _collect(value, used, name)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and not set(item) & set(OPERATORS):
                _collect(item, used, key)


PASSES = 3  # each rate is the best of this many passes over all events (the machine is shared)


def _timed(machine: RuleMachine, events: list) -> tuple[float, int]:
    best, matched = float("inf"), 0
    for _ in range(PASSES):
        gc.collect()
        matched = 0
        start = time.perf_counter()
        for event in events:
            matched += len(machine.match(event))
        best = min(best, time.perf_counter() - start)
    return best, matched


def _timed_raw(machine: RuleMachine, raw: list[bytes]) -> float:
    best = float("inf")
    loads = orjson.loads
    for _ in range(PASSES):
        gc.collect()
        start = time.perf_counter()
        for data in raw:
            machine.match(loads(data))
        best = min(best, time.perf_counter() - start)
    return best


def run(quick: bool = False) -> str:
    """Run the benchmark and return a markdown report (``quick`` uses 5k events instead of 100k)."""
    rng = random.Random(20260101)
    event_count = 5_000 if quick else 100_000
    events = [city_lot(rng, number) for number in range(event_count)]
    raw = [orjson.dumps(event) for event in events]
    rule_texts = rules(rng, max(RULE_COUNTS))
    patterns = [parse_pattern(text) for text in rule_texts]

    rows = []
    per_event: dict[int, float] = {}
    for count in RULE_COUNTS:
        machine = RuleMachine()
        start = time.perf_counter()
        for number in range(count):
            machine.add(number, patterns[number])
        build = time.perf_counter() - start
        _timed(machine, events[:500])  # warm up lazily built indexes
        elapsed, matched = _timed(machine, events)
        with_parse = _timed_raw(machine, raw)
        per_event[count] = elapsed / event_count
        rows.append(
            f"| {count:,} | {event_count / elapsed:,.0f} | {1e6 * elapsed / event_count:.2f} | "
            f"{event_count / with_parse:,.0f} | {matched / event_count:.4f} | {build * 1000:.0f} ms |"
        )

    sample = events[:200]
    start = time.perf_counter()
    for event in sample:
        for pattern in patterns[:100]:
            matches(pattern, event)
    reference_rate = len(sample) / (time.perf_counter() - start)

    mix = operator_mix(rule_texts)
    largest = max(RULE_COUNTS)
    growth = per_event[largest] / per_event[min(RULE_COUNTS)]
    return "\n".join(
        [
            f"### Pattern matching: {event_count:,} city-lot events, one core (best of {PASSES} passes)",
            "",
            "| rules | events/s (parsed) | µs/event | events/s (incl. orjson.loads) | matches/event | build |",
            "|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Per-event cost growth 1 -> {largest:,} rules: **{growth:.2f}x** (goal <= 2x); "
            f"at {largest:,} rules {1 / per_event[largest]:,.0f} events/s (goal >= 100,000).",
            f"Operator mix of the {largest:,}-rule set (rules using each; the 1-rule set uses all of them): "
            + ", ".join(f"{name} {mix[name]:,}" for name in OPERATORS)
            + ".",
            f"Baseline: the reference matcher trying 100 rules one by one manages {reference_rate:,.0f} events/s.",
            "The matcher ran "
            + ("compiled by mypyc (setup.py)." if machine_module.__file__.endswith(".so") else "as pure Python."),
        ]
    )


if __name__ == "__main__":
    print(run(quick=True))
