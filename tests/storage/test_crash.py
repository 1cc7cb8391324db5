"""Durable means durable: whatever a write acknowledged is there after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eventyard.storage import open_database
from tests.harness.stores import POSTGRES, store_url
from tests.storage.test_database import KV

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_acknowledged_writes_survive_sigkill(kind: str, tmp_path: Path) -> None:
    if kind == "postgres" and not POSTGRES and not os.environ.get("EVENTYARD_REQUIRE_POSTGRES"):
        pytest.skip("PostgreSQL not configured")
    with store_url(kind, tmp_path) as url:
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.storage.crash_writer", url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        acknowledged: list[str] = []
        deadline = time.monotonic() + 30
        while len(acknowledged) < 2000 and time.monotonic() < deadline:
            line = writer.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        acknowledged += [line.strip() for line in writer.stdout.read().splitlines() if line.strip()]
        writer.stdout.close()
        assert len(acknowledged) >= 2000, "the writer did not get going"

        db = open_database(url)
        db.start([KV])
        try:
            stored = set(db.run_sync(lambda c: [row[0] for row in c.execute("SELECT k FROM kv").fetchall()]))
        finally:
            db.stop()
        lost = [key for key in acknowledged if key not in stored]
        assert not lost, f"{len(lost)} acknowledged writes lost after SIGKILL, e.g. {lost[:5]}"
