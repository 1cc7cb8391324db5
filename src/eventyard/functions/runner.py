"""Running one invocation: reserved concurrency, a warm worker (or the in-process callable), the
timeout, and the log AWS prints around it.

:class:`Runner.run` is the one place an invocation happens, for synchronous Invoke, asynchronous
invokes, rule targets and event source mappings alike. It returns an :class:`Outcome`: the payload
bytes, ``function_error`` (``"Unhandled"`` or None) and the log text with AWS's START/END/REPORT
lines::

    START RequestId: 8f5... Version: $LATEST
    ...what the handler printed...
    END RequestId: 8f5...
    REPORT RequestId: 8f5...\tDuration: 1.52 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t

A timeout answers ``{"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: <id> Error: Task
timed out after 1.00 seconds"}`` (AWS-recorded) and replaces the worker.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from eventyard.functions import worker_main
from eventyard.functions.code import CodeCache
from eventyard.functions.errors import RATE_EXCEEDED, TooManyRequests, function_not_found
from eventyard.functions.inprocess import InProcessFunction
from eventyard.functions.names import FunctionName
from eventyard.functions.workers import Answer, Pools, Spec, WorkerDied, WorkerTimeout

if TYPE_CHECKING:
    from eventyard.yard import Yard

#: The credentials handlers get (any key works against a yard that does not check signatures).
TEST_ACCESS_KEY = "test"
TEST_SECRET_KEY = "test"


@dataclass
class Target:
    """A function version resolved for one invocation."""

    name: FunctionName  # the function (its qualifier: as called)
    config: dict[str, Any]  # the configuration of the version that runs
    version: str  # "$LATEST" or the version number that runs
    invoked_arn: str  # context.invoked_function_arn: the ARN as it was called
    reserved: int | None = None  # the function's reserved concurrency
    in_process: InProcessFunction | None = None


@dataclass
class Outcome:
    payload: bytes
    function_error: str | None
    logs: str
    executed_version: str
    request_id: str


@dataclass(frozen=True, slots=True)
class Invocation:
    """One invocation this node ran, for the console's "recent invocations" (AWS keeps these in
    CloudWatch Logs, which the yard does not serve): kept in memory, the last :data:`RECENT`."""

    function_arn: str
    version: str
    request_id: str
    started: float  # the yard's clock, epoch seconds
    duration_ms: float
    function_error: str | None
    logs: str


#: How many invocations :attr:`Runner.recent` keeps.
RECENT = 200


class Throttled(TooManyRequests):
    """Reserved concurrency exhausted (AWS: Reason ReservedFunctionConcurrentInvocationLimitExceeded)."""

    members = {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}


class Runner:
    def __init__(self, yard: Yard) -> None:
        self.yard = yard
        self.pools = Pools()
        self.code = CodeCache(yard.url)
        self.in_flight: dict[tuple[str, str, str], int] = {}
        self.recent: collections.deque[Invocation] = collections.deque(maxlen=RECENT)

    async def close(self) -> None:
        await self.pools.close()
        self.code.close()

    @contextlib.contextmanager
    def _slot(self, target: Target) -> Iterator[None]:
        key = (target.name.account, target.name.region, target.name.name)
        running = self.in_flight.get(key, 0)
        if target.reserved is not None and running >= target.reserved:
            raise Throttled(RATE_EXCEEDED)
        self.in_flight[key] = running + 1
        try:
            yield
        finally:
            left = self.in_flight[key] - 1
            if left:
                self.in_flight[key] = left
            else:
                del self.in_flight[key]

    async def run(self, target: Target, payload: bytes, request_id: str, client_context: Any = None) -> Outcome:
        """Invoke ``target`` with ``payload`` (JSON bytes); raises :class:`Throttled` when over its concurrency."""
        with self._slot(target):
            began = self.yard.clock.now()
            started = time.perf_counter()
            if target.in_process is not None:
                answer = await self._in_process(target, payload, request_id, client_context)
            else:
                answer = await self._in_worker(target, payload, request_id, client_context)
            elapsed = (time.perf_counter() - started) * 1000
        error = "Unhandled" if answer.error else None
        logs = _log_text(target, request_id, answer, elapsed)
        arn = target.name.arn
        self.recent.append(Invocation(arn, target.version, request_id, began, elapsed, error, logs))
        return Outcome(answer.body, error, logs, target.version, request_id)

    # --- workers ----------------------------------------------------------------------------------

    async def _in_worker(self, target: Target, payload: bytes, request_id: str, client_context: Any) -> Answer:
        config = target.config
        timeout = float(config.get("Timeout", 3))
        code_dir = await self._code_dir(target)
        key = (target.name.arn, target.version)
        revision = f"{config.get('RevisionId')} {config.get('CodeSha256')}"
        pool = self.pools.pool(
            key,
            revision,
            Spec(str(code_dir), str(config["Handler"]), self._environment(target, str(code_dir)), target.version),
        )
        try:
            worker = await pool.acquire()
        except WorkerDied as died:
            return _runtime_error(request_id, f"Runtime exited without providing a reason: {died}")
        try:
            header = {
                "id": request_id,
                "deadline_ms": int((time.time() + timeout) * 1000),
                "arn": target.invoked_arn,
                "version": target.version,
                "memory": int(config.get("MemorySize", 128)),
                "name": target.name.name,
                "log_group": _log_group(config),
                "log_stream": worker.log_stream,
                "client_context": client_context,
            }
            return await worker.invoke(header, payload, timeout)
        except WorkerTimeout:
            message = f"Task timed out after {timeout:.2f} seconds"
            body = orjson.dumps(
                {"errorMessage": f"RequestId: {request_id} Error: {message}", "errorType": "Sandbox.Timedout"}
            )
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
            return Answer(True, f"{stamp}.000Z {request_id} {message}\n", body, timed_out=True)
        except WorkerDied:
            return _runtime_error(request_id, "Runtime exited with error: the worker process ended")
        finally:
            await pool.release(worker)

    async def _code_dir(self, target: Target) -> Any:
        sha = str(target.config["CodeSha256"])
        found = self.code.path_of(sha)
        if found is not None:
            return found
        name = target.name
        from eventyard.functions import store

        archive = await self.yard.db.read(lambda c: store.get_code(c, name.account, name.region, name.name, sha))
        if archive is None:
            raise function_not_found(name.qualified_arn)
        return await asyncio.to_thread(self.code.unpack, sha, archive)

    def _environment(self, target: Target, code_dir: str) -> dict[str, str]:
        config, name = target.config, target.name
        runtime = str(config.get("Runtime") or "python3.12")
        environment = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "HOME": os.environ.get("HOME", "/tmp"),
            "PYTHONUNBUFFERED": "1",
            "AWS_ENDPOINT_URL": self.yard.endpoint,
            "AWS_REGION": name.region,
            "AWS_DEFAULT_REGION": name.region,
            "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
            "AWS_LAMBDA_FUNCTION_NAME": name.name,
            "AWS_LAMBDA_FUNCTION_VERSION": target.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("MemorySize", 128)),
            "AWS_LAMBDA_LOG_GROUP_NAME": _log_group(config),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            "_HANDLER": str(config.get("Handler")),
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": os.path.dirname(sys.executable),
        }
        environment.update((config.get("Environment") or {}).get("Variables") or {})
        return environment

    # --- in-process ---------------------------------------------------------------------------------

    async def _in_process(self, target: Target, payload: bytes, request_id: str, client_context: Any) -> Answer:
        found = target.in_process
        assert found is not None
        config = target.config
        timeout = float(found.timeout)
        context = worker_main.LambdaContext(
            function_name=found.name,
            function_version=target.version,
            invoked_function_arn=target.invoked_arn,
            memory_limit_in_mb=found.memory,
            aws_request_id=request_id,
            log_group_name=_log_group(config),
            log_stream_name=f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]in-process",
            deadline_ms=int((time.time() + timeout) * 1000),
            client_context=client_context,
        )
        try:
            event = orjson.loads(payload) if payload else {}
        except orjson.JSONDecodeError:
            event = payload.decode("utf-8", "replace")
        try:
            if found.is_async:
                result = await asyncio.wait_for(found.handler(event, context), timeout)
            else:
                result = await asyncio.wait_for(asyncio.to_thread(found.handler, event, context), timeout)
        except TimeoutError:
            message = f"Task timed out after {timeout:.2f} seconds"
            body = orjson.dumps(
                {"errorMessage": f"RequestId: {request_id} Error: {message}", "errorType": "Sandbox.Timedout"}
            )
            return Answer(True, f"{request_id} {message}\n", body, timed_out=True)
        except Exception as error:
            document = worker_main.error_document(error, request_id)
            return Answer(True, worker_main.error_log(error), orjson.dumps(document))
        try:
            return Answer(False, "", worker_main.dumps_result(result))
        except (TypeError, ValueError) as error:
            document = {"errorMessage": f"Unable to marshal response: {error}", "errorType": "Runtime.MarshalError",
                        "requestId": request_id, "stackTrace": []}  # fmt: skip
            return Answer(True, "", orjson.dumps(document))


def _log_group(config: dict[str, Any]) -> str:
    return str((config.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{config['FunctionName']}")


def _runtime_error(request_id: str, message: str) -> Answer:
    body = orjson.dumps({"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: {request_id} Error: {message}"})
    return Answer(True, "", body)


def _log_text(target: Target, request_id: str, answer: Answer, elapsed_ms: float) -> str:
    memory = int(target.config.get("MemorySize", 128))
    used = max(1, answer.memory_mb)
    body = answer.logs
    if body and not body.endswith("\n"):
        body += "\n"
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\tBilled Duration: {math.ceil(elapsed_ms)} ms"
        f"\tMemory Size: {memory} MB\tMax Memory Used: {min(used, memory)} MB\t"
    )
    if answer.init_ms is not None:
        report += f"Init Duration: {answer.init_ms:.2f} ms\t"
    if answer.timed_out:
        report += "Status: timeout"
    return f"START RequestId: {request_id} Version: {target.version}\n{body}END RequestId: {request_id}\n{report}\n"
