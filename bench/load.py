"""Light load generators: the servers, not the clients, are what gets measured.

``wrk`` (Debian package) is used when installed; otherwise an asyncio client in its own process
replays prepared raw HTTP/1.1 requests over keep-alive connections. A boto3 client spends ~1 ms of
CPU per call, so on two cores it would cap any server near 1,000-2,000 calls/s: boto3 is the
second figure (what a user sees), never the capacity figure.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

AUTHORIZATION = "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/svc/aws4_request, SignedHeaders=host, Signature=0"


def authorization(scope: str) -> str:
    """The Authorization header with ``scope`` as the credential's service (query requests are routed by it)."""
    return AUTHORIZATION.replace("/svc/", f"/{scope}/")


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int
    tool: str

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Request:
    """One prepared AWS request: a target header and a body (a list cycles through several bodies).

    A query-protocol request (SNS) has no target (``""``): its form names the action, and ``scope``
    the service its credential is for."""

    target: str
    bodies: list[bytes]
    content_type: str = "application/x-amz-json-1.0"
    path: str = "/"
    scope: str = "svc"

    def raw(self, host: str, body: bytes) -> bytes:
        target = f"X-Amz-Target: {self.target}\r\n" if self.target else ""
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {host}\r\n{target}"
            f"Content-Type: {self.content_type}\r\nContent-Length: {len(body)}\r\n"
            f"Authorization: {authorization(self.scope)}\r\n\r\n"
        )
        return head.encode() + body


def run_load(endpoint: str, request: Request, *, seconds: float = 5.0, connections: int = 32) -> LoadResult:
    if shutil.which("wrk"):
        return _wrk(endpoint, request, seconds, connections)
    return _asyncio_load(endpoint, request, seconds, connections)


def _wrk(endpoint: str, request: Request, seconds: float, connections: int) -> LoadResult:
    bodies = ",".join(json.dumps(body.decode()) for body in request.bodies)
    script = f"""
local bodies = {{{bodies}}}
local i = 0
wrk.method = "POST"
{f'wrk.headers["X-Amz-Target"] = "{request.target}"' if request.target else ""}
wrk.headers["Content-Type"] = "{request.content_type}"
wrk.headers["Authorization"] = "{authorization(request.scope)}"
request = function()
  i = i + 1
  return wrk.format(nil, "{request.path}", nil, bodies[(i % #bodies) + 1])
end
local threads = {{}}
setup = function(thread)
  table.insert(threads, thread)
end
errors = 0
response = function(status, headers, body)
  if status >= 400 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("errors") end
  io.write(string.format("RESULT %d %d %d\\n", summary.requests, summary.duration, failed))
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        output = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", handle.name, endpoint],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    _, count, micros, errors = line.split()
    return LoadResult(int(count), int(micros) / 1e6, int(errors), "wrk")


def _asyncio_load(endpoint: str, request: Request, seconds: float, connections: int) -> LoadResult:
    context = get_context("spawn")
    with context.Pool(1) as pool:
        count, elapsed, errors = pool.apply(_asyncio_worker, (endpoint, request, seconds, connections))
    return LoadResult(count, elapsed, errors, "asyncio")


def _asyncio_worker(endpoint: str, request: Request, seconds: float, connections: int) -> tuple[int, float, int]:
    return asyncio.run(_drive(endpoint, request, seconds, connections))


async def _drive(endpoint: str, request: Request, seconds: float, connections: int) -> tuple[int, float, int]:
    host_port = endpoint.split("://", 1)[1].rstrip("/")
    host, port = host_port.rsplit(":", 1)
    prepared = [request.raw(host_port, body) for body in request.bodies]
    done = 0
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def lane(offset: int) -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(host, int(port))
        index = offset
        while time.perf_counter() < stop_at:
            writer.write(prepared[index % len(prepared)])
            index += 1
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            done += 1
            if not status_line.startswith(b"HTTP/1.1 2"):
                errors += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(lane(i) for i in range(connections)))
    return done, time.perf_counter() - started, errors


def boto3_load(call: Any, *, processes: int = 4, seconds: float = 5.0) -> LoadResult:
    """``call() -> step`` (picklable, e.g. a partial of a module-level function) builds a step that
    does one unit of work with boto3 and returns how many units it did; steps run in a loop in
    several processes: the figure a user sees."""
    context = get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.starmap(_boto3_worker, [(call, seconds)] * processes)
    return LoadResult(sum(r[0] for r in results), max(r[1] for r in results), sum(r[2] for r in results), "boto3")


def _boto3_worker(call: Any, seconds: float) -> tuple[int, float, int]:
    step = call()
    count = errors = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        try:
            count += step()
        except Exception:
            errors += 1
    return count, time.perf_counter() - started, errors
