"""Workers SIGKILLed mid-stream: their successors resume from the checkpoints and lose no record.

On SQLite (one process at a time) each run replaces the killed one; on PostgreSQL two workers run
side by side, and the survivor or a newcomer takes a killed worker's shards over once its leases
expire.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import eventyard
from eventyard.yard import SERVICES
from tests.harness.stores import POSTGRES, store_url

ROOT = Path(__file__).resolve().parents[2]
RECORDS = 400


class Run:
    """A worker process and the lines (shard, sequence number, data) it printed."""

    def __init__(self, url: str, name: str) -> None:
        self.name = name
        self.lines: list[tuple[str, str, str]] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.kcl.crash_worker", url, name],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            shard, sequence, data = line.split()
            self.lines.append((shard, sequence, data))

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._reader.join(5)
        assert self.process.stdout is not None
        self.process.stdout.close()


def _wait(condition: object, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)


async def _fill(url: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr("eventyard.yard.SERVICES", {"kinesis": SERVICES["kinesis"]})
    async with eventyard.open(url) as yard:
        kinesis = yard.client("kinesis")
        await kinesis.create_stream(StreamName="clicks", ShardCount=2)
        data = [f"r{i}" for i in range(RECORDS)]
        for start in range(0, RECORDS, 100):
            entries = [{"Data": d.encode(), "PartitionKey": d} for d in data[start : start + 100]]
            await kinesis.put_records(StreamName="clicks", Records=entries)
    return data


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_killed_workers_resume_from_their_checkpoints_without_losing_records(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kind == "postgres" and not POSTGRES and not os.environ.get("EVENTYARD_REQUIRE_POSTGRES"):
        pytest.skip("PostgreSQL not configured")
    with store_url(kind, tmp_path) as url:
        data = asyncio.run(_fill(url, monkeypatch))
        side_by_side = 2 if kind == "postgres" else 1
        runs = [Run(url, f"w{i}") for i in range(side_by_side)]
        live = list(runs)
        seen = lambda: {d for run in runs for _, _, d in run.lines if d != "checkpoint"}  # noqa: E731
        try:
            for kill in range(3):  # kill the oldest worker once it has made progress, start another
                victim = live.pop(0)
                progress = len(victim.lines)
                _wait(lambda v=victim, p=progress: len(v.lines) >= p + 40)
                victim.kill()
                fresh = Run(url, f"w{side_by_side + kill}")
                runs.append(fresh)
                live.append(fresh)
            _wait(lambda: seen() >= set(data), 90)
        finally:  # a failing test leaves no worker behind
            for run in runs:
                if run.process.poll() is None:
                    run.kill()
        lost = set(data) - seen()
        assert not lost, f"{len(lost)} records never processed, e.g. {sorted(lost)[:5]}"
        # where each shard's records lie, and which of them a checkpoint may have been recorded at
        order: dict[str, list[int]] = {}
        for run in runs:
            for shard, sequence, what in run.lines:
                if what != "checkpoint":
                    order.setdefault(shard, []).append(int(sequence))
        checkpoints = {(s, int(q)) for run in runs for s, q, what in run.lines if what == "checkpoint"}
        for shard, sequences in order.items():
            ordered = sorted(set(sequences))
            allowed = {ordered[0]} | {
                ordered[i + 1] for i in range(len(ordered) - 1) if (shard, ordered[i]) in checkpoints
            }
            for run in runs:
                mine = [int(q) for s, q, what in run.lines if s == shard and what != "checkpoint"]
                if not mine:
                    continue
                assert mine == sorted(set(mine)), f"{run.name} read {shard} out of order"
                assert mine[0] in allowed, f"{run.name} started {shard} neither at its start nor after a checkpoint"
        deliveries = sum(1 for run in runs for _, _, d in run.lines if d != "checkpoint")
        assert deliveries - RECORDS <= 10 * 2 * 2 * 4, "duplicates: at most a batch per shard per takeover"
