"""``python -m bench [NAME ...] [--quick]``: run benchmarks side by side and print markdown tables.

Each ``bench/<name>.py`` has ``run(quick) -> str``. Without names, every benchmark runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

BENCHMARKS = [
    "gateway", "queues", "events", "streams", "topics", "patterns", "workflows", "interpreter", "functions", "mappings",
]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", default=BENCHMARKS)
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    args = parser.parse_args(argv)
    for name in args.names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            print(f"## {name}\n\n(not available yet)\n")
            continue
        started = time.perf_counter()
        print(f"## {name}\n", flush=True)
        print(module.run(quick=args.quick), flush=True)
        print(f"\n({time.perf_counter() - started:.0f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
