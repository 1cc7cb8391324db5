"""Servers to compare: Eventyard (durable SQLite, the default), a bare ASGI app, and peers when installed.

Peers are installed outside the repo as ../shared/bench/peers.md describes (ministack in
/tmp/peer-ministack, moto in /tmp/peer-moto); a peer that is not installed is left out of the table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.server import free_port

PEERS = {
    "ministack": (
        "/tmp/peer-ministack/bin/ministack",
        lambda port: {"GATEWAY_PORT": str(port), "BIND_HOST": "127.0.0.1"},
    ),
    "moto": ("/tmp/peer-moto/bin/moto_server", None),
}


@dataclass
class Running:
    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    data: str | None = None
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers, which is all we wait for
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url}: not ready after {timeout}s")


def eventyard(*, memory: bool = False) -> Running:
    port = free_port()
    data = None if memory else str(Path(tempfile.mkdtemp(prefix="eventyard-bench-")) / "yard.db")
    command = [sys.executable, "-m", "eventyard.cli", "serve", "--port", str(port), "--quiet"]
    command += ["--memory"] if memory else ["--data", str(data)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(f"http://127.0.0.1:{port}/_eventyard/health", process)
    return Running(
        "eventyard (memory)" if memory else "eventyard (SQLite, durable)", f"http://127.0.0.1:{port}", process, data
    )


def bare() -> Running:
    """A bare ASGI endpoint on the same server stack (uvicorn, uvloop, httptools)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_app", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait(f"http://127.0.0.1:{port}/", process)
    return Running("bare ASGI", f"http://127.0.0.1:{port}", process)


def peer(name: str) -> Running | None:
    binary, env_for = PEERS[name]
    if not os.path.exists(binary):
        return None
    port = free_port()
    if env_for is not None:
        env = {**os.environ, **env_for(port)}
        process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        process = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    _wait(f"http://127.0.0.1:{port}/", process)
    return Running(name, f"http://127.0.0.1:{port}", process)
