"""Warm worker processes: a pool per function version (and revision), one invocation per worker at a time.

A :class:`Worker` is ``python worker_main.py CODE_DIR HANDLER`` (see :mod:`.worker_main` for the
framed protocol) started with the function's environment. It imports the handler once and serves
invocation after invocation. An invocation that overruns the function's timeout kills its worker
(the next invocation starts a fresh one), as Lambda replaces a timed-out execution environment.

A :class:`Pool` holds the workers of one (function ARN, version, RevisionId): a configuration or
code change makes a new pool, and the old one is shut down once idle. Idle workers are reaped after
:data:`IDLE_SECONDS`. The processes are this node's own (nothing durable depends on them), so the
reaping is a plain event-loop callback, not a kernel timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger("eventyard.functions")

WORKER_PROGRAM = str(Path(__file__).with_name("worker_main.py"))
#: Idle workers live this long (seconds, real time) before they are stopped.
IDLE_SECONDS = 300.0
#: Workers one pool runs at most; further invocations wait for one to be free.
MAX_WORKERS_PER_POOL = 64
#: How long a worker may take to import its handler (AWS's init phase is capped at 10 s).
INIT_SECONDS = 10.0
_LENGTH = struct.Struct(">I")


class WorkerTimeout(Exception):
    """The invocation overran the function's timeout: its worker was killed."""


class WorkerDied(Exception):
    """The worker process exited in the middle of an invocation (the handler called exit, or crashed)."""


@dataclass(slots=True)
class Answer:
    error: bool
    logs: str
    body: bytes
    init_ms: float | None = None  # set on a worker's first invocation (a cold start)
    memory_mb: int = 0  # the worker's peak resident memory


@dataclass(frozen=True, slots=True)
class Spec:
    """What a worker runs: the unpacked code, the handler, the environment."""

    code_dir: str
    handler: str
    environment: dict[str, str]
    version: str = "$LATEST"


class Worker:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.process: asyncio.subprocess.Process | None = None
        self.last_used = time.monotonic()
        self._init: tuple[dict[str, Any], float] | None = None
        self._cold = True
        day = time.strftime("%Y/%m/%d", time.gmtime())
        self.log_stream = f"{day}/[{spec.version}]{os.urandom(16).hex()}"

    async def start(self) -> None:
        started = time.perf_counter()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-u", WORKER_PROGRAM, self.spec.code_dir, self.spec.handler,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=self.spec.environment,
            limit=2**26,
        )  # fmt: skip
        try:
            header, _ = await asyncio.wait_for(self._read(), INIT_SECONDS)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as error:
            self.kill()
            raise WorkerDied(f"the worker did not start: {error!r}")
        self._init = (header, (time.perf_counter() - started) * 1000)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def invoke(self, request: dict[str, Any], body: bytes, timeout: float) -> Answer:
        process = self.process
        assert process is not None and process.stdin is not None
        header = orjson.dumps(request)
        process.stdin.write(_LENGTH.pack(len(header)) + header + _LENGTH.pack(len(body)) + body)
        try:
            await process.stdin.drain()
            answer, result = await asyncio.wait_for(self._read(), timeout)
        except TimeoutError:
            self.kill()
            raise WorkerTimeout()
        except (asyncio.IncompleteReadError, ConnectionError, BrokenPipeError) as error:
            self.kill()
            raise WorkerDied(str(error))
        self.last_used = time.monotonic()
        logs = str(answer.get("logs", ""))
        init_ms = None
        if self._cold:
            self._cold = False
            assert self._init is not None
            logs = str(self._init[0].get("logs", "")) + logs
            init_ms = self._init[1]
        return Answer(bool(answer.get("error")), logs, result, init_ms, int(answer.get("memory_mb", 0)))

    async def _read(self) -> tuple[dict[str, Any], bytes]:
        process = self.process
        assert process is not None and process.stdout is not None
        out = process.stdout
        (size,) = _LENGTH.unpack(await out.readexactly(4))
        header = orjson.loads(await out.readexactly(size))
        (size,) = _LENGTH.unpack(await out.readexactly(4))
        return header, await out.readexactly(size)

    def kill(self) -> None:
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    async def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()  # the worker's read ends: it exits by itself
            try:
                await asyncio.wait_for(process.wait(), 2.0)
            except TimeoutError:
                self.kill()
                with contextlib.suppress(Exception):
                    await process.wait()
        else:
            with contextlib.suppress(Exception):
                await process.wait()
        self.process = None


@dataclass(eq=False)
class Pool:
    spec: Spec
    idle: list[Worker] = field(default_factory=list)
    busy: int = 0
    every: set[Worker] = field(default_factory=set)  # idle and busy, to stop them all at close
    free: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def acquire(self) -> Worker:
        async with self.free:
            while not self.idle and self.busy >= MAX_WORKERS_PER_POOL:
                await self.free.wait()
            self.busy += 1
            while self.idle:
                worker = self.idle.pop()
                if worker.alive:
                    return worker
        worker = Worker(self.spec)
        self.every.add(worker)
        try:
            await worker.start()
        except BaseException:
            self.every.discard(worker)
            await self._done()
            raise
        return worker

    async def release(self, worker: Worker) -> None:
        if worker.alive and worker in self.every:
            self.idle.append(worker)
        else:
            self.every.discard(worker)
            await worker.stop()
        await self._done()

    async def _done(self) -> None:
        async with self.free:
            self.busy -= 1
            self.free.notify()

    def stale(self, older_than: float) -> list[Worker]:
        """Take out the idle workers last used before ``older_than`` (monotonic)."""
        gone = [w for w in self.idle if w.last_used < older_than]
        self.idle = [w for w in self.idle if w.last_used >= older_than]
        self.every.difference_update(gone)
        return gone


class Pools:
    """Every pool of one yard, by (function ARN, version) and the revision they run."""

    def __init__(self) -> None:
        self._pools: dict[tuple[str, str], tuple[str, Pool]] = {}
        self._reaper: asyncio.TimerHandle | None = None
        self._retired: list[Pool] = []

    def pool(self, key: tuple[str, str], revision: str, spec: Spec) -> Pool:
        found = self._pools.get(key)
        if found is not None and found[0] == revision:
            return found[1]
        if found is not None:  # the function changed: its old workers go once idle
            self._retired.append(found[1])
        pool = Pool(spec)
        self._pools[key] = (revision, pool)
        self._schedule_reap()
        return pool

    def workers(self) -> int:
        return sum(len(p.idle) + p.busy for _, p in self._pools.values())

    def forget(self, function_arn: str) -> None:
        """A deleted function: its pools retire (idle workers stop at the next reap)."""
        for key in [k for k in self._pools if k[0] == function_arn]:
            self._retired.append(self._pools.pop(key)[1])
        self._schedule_reap(0.0)

    def _schedule_reap(self, delay: float = IDLE_SECONDS / 2) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._reaper is not None and delay > 0:
            return
        if self._reaper is not None:
            self._reaper.cancel()
        self._reaper = loop.call_later(delay, lambda: asyncio.ensure_future(self.reap()))

    async def reap(self, idle_seconds: float = IDLE_SECONDS) -> int:
        """Stop idle workers unused for ``idle_seconds`` and every idle worker of a retired pool."""
        self._reaper = None
        gone: list[Worker] = []
        horizon = time.monotonic() - idle_seconds
        for _, pool in self._pools.values():
            gone += pool.stale(horizon)
        for pool in self._retired:
            gone += pool.stale(float("inf"))
        self._retired = [p for p in self._retired if p.busy]
        for worker in gone:
            await worker.stop()
        if self._pools or self._retired:
            self._schedule_reap()
        return len(gone)

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        pools = [p for _, p in self._pools.values()] + self._retired
        self._pools.clear()
        self._retired = []
        workers = [w for p in pools for w in p.every]
        for pool in pools:
            pool.idle = []
            pool.every = set()
        # a busy worker finishes its invocation (its stdin is closed), or is killed after 2 s
        await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)
